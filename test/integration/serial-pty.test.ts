import { afterEach, describe, expect, it } from 'vitest';
import { SerialTransport } from '../../hardware/serial';
import { PtyPair, waitFor } from './serial-pty.helpers';

const pairs: PtyPair[] = [];
const transports: SerialTransport[] = [];
afterEach(async () => {
  for (const t of transports.splice(0)) await t.close();
  for (const p of pairs.splice(0)) await p.dispose();
});

async function setup(): Promise<{ pair: PtyPair; host: SerialTransport; device: SerialTransport }> {
  const pair = await PtyPair.create();
  pairs.push(pair);
  const host = new SerialTransport({ path: pair.a, baudRate: 921600 });
  const device = new SerialTransport({ path: pair.b, baudRate: 921600 });
  transports.push(host, device);
  await host.open();
  await device.open();
  return { pair, host, device };
}

function collect(t: SerialTransport): number[] {
  const got: number[] = [];
  t.onData((b) => got.push(...b));
  return got;
}

describe('SerialTransport over socat pseudo-terminals', () => {
  it('carries bytes both ways, all 256 values, unchanged', async () => {
    const { host, device } = await setup();
    const atDevice = collect(device);
    const atHost = collect(host);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = Uint8Array.from({ length: 20000 }, (_, i) => (i * 31 + 7) & 0xff);
    await host.write(all);
    await device.write(big);
    await waitFor(() => atDevice.length >= 256 && atHost.length >= big.length, 5000, 'bytes to cross');
    expect(atDevice).toEqual(Array.from(all));
    expect(atHost).toEqual(Array.from(big));
  });

  it('reports a deliberate close as deliberate', async () => {
    const { host } = await setup();
    const reasons: string[] = [];
    host.onClose((r) => reasons.push(r));
    await host.close();
    await waitFor(() => reasons.length > 0, 2000, 'close');
    expect(reasons).toEqual(['deliberate']);
    expect(host.isOpen).toBe(false);
  });

  it('reports socat dying as a disconnection, once', async () => {
    const { pair, host } = await setup();
    const reasons: string[] = [];
    host.onClose((r) => reasons.push(r));
    await pair.kill();
    await waitFor(() => reasons.length > 0, 5000, 'disconnection');
    await new Promise((r) => setTimeout(r, 100));
    expect(reasons).toEqual(['disconnected']);
    expect(host.isOpen).toBe(false);
  });

  it('refuses to open a path that is gone or not a device, with a clear message', async () => {
    await expect(new SerialTransport({ path: '/nonexistent/ttyUSB9', baudRate: 9600 }).open()).rejects.toThrow('serial port /nonexistent/ttyUSB9 does not exist (unplugged, or a typo?)');
    await expect(new SerialTransport({ path: '/tmp', baudRate: 9600 }).open()).rejects.toThrow('/tmp is not a serial device (not a character device)');
  });
});
