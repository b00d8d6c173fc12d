/**
 * Checksums of the sdrlog wire protocol (hardware/PROTOCOL.md, "Checksums").
 *
 * - Header check: CRC-8/SMBUS (poly 0x07, init 0x00, no reflection, xorout 0x00);
 *   check value over ASCII "123456789" is 0xF4.
 * - Frame check: CRC-32/ISO-HDLC (the zlib/Ethernet CRC: reflected poly 0xEDB88320, init 0xFFFFFFFF,
 *   xorout 0xFFFFFFFF); check value over ASCII "123456789" is 0xCBF43926.
 * Both are table driven; the tables are built once at module load.
 */

const CRC8_TABLE = new Uint8Array(256);
/** Slicing-by-8 tables: T[k] at offset 256*k; T[0] is the classic byte table. */
const CRC32_TABLES = new Int32Array(256 * 8);
const CRC32_TABLE = CRC32_TABLES.subarray(0, 256);

for (let n = 0; n < 256; n++) {
  let c8 = n;
  for (let k = 0; k < 8; k++) c8 = c8 & 0x80 ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
  CRC8_TABLE[n] = c8;
  let c32 = n;
  for (let k = 0; k < 8; k++) c32 = c32 & 1 ? 0xedb88320 ^ (c32 >>> 1) : c32 >>> 1;
  CRC32_TABLE[n] = c32;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 8; k++) {
    const prev = CRC32_TABLES[256 * (k - 1) + n]!;
    CRC32_TABLES[256 * k + n] = (prev >>> 8) ^ CRC32_TABLE[prev & 0xff]!;
  }
}

/** CRC-8/SMBUS over bytes[start, end). */
export function crc8(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0;
  for (let i = start; i < end; i++) c = CRC8_TABLE[(c ^ bytes[i]!) & 0xff]!;
  return c;
}

/** Continues a CRC-32 computation: pass the previous raw state (initially 0xFFFFFFFF as -1). */
export function crc32Update(state: number, bytes: Uint8Array, start: number, end: number): number {
  const t = CRC32_TABLES;
  let c = state;
  let i = start;
  // slicing-by-8: eight bytes per step through eight tables (the byte loop is ~5x slower in V8)
  for (const last8 = end - 8; i <= last8; i += 8) {
    c ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    c =
      t[1792 + (c & 0xff)]! ^
      t[1536 + ((c >>> 8) & 0xff)]! ^
      t[1280 + ((c >>> 16) & 0xff)]! ^
      t[1024 + (c >>> 24)]! ^
      t[768 + bytes[i + 4]!]! ^
      t[512 + bytes[i + 5]!]! ^
      t[256 + bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return c;
}

/** CRC-32/ISO-HDLC over bytes[start, end), as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return (crc32Update(-1, bytes, start, end) ^ -1) >>> 0;
}

/** Finishes a CRC-32 started with `crc32Update(-1, ...)`. */
export function crc32Final(state: number): number {
  return (state ^ -1) >>> 0;
}
