import { BlockAccumulator, CounterSet, type StreamEvent, type StreamingDecoder } from './decoder';
import type { LinkCounters } from '../device';

/**
 * OpenBCI Cyton (and Cyton + Daisy) serial stream decoder.
 *
 * Format (OpenBCI "Cyton Data Format", docs.openbci.com/Cyton/CytonDataFormat): 33-byte packets
 *   [0] 0xA0 header, [1] sample number 0..255, [2..25] 8 channels x 24-bit big-endian two's
 *   complement, [26..31] aux data (3 x 16-bit), [32] footer 0xC0..0xCF (low nibble = aux format).
 * Scale: uV per count = 4.5 V / gain / (2^23 - 1) x 1e6 (ADS1299 reference 4.5 V, default gain 24).
 * With the Daisy module the board sends 250 packets/s alternating: odd sample numbers carry the
 * board's channels 1-8, the following even number the Daisy's channels 9-16, so a 16-channel sample
 * is a pair and the effective rate is 125 Hz (pairing as in OpenBCI's own Python driver).
 * A packet-number jump becomes a SampleGap; there is no checksum, so a corrupted packet with a
 * valid header and footer cannot be detected (limits in hardware/thirdparty/README.md).
 */
export interface CytonOptions {
  /** true with the Daisy module: 16 channels at 125 Hz. */
  readonly daisy: boolean;
  /** Programmable gain of every channel (ADS1299: 1, 2, 4, 6, 8, 12, 24). Default 24. */
  readonly gain?: number;
  /** Samples per emitted block (default 25: 100 ms at 250 Hz). */
  readonly samplesPerBlock?: number;
}

export const CYTON_PACKET_BYTES = 33;
export const CYTON_HEADER = 0xa0;
const VREF_V = 4.5;
const ADS1299_GAINS = [1, 2, 4, 6, 8, 12, 24];

export function cytonUvPerCount(gain: number): number {
  return ((VREF_V / gain / (2 ** 23 - 1)) * 1e6);
}

export class CytonDecoder implements StreamingDecoder {
  readonly name: string;
  readonly channelCount: number;
  readonly sampleRateHz: number;
  readonly uvPerCount: number;
  private readonly daisy: boolean;
  private readonly packet = new Uint8Array(CYTON_PACKET_BYTES);
  private have = 0;
  private readonly acc: BlockAccumulator;
  private readonly c = new CounterSet();
  /** Unwrapped packet counter of the last packet (-1 before the first). */
  private lastPacket = -1;
  private lastRaw = 0;
  /** Unwrapped number of the first board (odd) packet; sample index = (packet - base) / 2. */
  private base = -1;
  private readonly boardUv = new Float32Array(8);
  private pendingBoard = -1;

  constructor(options: CytonOptions) {
    const gain = options.gain ?? 24;
    if (!ADS1299_GAINS.includes(gain)) throw new RangeError(`Cyton gain must be one of ${ADS1299_GAINS.join(', ')}, got ${gain}`);
    this.daisy = options.daisy;
    this.channelCount = options.daisy ? 16 : 8;
    this.sampleRateHz = options.daisy ? 125 : 250;
    this.uvPerCount = cytonUvPerCount(gain);
    this.name = options.daisy ? 'OpenBCI Cyton + Daisy' : 'OpenBCI Cyton';
    this.acc = new BlockAccumulator(this.channelCount, this.sampleRateHz, options.samplesPerBlock ?? 25);
  }

  counters(): LinkCounters {
    return this.c.snapshot();
  }

  flush(onEvent: (e: StreamEvent) => void): void {
    this.acc.flush(onEvent);
  }

  push(bytes: Uint8Array, onEvent: (e: StreamEvent) => void): void {
    this.c.bytesReceived += bytes.length;
    const p = this.packet;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.have === 0 && b !== CYTON_HEADER) {
        this.c.bytesDropped++;
        continue;
      }
      p[this.have++] = b;
      if (this.have < CYTON_PACKET_BYTES) continue;
      if ((p[32]! & 0xf0) === 0xc0) {
        this.have = 0;
        this.c.framesDecoded++;
        this.onPacket(onEvent);
        continue;
      }
      // bad footer: resynchronise at the next header byte inside the packet buffer
      let next = 1;
      while (next < CYTON_PACKET_BYTES && p[next] !== CYTON_HEADER) next++;
      this.c.bytesDropped += next;
      p.copyWithin(0, next, CYTON_PACKET_BYTES);
      this.have = CYTON_PACKET_BYTES - next;
    }
  }

  private channelUv(ch: number): number {
    const p = this.packet;
    const o = 2 + 3 * ch;
    return (((p[o]! << 24) | (p[o + 1]! << 16) | (p[o + 2]! << 8)) >> 8) * this.uvPerCount;
  }

  private onPacket(onEvent: (e: StreamEvent) => void): void {
    const raw = this.packet[1]!;
    let packetNo: number;
    if (this.lastPacket < 0) packetNo = raw;
    else {
      const step = (raw - this.lastRaw) & 0xff;
      // a repeated number (step 0) is taken as a full wrap of lost packets
      packetNo = this.lastPacket + (step === 0 ? 256 : step);
      if (step !== 1) this.c.sequenceGaps++;
    }
    this.lastPacket = packetNo;
    this.lastRaw = raw;

    if (!this.daisy) {
      if (this.base < 0) this.base = packetNo;
      this.place(packetNo - this.base, onEvent);
      for (let ch = 0; ch < 8; ch++) this.acc.set(ch, this.channelUv(ch));
      this.acc.commit(onEvent);
      return;
    }
    if (packetNo % 2 === 1) {
      // board packet (channels 1-8): wait for its Daisy partner
      if (this.base < 0) this.base = packetNo;
      for (let ch = 0; ch < 8; ch++) this.boardUv[ch] = this.channelUv(ch);
      this.pendingBoard = packetNo;
      return;
    }
    if (this.pendingBoard < 0 || this.pendingBoard !== packetNo - 1) return; // unpaired Daisy packet: its sample is incomplete
    this.place((this.pendingBoard - this.base) / 2, onEvent);
    this.pendingBoard = -1;
    for (let ch = 0; ch < 8; ch++) {
      this.acc.set(ch, this.boardUv[ch]!);
      this.acc.set(ch + 8, this.channelUv(ch));
    }
    this.acc.commit(onEvent);
  }

  /** Marks the samples between the last one and `sampleIndex` as missing. */
  private place(sampleIndex: number, onEvent: (e: StreamEvent) => void): void {
    const missing = sampleIndex - this.acc.nextSample;
    if (missing > 0) {
      this.c.samplesLost += missing;
      this.acc.gap(missing, onEvent);
    }
  }
}
