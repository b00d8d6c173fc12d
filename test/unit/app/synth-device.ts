import type { DeviceEvents, DeviceInfo, Disposer, EmgDevice, HostCommand, LinkCounters } from '../../../hardware/device';
import type { Stimulation } from '../../../src/domain';
import { EmgSynthesizer, createVirtualPatient, type RootletOverride } from '../../../hardware/simulated';

/**
 * Test double of an EmgDevice that produces the real simulator's EMG (EmgSynthesizer over a seeded
 * virtual patient) without the wire protocol, faster than real time: every `tickMs` it emits
 * `samplesPerTick` samples. Used to test the app service's orchestration in isolation.
 */
export class SynthDevice implements EmgDevice {
  info: DeviceInfo | null = null;
  state: EmgDevice['state'] = 'closed';
  readonly synth: EmgSynthesizer;
  private armed: Stimulation | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly listeners: { [K in keyof DeviceEvents]: Set<DeviceEvents[K]> } = {
    info: new Set(), block: new Set(), stimulation: new Set(), 'stimulations-confirmed': new Set(), gap: new Set(), status: new Set(), error: new Set(), connection: new Set(),
  };
  private blocks = 0;
  /** Fault injection: the stimulator refuses commands (as a device NAKs an out-of-range setting). */
  refuseStimulation = false;
  /**
   * Behave as a device that confirms its stimulation reports (set before open): a stimulation is emitted
   * before the block holding its first pulse anyway, so every block's end is confirmed after it.
   */
  confirmsStimulations = false;

  constructor(seed: number, overrides: readonly RootletOverride[] = [], private readonly tickMs = 5, private readonly samplesPerTick = 1000) {
    const patient = createVirtualPatient({ seed, levels: ['L4', 'L5'], overrides });
    this.synth = new EmgSynthesizer({ patient, sampleRateHz: 10_000 });
  }

  counters(): LinkCounters {
    return { bytesReceived: this.blocks * 32 * this.samplesPerTick, framesDecoded: this.blocks, bytesDropped: 0, crcFailures: 0, sequenceGaps: 0, samplesLost: 0 };
  }

  private emit<K extends keyof DeviceEvents>(k: K, ...args: Parameters<DeviceEvents[K]>): void {
    for (const l of this.listeners[k]) (l as (...a: Parameters<DeviceEvents[K]>) => void)(...args);
  }

  async open(): Promise<void> {
    this.info = { model: 'synth', firmware: 'test', channelCount: 16, sampleRateHz: 10_000, canStimulate: true, confirmsStimulations: this.confirmsStimulations };
    this.state = 'open';
    this.emit('info', this.info);
    this.emit('connection', 'open');
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.state = 'closed';
    this.emit('connection', 'closed', 'deliberate');
  }

  async send(c: HostCommand): Promise<void> {
    if (c.type === 'start' && !this.timer) {
      this.timer = setInterval(() => {
        const b = this.synth.generate(this.samplesPerTick);
        this.blocks++;
        this.emit('block', b);
        if (this.confirmsStimulations) this.emit('stimulations-confirmed', b.startSample + b.samplesPerChannel);
      }, this.tickMs);
    } else if (c.type === 'stop') {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    } else if (c.type === 'set-stimulation' && this.refuseStimulation) {
      throw new Error('NAK: out of range');
    } else if (c.type === 'set-stimulation') {
      this.armed = c.stimulation;
    } else if (c.type === 'trigger') {
      if (!this.armed) throw new Error('not armed');
      const event = { sampleIndex: this.synth.nextSample, stimulation: this.armed };
      this.synth.stimulate(event);
      this.emit('stimulation', event);
    }
  }

  /** Fault injection: the device reports electrodes off. */
  reportElectrodeOff(channels: number[]): void {
    this.emit('status', Array.from({ length: 16 }, (_, channel) => ({ channel, electrodeOff: channels.includes(channel), impedanceKohm: null })));
  }

  on<K extends keyof DeviceEvents>(event: K, listener: DeviceEvents[K]): Disposer {
    this.listeners[event].add(listener);
    return () => { this.listeners[event].delete(listener); };
  }
}
