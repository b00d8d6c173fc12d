import { mkdtemp, rm, writeFile, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkSerialPath, listSerialPorts, SerialPathError } from '../../../hardware/serial';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('listSerialPorts', () => {
  it('returns the system listing when it works', async () => {
    const listing = await listSerialPorts({ systemList: async () => [{ path: '/dev/ttyUSB0', manufacturer: 'FTDI', serialNumber: 'A1', vendorId: '0403', productId: '6001' }] });
    expect(listing).toEqual({
      ports: [{ path: '/dev/ttyUSB0', manufacturer: 'FTDI', serialNumber: 'A1', vendorId: '0403', productId: '6001', source: 'system' }],
      problems: [],
    });
  });

  it('survives the system listing throwing: scans the device directory for character devices and explains', async () => {
    // a fake /dev: serial-looking names that are character devices (symlinks to /dev/null), one regular file, one other name
    const dir = await mkdtemp(path.join(tmpdir(), 'sdrlog-dev-'));
    dirs.push(dir);
    await symlink('/dev/null', path.join(dir, 'ttyACM10'));
    await symlink('/dev/null', path.join(dir, 'ttyACM2'));
    await symlink('/dev/null', path.join(dir, 'ttyUSB0'));
    await writeFile(path.join(dir, 'ttyUSB1'), 'not a device');
    await symlink('/dev/null', path.join(dir, 'sda'));
    const listing = await listSerialPorts({ systemList: async () => Promise.reject(new Error('spawn udevadm ENOENT')), devDir: dir, platform: 'linux' });
    expect(listing.ports.map((p) => [path.basename(p.path), p.source])).toEqual([['ttyACM2', 'scan'], ['ttyACM10', 'scan'], ['ttyUSB0', 'scan']]);
    expect(listing.problems).toEqual([
      'The system port listing failed (spawn udevadm ENOENT); showing ports found by name in /dev. You can also type the port path (for example /dev/ttyUSB0).',
    ]);
  });

  it('says so when nothing is found and the directory cannot be read', async () => {
    const listing = await listSerialPorts({ systemList: () => Promise.reject(new Error('boom')), devDir: '/nonexistent-dev', platform: 'linux' });
    expect(listing.ports).toEqual([]);
    expect(listing.problems).toHaveLength(3);
    expect(listing.problems[1]).toMatch(/^Cannot read \/nonexistent-dev: ENOENT/);
    expect(listing.problems[2]).toBe('No serial adapters found in /nonexistent-dev; type the port path if you know it.');
  });

  it('with the real SerialPort.list never throws (it fails in containers without udevadm)', async () => {
    const listing = await listSerialPorts();
    expect(Array.isArray(listing.ports)).toBe(true);
    for (const p of listing.ports) expect(p.path.startsWith('/dev/') || p.path.startsWith('COM')).toBe(true);
  });
});

describe('checkSerialPath', () => {
  it('accepts character devices, following symlinks', async () => {
    await expect(checkSerialPath('/dev/null', 'linux')).resolves.toBe('/dev/null');
    const dir = await mkdtemp(path.join(tmpdir(), 'sdrlog-dev-'));
    dirs.push(dir);
    await symlink('/dev/null', path.join(dir, 'by-id-link'));
    await expect(checkSerialPath(path.join(dir, 'by-id-link'), 'linux')).resolves.toBe(path.join(dir, 'by-id-link'));
  });

  it('refuses missing paths, directories and regular files with a clear message', async () => {
    await expect(checkSerialPath('/dev/ttyUSB99', 'linux')).rejects.toThrow(new SerialPathError('serial port /dev/ttyUSB99 does not exist (unplugged, or a typo?)'));
    await expect(checkSerialPath('/tmp', 'linux')).rejects.toThrow('/tmp is not a serial device (not a character device)');
  });

  it('accepts Windows COM names as they are and refuses others there', async () => {
    await expect(checkSerialPath('COM3', 'win32')).resolves.toBe('COM3');
    await expect(checkSerialPath('/dev/ttyUSB0', 'win32')).rejects.toThrow(/not a Windows serial port name/);
  });
});
