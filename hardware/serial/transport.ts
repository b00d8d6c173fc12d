import { SerialPort } from 'serialport';
import { TransportListeners, type ByteTransport } from '../device';
import { checkSerialPath } from './ports';

/** Largest single write handed to the port (a Linux tty buffer holds 4 KiB). */
const WRITE_PIECE_BYTES = 1024;

export interface SerialTransportOptions {
  /** Port path: /dev/ttyUSB0, /dev/ttyACM0, a pseudo-terminal, or COM3 on Windows. */
  readonly path: string;
  readonly baudRate: number;
}

/**
 * ByteTransport over a serial port (node-serialport). The only importer of `serialport`
 * (docs/ARCHITECTURE.md). Listeners survive re-opening, so a ProtocolDevice can reconnect on the
 * same transport. Each loss of the link is reported once: 'deliberate' after close(),
 * 'disconnected' when the port vanished (read/write error, end of file, device unplugged).
 */
export class SerialTransport extends TransportListeners implements ByteTransport {
  private port: SerialPort | null = null;
  private closingDeliberately = false;

  constructor(readonly options: SerialTransportOptions) {
    super();
    if (!Number.isInteger(options.baudRate) || options.baudRate <= 0) throw new RangeError(`baudRate must be a positive integer, got ${options.baudRate}`);
    if (typeof options.path !== 'string' || options.path.trim() === '') throw new RangeError('a serial port path is required');
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  async open(): Promise<void> {
    if (this.port) throw new Error(`${this.options.path} is already open`);
    await checkSerialPath(this.options.path);
    const port = new SerialPort({ path: this.options.path, baudRate: this.options.baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(new Error(`cannot open ${this.options.path}: ${err.message}`)) : resolve())));
    this.port = port;
    this.closingDeliberately = false;
    let reported = false;
    const lost = (reason: 'deliberate' | 'disconnected', detail?: string): void => {
      if (reported) return;
      reported = true;
      if (this.port === port) this.port = null;
      port.removeAllListeners('data');
      this.emitClose(reason, detail);
    };
    port.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      this.emitData(bytes);
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.closingDeliberately && !err?.disconnected) lost('deliberate');
      else lost('disconnected', err?.message ?? 'port closed unexpectedly');
    });
    // a pseudo-terminal whose other side went away reads end-of-file instead of failing
    port.on('end', () => {
      if (this.closingDeliberately) return;
      lost('disconnected', 'end of stream (the other side went away)');
      if (port.isOpen) port.close(() => {});
    });
    port.on('error', (err: Error) => {
      if (!this.closingDeliberately) lost('disconnected', err.message);
    });
  }

  async write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port || !port.isOpen) throw new Error(`${this.options.path} is not open`);
    // resolves once the bytes are handed to the OS; no tcdrain (it can block for long on a
    // pseudo-terminal whose reader is slow, and the device's ACK confirms delivery anyway).
    // Written in pieces smaller than a tty's buffer, so a write rarely meets a full buffer and has
    // to wait for the binding's writable poll (a large write to a pseudo-terminal under load could
    // stall there).
    for (let offset = 0; offset < bytes.byteLength; offset += WRITE_PIECE_BYTES) {
      const piece = bytes.subarray(offset, Math.min(bytes.byteLength, offset + WRITE_PIECE_BYTES));
      await new Promise<void>((resolve, reject) => {
        port.write(Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength), (err) => (err ? reject(err) : resolve()));
      });
    }
  }

  async close(): Promise<void> {
    const port = this.port;
    if (!port) return;
    this.closingDeliberately = true;
    if (!port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

}
