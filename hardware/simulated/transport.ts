import { TransportListeners, type ByteTransport, type Disposer } from '../device';
import { runRealtime, SimulatedFirmware, type RealtimeOptions, type SimulatedFirmwareOptions } from './firmware';

export interface SimulatedTransportOptions extends SimulatedFirmwareOptions {
  /**
   * 'realtime' (default): the device clock follows the wall clock. 'manual': nothing happens until the
   * owner calls `firmware.advanceSamples` (tests, as fast as possible).
   */
  readonly clock?: 'realtime' | 'manual';
  readonly realtime?: RealtimeOptions;
}

/**
 * The simulated device as an in-process ByteTransport: `new ProtocolDevice(new SimulatedTransport())`
 * is the app's default device. Bytes to and from the firmware are delivered asynchronously (as a real
 * link would), an unplug fault reports 'disconnected' and refuses open() until the device is back.
 */
export class SimulatedTransport extends TransportListeners implements ByteTransport {
  readonly firmware: SimulatedFirmware;
  private open_ = false;
  private poweredUp = false;
  private stopClock: Disposer | null = null;
  private readonly disposers: Disposer[];

  constructor(private readonly options: SimulatedTransportOptions = {}) {
    super();
    this.firmware = new SimulatedFirmware(options);
    this.disposers = [
      this.firmware.onOutput((bytes) => {
        if (!this.open_) return;
        const copy = bytes.slice();
        queueMicrotask(() => {
          if (this.open_) this.emitData(copy);
        });
      }),
      this.firmware.onLink((e) => {
        if (e.kind === 'unplugged' && this.open_) {
          this.open_ = false;
          this.emitClose('disconnected', `simulated device unplugged for ${e.durationS} s`);
        }
      }),
    ];
  }

  get isOpen(): boolean {
    return this.open_;
  }

  async open(): Promise<void> {
    if (this.open_) throw new Error('simulated device is already open');
    if (!this.firmware.isPlugged) throw new Error('simulated device is unplugged');
    this.open_ = true;
    if (!this.poweredUp) {
      this.poweredUp = true;
      this.firmware.powerUp();
    }
    if ((this.options.clock ?? 'realtime') === 'realtime' && !this.stopClock) this.stopClock = runRealtime(this.firmware, this.options.realtime);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (!this.open_) throw new Error('simulated device is not open');
    const copy = bytes.slice();
    queueMicrotask(() => this.firmware.receive(copy));
  }

  async close(): Promise<void> {
    const was = this.open_;
    this.open_ = false;
    this.stopClock?.();
    this.stopClock = null;
    if (was) this.emitClose('deliberate');
  }

  /** Stops the clock and detaches from the firmware; the transport cannot be used afterwards. */
  dispose(): void {
    this.open_ = false;
    this.stopClock?.();
    this.stopClock = null;
    for (const d of this.disposers) d();
  }

}
