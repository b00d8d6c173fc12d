import { closeSync, fstatSync, openSync, readSync, writeSync, ftruncateSync, fsyncSync } from 'node:fs';

/**
 * Random-access bytes to read an EDF file from: a file on disk (read incrementally, never loaded
 * whole) or bytes in memory. `read` returns a fresh, 2-byte-aligned array the caller may keep.
 */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

export function bytesSource(bytes: Uint8Array, name = '(bytes)'): ByteSource {
  return {
    name,
    size: bytes.length,
    read(offset, length) {
      return bytes.slice(offset, Math.min(bytes.length, offset + length));
    },
    close() {},
  };
}

export function fileSource(path: string): ByteSource {
  let fd: number | null = openSync(path, 'r');
  const size = fstatSync(fd).size;
  return {
    name: path,
    size,
    read(offset, length) {
      if (fd === null) throw new Error(`${path}: read after close`);
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = readSync(fd, out, done, n - done, offset + done);
        if (got === 0) return out.subarray(0, done);
        done += got;
      }
      return out;
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}

/** Where the writer puts bytes: appended in order, plus one in-place patch (the record count). */
export interface ByteSink {
  append(bytes: Uint8Array): void;
  patch(offset: number, bytes: Uint8Array): void;
  /** Makes appended bytes durable (fsync for files); a no-op in memory. */
  flush(): void;
  close(): void;
}

/** Growable in-memory sink; `bytes()` returns what was written. */
export class MemorySink implements ByteSink {
  private buf = new Uint8Array(1 << 16);
  private length = 0;
  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + bytes.length) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }
  patch(offset: number, bytes: Uint8Array): void {
    if (offset + bytes.length > this.length) throw new Error('patch beyond the written bytes');
    this.buf.set(bytes, offset);
  }
  flush(): void {}
  close(): void {}
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** File sink; creates or truncates `path`. */
export function fileSink(path: string): ByteSink {
  let fd: number | null = openSync(path, 'w');
  ftruncateSync(fd, 0);
  let position = 0;
  const writeAll = (bytes: Uint8Array, at: number) => {
    if (fd === null) throw new Error(`${path}: write after close`);
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, at + done);
  };
  return {
    append(bytes) {
      writeAll(bytes, position);
      position += bytes.length;
    },
    patch(offset, bytes) {
      writeAll(bytes, offset);
    },
    flush() {
      if (fd !== null) fsyncSync(fd);
    },
    close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
