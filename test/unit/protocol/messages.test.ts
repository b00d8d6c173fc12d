import { describe, expect, expectTypeOf, it } from 'vitest';
import { makeStimulation, type SampleBlock } from '../../../src/domain';
import type { HostCommand } from '../../../hardware/device';
import {
  DeviceEncoder,
  DeviceStreamDecoder,
  encodeFrame,
  HostCommandDecoder,
  HostEncoder,
  MSG,
  type DeviceMessage,
  type HostMessage,
  type WireDeviceInfo,
  type WireHostCommand,
} from '../../../src/protocol';

const hex = (s: string): Uint8Array => Uint8Array.from(s.trim().split(/\s+/), (h) => parseInt(h, 16));

function decode(bytes: Uint8Array, dec = new DeviceStreamDecoder()): DeviceMessage[] {
  const out: DeviceMessage[] = [];
  dec.push(bytes, (m) => out.push(m));
  return out;
}
function decodeHost(bytes: Uint8Array): HostMessage[] {
  const out: HostMessage[] = [];
  new HostCommandDecoder().push(bytes, (m) => out.push(m));
  return out;
}

const TRAIN = makeStimulation({ mode: 'train', intensityMa: 1.3, pulseWidthUs: 100, rateHz: 50, durationS: 1, target: { level: 'L5', side: 'R', kind: 'dorsal', rootlet: 3 } });
const SINGLE = makeStimulation({ mode: 'single', intensityMa: 0.25, pulseWidthUs: 200, target: { level: 'S2', side: 'L', kind: 'ventral', rootlet: null } });

describe('host command types', () => {
  it('WireHostCommand and hardware HostCommand are the same shape', () => {
    expectTypeOf<WireHostCommand>().toEqualTypeOf<HostCommand>();
  });
});

describe('SAMPLES', () => {
  it('matches the documented vector and decodes it to planar microvolts', () => {
    const bytes = new DeviceEncoder().samplesCounts({ startSample: 1000, sampleRateHz: 10000, gainUvPerCount: 0.5, channelCount: 2, format: 'int16' }, [1, -1, 256, -32768]);
    expect(bytes).toEqual(hex(`a5 5a 01 02 00 00 1c 00 46 e8 03 00 00 00 00 00 00 10 27 00 00 00 00 00 3f 02 01 02 00
      01 00 ff ff 00 01 00 80 81 b1 2c 7e`));
    const [m] = decode(bytes);
    expect(m?.kind).toBe('block');
    if (m?.kind !== 'block') return;
    expect(m.block).toMatchObject({ startSample: 1000, sampleRateHz: 10000, channelCount: 2, samplesPerChannel: 2 });
    // channel 0: counts 1, 256; channel 1: counts -1, -32768; times 0.5 uV
    expect(Array.from(m.block.data)).toEqual([0.5, 128, -0.5, -16384]);
  });

  it('carries int24 counts at full scale', () => {
    const bytes = new DeviceEncoder().samplesCounts({ startSample: 2 ** 40, sampleRateHz: 5000, gainUvPerCount: 0.25, channelCount: 3, format: 'int24' }, [8388607, -8388608, 0, -1, 65536, 9_999_999]);
    const [m] = decode(bytes);
    if (m?.kind !== 'block') throw new Error(`expected block, got ${m?.kind}`);
    expect(m.block.startSample).toBe(2 ** 40);
    // planar: ch0 = [8388607, -1], ch1 = [-8388608, 65536], ch2 = [0, clamped 8388607]
    expect(Array.from(m.block.data)).toEqual([8388607 * 0.25, -0.25, -8388608 * 0.25, 16384, 0, 8388607 * 0.25].map(Math.fround));
  });

  it('splits a long block over frames and round-trips microvolts to the count resolution', () => {
    const nc = 16;
    const ns = 1200;
    const data = new Float32Array(nc * ns);
    for (let c = 0; c < nc; c++) for (let i = 0; i < ns; i++) data[c * ns + i] = 500 * Math.sin((2 * Math.PI * (c + 1) * i) / ns);
    const block: SampleBlock = { startSample: 77, sampleRateHz: 10000, channelCount: nc, samplesPerChannel: ns, data };
    const msgs = decode(new DeviceEncoder().samples(block, 0.1, 'int16'));
    const blocks = msgs.flatMap((m) => (m.kind === 'block' ? [m.block] : []));
    expect(msgs.length).toBe(3); // 511 + 511 + 178 samples
    expect(blocks.map((b) => [b.startSample, b.samplesPerChannel])).toEqual([[77, 511], [588, 511], [1099, 178]]);
    let maxErrorUv = 0;
    for (const b of blocks) {
      for (let c = 0; c < nc; c++) {
        for (let i = 0; i < b.samplesPerChannel; i++) {
          const want = data[c * ns + (b.startSample - 77) + i]!;
          maxErrorUv = Math.max(maxErrorUv, Math.abs(b.data[c * b.samplesPerChannel + i]! - want));
        }
      }
    }
    // half a count of 0.1 uV, plus float32 rounding
    expect(maxErrorUv).toBeLessThanOrEqual(0.05 + 1e-4);
    expect(maxErrorUv).toBeGreaterThan(0.03);
  });

  it('turns a jump in sample index into a sequence-gap before the next block', () => {
    const enc = new DeviceEncoder();
    const spec = { sampleRateHz: 1000, gainUvPerCount: 1, channelCount: 1, format: 'int16' as const };
    const a = enc.samplesCounts({ ...spec, startSample: 0 }, [1, 2, 3, 4]);
    enc.samplesCounts({ ...spec, startSample: 4 }, [5, 6]); // lost on the wire
    const c = enc.samplesCounts({ ...spec, startSample: 6 }, [7]);
    const dec = new DeviceStreamDecoder();
    const msgs = decode(Uint8Array.from([...a, ...c]), dec);
    expect(msgs.map((m) => m.kind)).toEqual(['block', 'frames-lost', 'gap', 'block']);
    expect(msgs[1]).toEqual({ kind: 'frames-lost', count: 1 });
    expect(msgs[2]).toEqual({ kind: 'gap', gap: { startSample: 4, lengthSamples: 2, reason: 'sequence-gap' } });
    expect(dec.counters()).toMatchObject({ sequenceGaps: 1, samplesLost: 2, framesDecoded: 2 });
  });

  it('reports an index going backwards as a device restart', () => {
    const enc = new DeviceEncoder();
    const spec = { sampleRateHz: 1000, gainUvPerCount: 1, channelCount: 1, format: 'int16' as const };
    const bytes = Uint8Array.from([...enc.samplesCounts({ ...spec, startSample: 500 }, [1, 2]), ...enc.samplesCounts({ ...spec, startSample: 0 }, [3])]);
    const msgs = decode(bytes);
    expect(msgs.map((m) => m.kind)).toEqual(['block', 'index-restart', 'block']);
    expect(msgs[1]).toEqual({ kind: 'index-restart', expectedSample: 502, startSample: 0 });
  });
});

describe('other device messages', () => {
  it('round-trips DEVICE_INFO', () => {
    const info: WireDeviceInfo = { model: 'SDR-Amp 16 µ', firmware: '1.4.2', channelCount: 16, sampleRateHz: 10000, gainUvPerCount: 0.125, sampleFormat: 'int24', canStimulate: true };
    expect(decode(new DeviceEncoder().info(info))).toEqual([{ kind: 'info', info }]);
  });

  it('round-trips STIMULATION events with exact mA, Hz and seconds', () => {
    const enc = new DeviceEncoder();
    const bytes = Uint8Array.from([...enc.stimulation({ sampleIndex: 123456, stimulation: TRAIN }), ...enc.stimulation({ sampleIndex: 5, stimulation: SINGLE })]);
    expect(decode(bytes)).toEqual([
      { kind: 'stimulation', event: { sampleIndex: 123456, stimulation: TRAIN }, number: null },
      { kind: 'stimulation', event: { sampleIndex: 5, stimulation: SINGLE }, number: null },
    ]);
  });

  it('numbered STIMULATION (1.1) matches the documented vector and round-trips', () => {
    const bytes = new DeviceEncoder().stimulation({ sampleIndex: 1, stimulation: TRAIN }, 2);
    expect(Array.from(bytes)).toEqual(Array.from(hex(`
      a5 5a 01 03 00 00 20 00 21
      01 00 00 00 00 00 00 00 01 14 05 00 00 64 00 50 c3 00 00 e8 03 00 00 01 04 01 00 03
      02 00 00 00
      15 cf 79 b0`)));
    expect(decode(bytes)).toEqual([{ kind: 'stimulation', event: { sampleIndex: 1, stimulation: TRAIN }, number: 2 }]);
    expect(() => new DeviceEncoder().stimulation({ sampleIndex: 1, stimulation: TRAIN }, 0)).toThrow(RangeError);
    // number 0 is reserved: an intact frame carrying it is refused
    const zero = bytes.slice(9, 9 + 32);
    zero.fill(0, 28);
    expect(decode(encodeFrame(MSG.STIMULATION, 0, zero))[0]).toMatchObject({ kind: 'protocol-error', messageType: MSG.STIMULATION, message: 'stimulation: number 0 is reserved' });
  });

  it('encodes stimulation settings in microamps, millihertz and milliseconds', () => {
    const bytes = new DeviceEncoder().stimulation({ sampleIndex: 1, stimulation: TRAIN });
    const p = bytes.subarray(9, 9 + 28);
    expect(Array.from(p)).toEqual([
      1, 0, 0, 0, 0, 0, 0, 0, // sample index 1
      1, // train
      0x14, 0x05, 0, 0, // 1300 uA
      100, 0, // 100 us
      0x50, 0xc3, 0, 0, // 50000 mHz
      0xe8, 0x03, 0, 0, // 1000 ms
      1, 4, 1, 0, 3, // target: L5 (index 4), right, dorsal, rootlet 3
    ]);
  });

  it('round-trips STATUS, ERROR, ACK and PONG', () => {
    const enc = new DeviceEncoder();
    const status = {
      channels: [
        { channel: 0, electrodeOff: false, impedanceKohm: 4.7 },
        { channel: 5, electrodeOff: true, impedanceKohm: null },
      ],
      stimulatorFaults: ['open-circuit', 'interlock'] as const,
    };
    const bytes = Uint8Array.from([
      ...enc.status(status),
      ...enc.error({ code: 17, message: 'stimulator over temperature' }),
      ...enc.ack({ ackedSeq: 300, ackedType: MSG.TRIGGER, result: 'stimulator-unavailable' }),
      ...enc.pong(0xdeadbeef),
    ]);
    expect(decode(bytes)).toEqual([
      { kind: 'status', status: { channels: status.channels, stimulatorFaults: ['open-circuit', 'interlock'] } },
      { kind: 'device-error', error: { code: 17, message: 'stimulator over temperature' } },
      { kind: 'ack', ack: { ackedSeq: 300, ackedType: MSG.TRIGGER, result: 'stimulator-unavailable' } },
      { kind: 'pong', token: 0xdeadbeef },
    ]);
  });

  it('reports an intact frame with invalid content as a protocol error and keeps going', () => {
    const badStim = new DeviceEncoder().stimulation({ sampleIndex: 1, stimulation: TRAIN });
    // rewrite intensity to 200 mA (above the domain ceiling) and re-frame it
    const payload = badStim.slice(9, 9 + 28);
    payload.set([0x40, 0x0d, 0x03, 0x00], 9);
    const bytes = Uint8Array.from([...encodeFrame(MSG.STIMULATION, 0, payload), ...encodeFrame(0x42, 1, new Uint8Array(0)), ...new DeviceEncoder().pong(1)]);
    const msgs = decode(bytes);
    expect(msgs[0]).toMatchObject({ kind: 'protocol-error', messageType: MSG.STIMULATION });
    expect(msgs[0]?.kind === 'protocol-error' && msgs[0].message).toMatch(/intensityMa must be <= 100/);
    expect(msgs[1]).toMatchObject({ kind: 'protocol-error', messageType: 0x42, message: 'unknown device message type 0x42' });
    expect(msgs[2]?.kind).toBe('frames-lost'); // the pong restarts at sequence 0
    expect(msgs[3]).toEqual({ kind: 'pong', token: 1 });
  });
});

describe('host commands', () => {
  it('round-trip through HostEncoder and HostCommandDecoder with increasing sequence numbers', () => {
    const enc = new HostEncoder();
    const cmds: WireHostCommand[] = [
      { type: 'start' },
      { type: 'set-stimulation', stimulation: TRAIN },
      { type: 'trigger', target: { level: 'L5', side: 'R', kind: 'dorsal', rootlet: 3 } },
      { type: 'trigger', target: null },
      { type: 'ping' },
      { type: 'stop' },
    ];
    const encoded = cmds.map((c) => enc.command(c));
    expect(encoded.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    const info = enc.getInfo();
    const msgs = decodeHost(Uint8Array.from([...encoded.flatMap((e) => Array.from(e.bytes)), ...info.bytes]));
    expect(msgs).toEqual([
      ...cmds.map((command, seq) => (command.type === 'ping' ? { kind: 'command', seq, command, pingToken: seq } : { kind: 'command', seq, command })),
      { kind: 'get-info', seq: 6 },
    ]);
  });

  it('STIMULATION_ACK matches the documented vector', () => {
    const enc = new HostEncoder();
    for (let i = 0; i < 3; i++) enc.command({ type: 'ping' });
    const ack = enc.stimulationAck(7);
    expect(ack).toMatchObject({ seq: 3, type: MSG.STIMULATION_ACK });
    expect(Array.from(ack.bytes)).toEqual(Array.from(hex('a5 5a 01 87 03 00 04 00 f9 07 00 00 00 17 6e e1 bb')));
    expect(decodeHost(ack.bytes)).toEqual([{ kind: 'stimulation-ack', seq: 3, number: 7 }]);
    expect(decodeHost(encodeFrame(MSG.STIMULATION_ACK, 4, hex('00 00 00 00')))).toEqual([
      { kind: 'invalid', seq: 4, messageType: MSG.STIMULATION_ACK, result: 'invalid-parameters', message: 'stimulation ack: number 0 is reserved' },
    ]);
  });

  it('marks unknown and malformed host frames for refusal', () => {
    const msgs = decodeHost(Uint8Array.from([...encodeFrame(0x99, 0, new Uint8Array(0)), ...encodeFrame(MSG.TRIGGER, 1, hex('01 09 00 00 00')), ...encodeFrame(MSG.START, 2, hex('00'))]));
    expect(msgs).toEqual([
      { kind: 'invalid', seq: 0, messageType: 0x99, result: 'unsupported', message: 'unknown host message type 0x99' },
      { kind: 'invalid', seq: 1, messageType: MSG.TRIGGER, result: 'invalid-parameters', message: 'target: unknown level code 9' },
      { kind: 'invalid', seq: 2, messageType: MSG.START, result: 'invalid-parameters', message: 'start: payload must be empty' },
    ]);
  });
});
