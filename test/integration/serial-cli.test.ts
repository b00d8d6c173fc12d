import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function sdrlog(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/sdrlog.mjs', ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sdrlog ports', () => {
  it('lists ports without failing where the system listing cannot run, and explains', () => {
    const r = sdrlog('ports', '--json');
    expect(r.status).toBe(0);
    const listing = JSON.parse(r.stdout) as { ports: Array<{ path: string }>; problems: string[] };
    for (const p of listing.ports) expect(p.path).toMatch(/^\/dev\//);
    if (listing.ports.length === 0) expect(listing.problems.length).toBeGreaterThan(0);
  });

  it('refuses a typed path that is not a serial device with one line and exit code 2', () => {
    const r = sdrlog('ports', '--check', '/tmp');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('sdrlog: /tmp is not a serial device (not a character device)\n');
    const missing = sdrlog('ports', '--check', '/dev/ttyUSB77');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('sdrlog: serial port /dev/ttyUSB77 does not exist (unplugged, or a typo?)\n');
  });
});
