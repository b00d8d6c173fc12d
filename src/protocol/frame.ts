import { crc8, crc32, crc32Final, crc32Update } from './crc';

/**
 * Frame layer of the sdrlog wire protocol (hardware/PROTOCOL.md, "Frame"):
 *
 *   offset  size  field
 *   0       2     sync 0xA5 0x5A
 *   2       1     protocol version (1)
 *   3       1     message type
 *   4       2     sequence number, uint16 LE, +1 per frame per direction, wraps
 *   6       2     payload length N, uint16 LE, <= MAX_PAYLOAD_BYTES
 *   8       1     header check: CRC-8/SMBUS over bytes 2..7
 *   9       N     payload
 *   9+N     4     frame check: CRC-32/ISO-HDLC over bytes 2..8+N, uint32 LE
 */
export const SYNC0 = 0xa5;
export const SYNC1 = 0x5a;
export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 9;
export const TRAILER_BYTES = 4;
export const FRAME_OVERHEAD_BYTES = HEADER_BYTES + TRAILER_BYTES;
export const MAX_PAYLOAD_BYTES = 16384;
export const MAX_FRAME_BYTES = FRAME_OVERHEAD_BYTES + MAX_PAYLOAD_BYTES;

/** Encodes one frame. Throws RangeError on a caller bug (payload too long, bad type or sequence). */
export function encodeFrame(type: number, seq: number, payload: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`message type must be a byte, got ${type}`);
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) throw new RangeError(`sequence number must be uint16, got ${seq}`);
  if (payload.length > MAX_PAYLOAD_BYTES) throw new RangeError(`payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  const frame = new Uint8Array(FRAME_OVERHEAD_BYTES + payload.length);
  frame[0] = SYNC0;
  frame[1] = SYNC1;
  frame[2] = PROTOCOL_VERSION;
  frame[3] = type;
  frame[4] = seq & 0xff;
  frame[5] = seq >>> 8;
  frame[6] = payload.length & 0xff;
  frame[7] = payload.length >>> 8;
  frame[8] = crc8(frame, 2, 8);
  frame.set(payload, HEADER_BYTES);
  const end = HEADER_BYTES + payload.length;
  const c = crc32(frame, 2, end);
  frame[end] = c & 0xff;
  frame[end + 1] = (c >>> 8) & 0xff;
  frame[end + 2] = (c >>> 16) & 0xff;
  frame[end + 3] = c >>> 24;
  return frame;
}

/**
 * A decoded frame. `payload` is a view into the decoder's buffer: valid only during the callback
 * (copy it to keep it). The same object is reused for every frame.
 */
export interface RawFrame {
  type: number;
  seq: number;
  payload: Uint8Array;
}

/** Health of the byte link as seen by the frame layer. */
export interface FrameCounters {
  readonly bytesReceived: number;
  readonly framesDecoded: number;
  /** Bytes discarded while searching for a valid frame (noise, corrupted frames, partial frames). */
  readonly bytesDropped: number;
  /** Candidate frames whose header passed but whose CRC-32 did not. */
  readonly crcFailures: number;
  /** Candidate headers rejected (wrong version, header CRC, impossible length). */
  readonly headerFailures: number;
  /** Places where the sequence number skipped (one per skip, whatever its size). */
  readonly sequenceGaps: number;
  /** Frames the sequence numbers say were lost. */
  readonly framesLost: number;
}

export interface FrameDecoderOptions {
  /** Largest payload accepted; longer lengths are treated as corruption. Default MAX_PAYLOAD_BYTES. */
  readonly maxPayloadBytes?: number;
}

/**
 * Streaming frame decoder over a preallocated ring buffer (no allocation per byte; one payload view
 * per frame). Never throws on any input. After corruption it rescans from the byte after the false
 * sync, so the first intact frame after a damaged region is always found (hardware/PROTOCOL.md,
 * "Resynchronisation").
 */
export class FrameDecoder {
  private readonly maxPayload: number;
  private readonly ring: Uint8Array;
  private readonly mask: number;
  /** Contiguous copy of a payload that wraps around the end of the ring. */
  private readonly scratch: Uint8Array;
  private readonly frame: RawFrame = { type: 0, seq: 0, payload: new Uint8Array(0) };
  private r = 0;
  private w = 0;
  private lastSeq = -1;
  private bytesReceived = 0;
  private framesDecoded = 0;
  private bytesDropped = 0;
  private crcFailures = 0;
  private headerFailures = 0;
  private sequenceGaps = 0;
  private framesLost = 0;

  constructor(options: FrameDecoderOptions = {}) {
    const maxPayload = options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
    if (!Number.isInteger(maxPayload) || maxPayload < 0 || maxPayload > 0xffff) throw new RangeError(`maxPayloadBytes must be 0..65535, got ${maxPayload}`);
    this.maxPayload = maxPayload;
    // at least two whole frames, so a full frame always fits behind a partial one
    let cap = 1024;
    while (cap < 2 * (maxPayload + FRAME_OVERHEAD_BYTES)) cap *= 2;
    this.ring = new Uint8Array(cap);
    this.mask = cap - 1;
    this.scratch = new Uint8Array(maxPayload);
  }

  /** Frames lost so far according to sequence numbers (cheap: no counters object). */
  get framesLostCount(): number {
    return this.framesLost;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.w - this.r;
  }

  counters(): FrameCounters {
    return {
      bytesReceived: this.bytesReceived,
      framesDecoded: this.framesDecoded,
      bytesDropped: this.bytesDropped,
      crcFailures: this.crcFailures,
      headerFailures: this.headerFailures,
      sequenceGaps: this.sequenceGaps,
      framesLost: this.framesLost,
    };
  }

  /** Forgets buffered bytes (counted as dropped) and the sequence number, e.g. after a reconnection. */
  reset(): void {
    this.bytesDropped += this.w - this.r;
    this.r = 0;
    this.w = 0;
    this.lastSeq = -1;
  }

  /**
   * Feeds bytes; `onFrame` is called for every intact frame, in order. If `onFrame` throws, the
   * exception propagates after the decoder state has been advanced past that frame.
   */
  push(bytes: Uint8Array, onFrame: (frame: RawFrame) => void): void {
    this.bytesReceived += bytes.length;
    const cap = this.ring.length;
    let offset = 0;
    while (offset < bytes.length) {
      const free = cap - (this.w - this.r);
      const n = Math.min(free, bytes.length - offset);
      const at = this.w & this.mask;
      const first = Math.min(n, cap - at);
      this.ring.set(bytes.subarray(offset, offset + first), at);
      if (first < n) this.ring.set(bytes.subarray(offset + first, offset + n), 0);
      this.w += n;
      offset += n;
      this.parse(onFrame);
    }
  }

  private at(i: number): number {
    return this.ring[i & this.mask]!;
  }

  private parse(onFrame: (frame: RawFrame) => void): void {
    const ring = this.ring;
    const mask = this.mask;
    for (;;) {
      // hunt for the first sync byte
      let r = this.r;
      const w = this.w;
      while (r < w && ring[r & mask] !== SYNC0) r++;
      this.bytesDropped += r - this.r;
      this.r = r;
      const avail = w - r;
      if (avail < 2) return;
      if (ring[(r + 1) & mask] !== SYNC1) {
        this.drop1();
        continue;
      }
      if (avail < HEADER_BYTES) return;
      const version = this.at(r + 2);
      const len = this.at(r + 6) | (this.at(r + 7) << 8);
      let hc = 0;
      // CRC-8 of header bytes 2..7 straight from the ring (may wrap)
      for (let i = 2; i < 8; i++) hc = crc8Step(hc, this.at(r + i));
      if (version !== PROTOCOL_VERSION || hc !== this.at(r + 8) || len > this.maxPayload) {
        this.headerFailures++;
        this.drop1();
        continue;
      }
      const total = FRAME_OVERHEAD_BYTES + len;
      if (avail < total) return;
      const start = (r + 2) & mask;
      const end = (r + HEADER_BYTES + len) & mask;
      let state: number;
      if (start <= end || end === 0) {
        state = crc32Update(-1, ring, start, end === 0 && start > 0 ? ring.length : end);
      } else {
        state = crc32Update(crc32Update(-1, ring, start, ring.length), ring, 0, end);
      }
      const t = r + HEADER_BYTES + len;
      const stored = (this.at(t) | (this.at(t + 1) << 8) | (this.at(t + 2) << 16) | (this.at(t + 3) << 24)) >>> 0;
      if (crc32Final(state) !== stored) {
        this.crcFailures++;
        this.drop1();
        continue;
      }
      // intact frame
      const f = this.frame;
      f.type = this.at(r + 3);
      f.seq = this.at(r + 4) | (this.at(r + 5) << 8);
      const p0 = (r + HEADER_BYTES) & mask;
      if (p0 + len <= ring.length) {
        f.payload = ring.subarray(p0, p0 + len);
      } else {
        const firstPart = ring.length - p0;
        this.scratch.set(ring.subarray(p0), 0);
        this.scratch.set(ring.subarray(0, len - firstPart), firstPart);
        f.payload = this.scratch.subarray(0, len);
      }
      if (this.lastSeq >= 0) {
        const skipped = (f.seq - this.lastSeq - 1) & 0xffff;
        if (skipped !== 0) {
          this.sequenceGaps++;
          this.framesLost += skipped;
        }
      }
      this.lastSeq = f.seq;
      this.r = r + total;
      this.framesDecoded++;
      // rebase the absolute indices now and then so they stay small integers
      if (this.r > 0x40000000) {
        const base = this.r - (this.r & mask);
        this.r -= base;
        this.w -= base;
      }
      onFrame(f);
    }
  }

  private drop1(): void {
    this.r++;
    this.bytesDropped++;
  }
}

const CRC8_STEP = new Uint8Array(256);
for (let n = 0; n < 256; n++) CRC8_STEP[n] = crc8(Uint8Array.of(n));

function crc8Step(c: number, b: number): number {
  return CRC8_STEP[(c ^ b) & 0xff]!;
}
