import type { ChannelStatus, SampleBlock, SampleGap, Stimulation, StimulationEvent, StimulationTarget } from '../src/domain';
import type { ProtocolCounters } from '../src/protocol';

/**
 * The driver interface every EMG source implements: our own amplifier/stimulator over serial, the
 * simulated device, and third-party amplifiers. Shaped like node-serialport's bindings: small
 * open/close/send surface, deliberate close told apart from disconnection.
 */
export interface DeviceInfo {
  readonly model: string;
  readonly firmware: string;
  readonly channelCount: number;
  readonly sampleRateHz: number;
  /** True when the device can deliver stimulation (our stimulator, the simulator). */
  readonly canStimulate: boolean;
  /**
   * True when the device reports every stimulation before the samples of its first pulse and vouches for
   * that with 'stimulations-confirmed' events (a protocol 1.1 device, hardware/PROTOCOL.md "Reliable
   * stimulation records"): the analysis may then grade a train as soon as its window has arrived, instead of
   * waiting for late reports. False for devices that may report a stimulation after its samples.
   */
  readonly confirmsStimulations: boolean;
}

/** Commands the host sends; a device without a stimulator rejects stimulation commands. */
export type HostCommand =
  | { readonly type: 'start' }
  | { readonly type: 'stop' }
  | { readonly type: 'ping' }
  /** Arms the stimulator with these settings (target included when the host knows it). */
  | { readonly type: 'set-stimulation'; readonly stimulation: Stimulation }
  /** Delivers the armed stimulation now. */
  | { readonly type: 'trigger'; readonly target: StimulationTarget | null };

export type ConnectionState = 'closed' | 'opening' | 'open' | 'disconnected' | 'reconnecting';

/** Decoder health counters, shown in the UI and stored with the session (counted by src/protocol). */
export type LinkCounters = ProtocolCounters;

export interface DeviceEvents {
  info: (info: DeviceInfo) => void;
  block: (block: SampleBlock) => void;
  stimulation: (event: StimulationEvent) => void;
  /**
   * Only from a device whose info says `confirmsStimulations`: every stimulation whose first pulse is before
   * `throughSample` has been emitted ('stimulation'). Never goes backwards; held back while a report may be
   * missing (a lost frame, until the device's retransmission can have arrived).
   */
  'stimulations-confirmed': (throughSample: number) => void;
  gap: (gap: SampleGap) => void;
  status: (status: readonly ChannelStatus[]) => void;
  /** A device-reported or link error; the device stays usable unless `connection` says otherwise. */
  error: (message: string) => void;
  /** `reason` distinguishes a deliberate close from the port vanishing. */
  connection: (state: ConnectionState, reason?: string) => void;
}

export type Disposer = () => void;

export interface EmgDevice {
  /** Known after open (the device announces itself). */
  readonly info: DeviceInfo | null;
  readonly state: ConnectionState;
  counters(): LinkCounters;
  open(): Promise<void>;
  /** Deliberate close: no reconnect attempts follow. */
  close(): Promise<void>;
  send(command: HostCommand): Promise<void>;
  on<K extends keyof DeviceEvents>(event: K, listener: DeviceEvents[K]): Disposer;
}

/** A raw byte link (serial port, pseudo-terminal, in-process simulator) under a protocol device. */
export interface ByteTransport {
  open(): Promise<void>;
  write(bytes: Uint8Array): Promise<void>;
  /** Deliberate close. */
  close(): Promise<void>;
  onData(listener: (bytes: Uint8Array) => void): Disposer;
  /** Called once per loss of the link: 'deliberate' after close(), 'disconnected' when it vanished. */
  onClose(listener: (reason: 'deliberate' | 'disconnected', detail?: string) => void): Disposer;
}

export type TransportCloseListener = (reason: 'deliberate' | 'disconnected', detail?: string) => void;

/** The listener bookkeeping every ByteTransport shares: subscriptions return disposers; emits go to all. */
export abstract class TransportListeners {
  private readonly dataListeners = new Set<(bytes: Uint8Array) => void>();
  private readonly closeListeners = new Set<TransportCloseListener>();

  onData(listener: (bytes: Uint8Array) => void): Disposer {
    this.dataListeners.add(listener);
    return () => {
      this.dataListeners.delete(listener);
    };
  }

  onClose(listener: TransportCloseListener): Disposer {
    this.closeListeners.add(listener);
    return () => {
      this.closeListeners.delete(listener);
    };
  }

  protected emitData(bytes: Uint8Array): void {
    for (const l of this.dataListeners) l(bytes);
  }

  protected emitClose(reason: 'deliberate' | 'disconnected', detail?: string): void {
    for (const l of this.closeListeners) l(reason, detail);
  }
}
