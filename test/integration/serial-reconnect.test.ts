import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionState } from '../../hardware/device';
import { ProtocolDevice } from '../../hardware/protocol-device';
import { SerialTransport } from '../../hardware/serial';
import type { SampleBlock, SampleGap } from '../../src/domain';
import { DeviceEncoder, HostCommandDecoder, MSG } from '../../src/protocol';
import { PtyPair, waitFor } from './serial-pty.helpers';

/** Device-side firmware stand-in on the far pseudo-terminal: announces itself, ACKs, streams on demand. */
class PtyFirmware {
  readonly port: SerialTransport;
  private readonly enc = new DeviceEncoder();
  private readonly dec = new HostCommandDecoder();
  nextSample = 0;
  commands: string[] = [];

  constructor(path: string) {
    this.port = new SerialTransport({ path, baudRate: 921600 });
    this.port.onData((bytes) =>
      this.dec.push(bytes, (m) => {
        if (m.kind === 'get-info') void this.send(this.enc.info({ model: 'PtyAmp', firmware: '2.0', channelCount: 1, sampleRateHz: 1000, gainUvPerCount: 1, sampleFormat: 'int16', canStimulate: false }));
        else if (m.kind === 'command') {
          this.commands.push(m.command.type);
          if (m.command.type === 'ping') void this.send(this.enc.pong(m.pingToken ?? 0));
          else void this.send(this.enc.ack({ ackedSeq: m.seq, ackedType: MSG.START, result: 'ok' }));
        }
      }),
    );
  }
  async send(bytes: Uint8Array): Promise<void> {
    if (this.port.isOpen) await this.port.write(bytes).catch(() => {});
  }
  async block(n: number): Promise<void> {
    const counts = Array.from({ length: n }, (_, i) => this.nextSample + i);
    const bytes = this.enc.samplesCounts({ startSample: this.nextSample, sampleRateHz: 1000, gainUvPerCount: 1, channelCount: 1, format: 'int16' }, counts);
    this.nextSample += n;
    await this.send(bytes);
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

describe('ProtocolDevice over a serial pseudo-terminal', () => {
  it('sees socat dying as a disconnection, reconnects with backoff when it returns, and marks the lost samples', async () => {
    const pair = await PtyPair.create();
    cleanup.push(() => pair.dispose());
    const fw = new PtyFirmware(pair.b);
    await fw.port.open();
    cleanup.push(() => fw.port.close());
    const dev = new ProtocolDevice(new SerialTransport({ path: pair.a, baudRate: 921600 }), { reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, ackTimeoutMs: 2000, infoTimeoutMs: 2000 });
    cleanup.push(() => dev.close());
    const states: Array<[ConnectionState, string | undefined]> = [];
    const blocks: SampleBlock[] = [];
    const gaps: SampleGap[] = [];
    dev.on('connection', (s, r) => states.push([s, r]));
    dev.on('block', (b) => blocks.push(b));
    dev.on('gap', (g) => gaps.push(g));

    await dev.open();
    expect(dev.info?.model).toBe('PtyAmp');
    await dev.send({ type: 'start' });
    await fw.block(50);
    await waitFor(() => blocks.length === 1, 3000, 'first block');

    await pair.kill();
    await waitFor(() => dev.state === 'reconnecting', 3000, 'reconnecting');
    expect(states.map((s) => s[0])).toContain('disconnected');
    expect(states.map((s) => s[0])).not.toContain('closed');
    // let a few attempts fail against the missing path (20, 40, 80 ms ...)
    await new Promise((r) => setTimeout(r, 250));
    const attempts = states.filter((s) => s[0] === 'reconnecting').length;
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(attempts).toBeLessThanOrEqual(6); // exponential, not a busy loop

    fw.nextSample += 300; // the amplifier kept sampling while the link was down
    await pair.start();
    await fw.port.open();
    await waitFor(() => dev.state === 'open' && fw.commands.filter((c) => c === 'start').length === 2, 5000, 'reconnection and restart of streaming');
    await fw.block(20);
    await waitFor(() => blocks.length === 2, 3000, 'block after reconnection');
    expect(gaps).toEqual([{ startSample: 50, lengthSamples: 300, reason: 'disconnected' }]);
    expect(blocks[1]!.startSample).toBe(350);
    expect(Array.from(blocks[1]!.data.subarray(0, 3))).toEqual([350, 351, 352]);
  });
});
