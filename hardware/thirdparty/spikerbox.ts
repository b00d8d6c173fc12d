import { BlockAccumulator, CounterSet, type StreamEvent, type StreamingDecoder } from './decoder';
import type { LinkCounters } from '../device';

/**
 * Backyard Brains SpikerBox serial stream decoder.
 *
 * Format (Backyard Brains, "Guide for USB Communication with SpikerBox", version R7, April 2024,
 * docs.backyardbrains.com/software/spike-recorder/usb-communication-guide):
 * - a frame holds one sample of every channel, two bytes per sample; the most significant bit of a
 *   byte is the frame flag, set only on the first byte of a frame;
 * - a sample's high bits are in the first byte (3 bits for 10-bit devices, up to 7 for 14-bit
 *   ones) and its 7 low bits in the second: value = (hi & 0x7F) << 7 | (lo & 0x7F), unsigned,
 *   mid-scale 2^(bits-1) is 0 V;
 * - text messages from the device (`EVNT:2;`, `FWV:0.01;HWT:HUMANSB;...`) are embedded between
 *   the escape sequences FF FF 01 01 80 FF (start) and FF FF 01 01 81 FF (end), anywhere in the
 *   sample stream, even inside a frame.
 * The device sends no sample counter: a frame broken by a stray flag byte is dropped and recorded as
 * a one-sample gap; whole frames lost on the link cannot be detected. BYB publishes no calibrated
 * input gain, so microvolts per count is a required setting (limits in README.md).
 */
export interface SpikerBoxOptions {
  readonly channelCount: number;
  readonly sampleRateHz: number;
  /** ADC resolution: 10 (most boxes) or 14 (Human SpikerBox, Neuron Pro Mfi, Spike Station). */
  readonly bits: 10 | 14;
  /** Microvolts per ADC count at the electrodes (device-specific; no published default). */
  readonly uvPerCount: number;
  /** Samples per emitted block (default: 50 ms worth). */
  readonly samplesPerBlock?: number;
}

export const SPIKERBOX_ESCAPE_START = Uint8Array.of(0xff, 0xff, 0x01, 0x01, 0x80, 0xff);
export const SPIKERBOX_ESCAPE_END = Uint8Array.of(0xff, 0xff, 0x01, 0x01, 0x81, 0xff);
const ESCAPE_LENGTH = 6;
const MAX_MESSAGE_BYTES = 256;

export class SpikerBoxDecoder implements StreamingDecoder {
  readonly name = 'Backyard Brains SpikerBox';
  readonly channelCount: number;
  readonly sampleRateHz: number;
  private readonly uvPerCount: number;
  private readonly midScale: number;
  private readonly frameBytes: number;
  private readonly acc: BlockAccumulator;
  private readonly c = new CounterSet();
  private readonly frame: Uint8Array;
  private have = 0;
  /** Bytes held back while they match the beginning of an escape sequence. */
  private readonly held = new Uint8Array(ESCAPE_LENGTH);
  private heldCount = 0;
  private inMessage = false;
  private readonly message = new Uint8Array(MAX_MESSAGE_BYTES);
  private messageLength = 0;
  private messageOverflow = false;
  private readonly text = new TextDecoder('latin1');

  constructor(options: SpikerBoxOptions) {
    if (!Number.isInteger(options.channelCount) || options.channelCount < 1 || options.channelCount > 6) throw new RangeError(`SpikerBox channelCount must be 1..6, got ${options.channelCount}`);
    if (!(options.sampleRateHz > 0)) throw new RangeError(`sampleRateHz must be positive, got ${options.sampleRateHz}`);
    if (options.bits !== 10 && options.bits !== 14) throw new RangeError(`bits must be 10 or 14, got ${String(options.bits)}`);
    if (!(options.uvPerCount > 0) || !Number.isFinite(options.uvPerCount)) throw new RangeError(`uvPerCount must be positive, got ${options.uvPerCount}`);
    this.channelCount = options.channelCount;
    this.sampleRateHz = options.sampleRateHz;
    this.uvPerCount = options.uvPerCount;
    this.midScale = 2 ** (options.bits - 1);
    this.frameBytes = 2 * options.channelCount;
    this.frame = new Uint8Array(this.frameBytes);
    this.acc = new BlockAccumulator(this.channelCount, this.sampleRateHz, options.samplesPerBlock ?? Math.max(1, Math.round(this.sampleRateHz / 20)));
  }

  counters(): LinkCounters {
    return this.c.snapshot();
  }

  flush(onEvent: (e: StreamEvent) => void): void {
    this.acc.flush(onEvent);
  }

  push(bytes: Uint8Array, onEvent: (e: StreamEvent) => void): void {
    this.c.bytesReceived += bytes.length;
    for (let i = 0; i < bytes.length; i++) this.scan(bytes[i]!, onEvent);
  }

  /** Escape-sequence layer: holds back bytes while they could begin the sequence being watched for. */
  private scan(b: number, onEvent: (e: StreamEvent) => void): void {
    const pattern = this.inMessage ? SPIKERBOX_ESCAPE_END : SPIKERBOX_ESCAPE_START;
    this.held[this.heldCount++] = b;
    // release bytes from the front until what is held is again a prefix of the pattern
    while (this.heldCount > 0 && !this.heldIsPrefix(pattern)) {
      const first = this.held[0]!;
      this.held.copyWithin(0, 1, this.heldCount);
      this.heldCount--;
      this.deliver(first, onEvent);
    }
    if (this.heldCount === ESCAPE_LENGTH) {
      this.heldCount = 0;
      if (this.inMessage) this.endMessage(onEvent);
      else {
        this.inMessage = true;
        this.messageLength = 0;
        this.messageOverflow = false;
      }
    }
  }

  private heldIsPrefix(pattern: Uint8Array): boolean {
    for (let k = 0; k < this.heldCount; k++) if (this.held[k] !== pattern[k]) return false;
    return true;
  }

  private deliver(b: number, onEvent: (e: StreamEvent) => void): void {
    if (this.inMessage) {
      if (this.messageLength < MAX_MESSAGE_BYTES) this.message[this.messageLength++] = b;
      else this.messageOverflow = true;
      return;
    }
    this.frameByte(b, onEvent);
  }

  private endMessage(onEvent: (e: StreamEvent) => void): void {
    this.inMessage = false;
    if (this.messageOverflow) {
      this.c.bytesDropped += this.messageLength;
      onEvent({ kind: 'message', text: `(device message longer than ${MAX_MESSAGE_BYTES} bytes dropped)` });
      return;
    }
    const body = this.text.decode(this.message.subarray(0, this.messageLength));
    for (const part of body.split(';')) {
      const text = part.trim();
      if (text === '') continue;
      if (text.startsWith('EVNT:')) onEvent({ kind: 'marker', sampleIndex: this.acc.nextSample, text });
      else onEvent({ kind: 'message', text });
    }
  }

  /** Frame layer: the flag bit starts a frame; a flag inside a frame means the frame was broken. */
  private frameByte(b: number, onEvent: (e: StreamEvent) => void): void {
    if (b & 0x80) {
      if (this.have > 0) {
        this.c.bytesDropped += this.have;
        this.c.samplesLost++;
        this.c.sequenceGaps++;
        this.acc.gap(1, onEvent);
      }
      this.frame[0] = b;
      this.have = 1;
      return;
    }
    if (this.have === 0) {
      this.c.bytesDropped++;
      return;
    }
    this.frame[this.have++] = b;
    if (this.have < this.frameBytes) return;
    this.have = 0;
    this.c.framesDecoded++;
    const f = this.frame;
    for (let ch = 0; ch < this.channelCount; ch++) {
      const value = ((f[2 * ch]! & 0x7f) << 7) | (f[2 * ch + 1]! & 0x7f);
      this.acc.set(ch, (value - this.midScale) * this.uvPerCount);
    }
    this.acc.commit(onEvent);
  }
}
