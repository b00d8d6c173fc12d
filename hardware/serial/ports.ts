import { SerialPort } from 'serialport';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** One serial port the user may pick. */
export interface SerialPortEntry {
  readonly path: string;
  readonly manufacturer: string | null;
  readonly serialNumber: string | null;
  readonly vendorId: string | null;
  readonly productId: string | null;
  /** 'system': from the OS listing; 'scan': found by looking at device names in /dev. */
  readonly source: 'system' | 'scan';
}

export interface SerialPortListing {
  readonly ports: readonly SerialPortEntry[];
  /** Why the list may be incomplete, in words for the user; empty when all went well. */
  readonly problems: readonly string[];
}

export interface ListSerialPortsOptions {
  /** The OS listing; defaults to SerialPort.list (which needs udevadm on Linux). */
  readonly systemList?: () => Promise<ReadonlyArray<{ path: string; manufacturer?: string | undefined; serialNumber?: string | undefined; vendorId?: string | undefined; productId?: string | undefined }>>;
  /** Directory scanned when the OS listing fails (default /dev). */
  readonly devDir?: string;
  readonly platform?: NodeJS.Platform;
}

/** Device names that are serial adapters on Linux and macOS (USB CDC/ACM, FTDI and friends, Bluetooth). */
const SERIAL_NAME = /^(ttyUSB\d+|ttyACM\d+|ttyAMA\d+|ttyXRUSB\d+|rfcomm\d+|cu\.[\w.-]+)$/;

/**
 * Lists serial ports. `SerialPort.list()` fails where udevadm is missing (containers, minimal
 * systems): then /dev is scanned for serial device names, and `problems` explains what happened
 * and that a port path can be typed instead (checked with checkSerialPath). Never throws.
 */
export async function listSerialPorts(options: ListSerialPortsOptions = {}): Promise<SerialPortListing> {
  const problems: string[] = [];
  const systemList = options.systemList ?? (() => SerialPort.list());
  try {
    const listed = await systemList();
    return {
      ports: listed.map((p) => ({ path: p.path, manufacturer: p.manufacturer ?? null, serialNumber: p.serialNumber ?? null, vendorId: p.vendorId ?? null, productId: p.productId ?? null, source: 'system' as const })),
      problems,
    };
  } catch (e) {
    problems.push(`The system port listing failed (${e instanceof Error ? e.message : String(e)}); showing ports found by name in /dev. You can also type the port path (for example /dev/ttyUSB0).`);
  }
  const platform = options.platform ?? process.platform;
  if (platform === 'win32') {
    problems.push('On Windows, type the port name (for example COM3).');
    return { ports: [], problems };
  }
  const devDir = options.devDir ?? '/dev';
  const ports: SerialPortEntry[] = [];
  try {
    const names = (await readdir(devDir)).filter((n) => SERIAL_NAME.test(n)).sort(naturalOrder);
    for (const name of names) {
      const full = path.join(devDir, name);
      try {
        if ((await stat(full)).isCharacterDevice()) ports.push({ path: full, manufacturer: null, serialNumber: null, vendorId: null, productId: null, source: 'scan' });
      } catch {
        // vanished between readdir and stat: skip it
      }
    }
  } catch (e) {
    problems.push(`Cannot read ${devDir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (ports.length === 0) problems.push(`No serial adapters found in ${devDir}; type the port path if you know it.`);
  return { ports, problems };
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** A typed port path that cannot be used. */
export class SerialPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SerialPathError';
  }
}

/**
 * Checks a typed port path before opening it: it must exist and be a character device (symlinks
 * such as /dev/serial/by-id/... are followed). Windows COM names are accepted as they are.
 */
export async function checkSerialPath(portPath: string, platform: NodeJS.Platform = process.platform): Promise<string> {
  if (platform === 'win32') {
    if (!/^(COM\d+|\\\\\.\\COM\d+)$/i.test(portPath)) throw new SerialPathError(`'${portPath}' is not a Windows serial port name (COM1, COM2, ...)`);
    return portPath;
  }
  let info;
  try {
    info = await stat(portPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SerialPathError(`serial port ${portPath} does not exist (unplugged, or a typo?)`);
    if (code === 'EACCES') throw new SerialPathError(`no permission to access ${portPath} (on Linux, join the 'dialout' group)`);
    throw new SerialPathError(`cannot access ${portPath}: ${(e as Error).message}`);
  }
  if (!info.isCharacterDevice()) throw new SerialPathError(`${portPath} is not a serial device (not a character device)`);
  return portPath;
}
