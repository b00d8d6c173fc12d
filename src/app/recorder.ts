import {
  channelSamples,
  makeStimulation,
  type ChannelStatus,
  type Level,
  type SampleBlock,
  type Side,
  type StimulationEvent,
  type StimulationTarget,
} from '../domain';
import type { CaseStore, RawWriter } from '../storage';
import type { Disposer, EmgDevice, LinkCounters } from '../../hardware/device';

/**
 * Records a live device session into the case store: every sample block as raw chunks, every gap the
 * device reports (sequence gaps, disconnections) as a marked gap, every stimulation, electrode on/off
 * changes, connection changes and the link counters. Device events go straight to durable storage; the
 * app and the `sdrlog record` command share this.
 */

export interface RecorderStats {
  readonly blocks: number;
  readonly samples: number;
  readonly gaps: number;
  readonly gapSamples: number;
  readonly stimulations: number;
  readonly deviceErrors: number;
  readonly disconnections: number;
  /** Failures to store (should stay 0); each is also recorded as an alarm when possible. */
  readonly storeFailures: number;
}

export interface SessionRecorderOptions {
  readonly store: CaseStore;
  readonly caseId: string;
  /** An opened device (its info is known). */
  readonly device: EmgDevice;
  readonly montageId?: number | null;
  readonly actor?: string;
  /** Raw flush interval, ms (default 1000: a crash loses at most about a second of raw EMG). */
  readonly rawFlushMs?: number;
}

export class SessionRecorder {
  readonly sessionId: number;
  private readonly store: CaseStore;
  private readonly device: EmgDevice;
  private readonly raw: RawWriter;
  private readonly disposers: Disposer[] = [];
  private readonly electrodeOff = new Map<number, boolean>();
  private readonly listeners = new Set<(e: StimulationEvent) => void>();
  private readonly blockListeners = new Set<(b: SampleBlock) => void>();
  private stopped = false;
  private s = { blocks: 0, samples: 0, gaps: 0, gapSamples: 0, stimulations: 0, deviceErrors: 0, disconnections: 0, storeFailures: 0 };

  constructor(options: SessionRecorderOptions) {
    const info = options.device.info;
    if (!info) throw new Error('the device must be open (its info known) before recording');
    this.store = options.store;
    this.device = options.device;
    if (!options.store.cases.get(options.caseId)) throw new Error(`no case '${options.caseId}' in ${options.store.path}`);
    const session = options.store.sessions.start({
      caseId: options.caseId, source: 'live', sampleRateHz: info.sampleRateHz, channelCount: info.channelCount,
      montageId: options.montageId ?? null, deviceInfo: { ...info }, actor: options.actor,
    });
    this.sessionId = session.id;
    this.raw = options.store.raw.writer(session.id, { flushIntervalMs: options.rawFlushMs ?? 1000 });
    const d = options.device;
    this.disposers.push(
      d.on('block', (b) => this.guard('raw block', () => {
        this.raw.append(b);
        this.s.blocks++;
        this.s.samples += b.samplesPerChannel;
        for (const l of this.blockListeners) l(b);
      })),
      d.on('gap', (g) => this.guard('gap', () => {
        this.raw.appendGap(g);
        this.s.gaps++;
        this.s.gapSamples += g.lengthSamples;
      })),
      d.on('stimulation', (e) => this.guard('stimulation', () => {
        this.store.stimulations.record(this.sessionId, e);
        this.s.stimulations++;
        for (const l of this.listeners) l(e);
      })),
      d.on('status', (channels) => this.guard('status', () => this.onStatus(channels))),
      d.on('error', (message) => this.guard('device error', () => {
        this.s.deviceErrors++;
        this.store.events.record(this.sessionId, { kind: 'device', message });
      })),
      d.on('connection', (state, reason) => this.guard('connection', () => {
        if (state === 'disconnected') this.s.disconnections++;
        this.store.events.record(this.sessionId, { kind: 'device', message: `connection ${state}${reason ? `: ${reason}` : ''}`, data: { state, counters: { ...d.counters() } } });
      })),
    );
  }

  stats(): RecorderStats {
    return { ...this.s };
  }

  /** Called for every stored stimulation (after it is durable). */
  onStimulation(listener: (e: StimulationEvent) => void): Disposer {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Called for every block after it is handed to the raw writer. */
  onBlock(listener: (b: SampleBlock) => void): Disposer {
    this.blockListeners.add(listener);
    return () => {
      this.blockListeners.delete(listener);
    };
  }

  /** Stops listening, writes the remaining raw data and the link counters, and ends the session cleanly. */
  stop(): { stats: RecorderStats; counters: LinkCounters } {
    const counters = { ...this.device.counters() };
    if (this.stopped) return { stats: this.stats(), counters };
    this.stopped = true;
    for (const d of this.disposers) d();
    this.raw.close();
    this.store.events.record(this.sessionId, { kind: 'device', message: 'session ended: link counters', data: { counters, recorder: { ...this.s } } });
    this.store.sessions.end(this.sessionId, true);
    return { stats: this.stats(), counters };
  }

  private onStatus(channels: readonly ChannelStatus[]): void {
    for (const c of channels) {
      const was = this.electrodeOff.get(c.channel) ?? false;
      if (c.electrodeOff !== was) {
        this.electrodeOff.set(c.channel, c.electrodeOff);
        this.store.events.record(this.sessionId, {
          kind: c.electrodeOff ? 'electrode-off' : 'electrode-on', channel: c.channel,
          message: `channel ${c.channel} electrode ${c.electrodeOff ? 'off' : 'back on'}`,
        });
      }
    }
  }

  private guard(what: string, fn: () => void): void {
    if (this.stopped) return;
    try {
      fn();
    } catch (e) {
      this.s.storeFailures++;
      const message = `${what} could not be stored: ${e instanceof Error ? e.message : String(e)}`;
      try {
        this.store.events.record(this.sessionId, { kind: 'alarm', message });
      } catch {
        // the store itself is failing; the counter above still shows it
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Stimulation scripts the recorder can drive (`sdrlog record --script`).

export const STIMULATION_SCRIPTS = ['ramps-and-trains', 'none'] as const;
export type StimulationScriptName = (typeof STIMULATION_SCRIPTS)[number];

export interface ScriptOptions {
  readonly levels: readonly Level[];
  readonly sides: readonly Side[];
  readonly rootletsPerRoot: number;
  /** Stops the script (checked between steps). */
  readonly signal: AbortSignal;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called when a step fails (a refused or lost command); the script carries on with the next step. */
  readonly onProblem?: (message: string) => void;
}

/** Working definition of "a response" for the ramp: a deflection of at least 100 uV 8-50 ms after the pulse. */
export const RAMP_RESPONSE_UV = 100;
const RAMP_START_MA = 0.2;
const RAMP_FACTOR = 1.25;
const RAMP_MAX_MA = 8;

/**
 * Threshold ramps and test trains (shared domain notes, "Stimulation"): per rootlet, single 200 us
 * pulses at about 1 Hz from 0.2 mA stepping x1.25 until a response (RAMP_RESPONSE_UV in any channel 8-50 ms
 * after the pulse) or 8 mA, then a 50 Hz, 1 s train at that intensity. Sees the EMG through `recorder`.
 */
export async function runRampsAndTrains(device: EmgDevice, recorder: SessionRecorder, options: ScriptOptions): Promise<number> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const fs = device.info?.sampleRateHz ?? 10_000;
  // Track the largest deflection in the response window after the latest pulse.
  let window: { from: number; to: number; peakUv: number } | null = null;
  const stopWatching = recorder.onBlock((b) => {
    const w = window;
    if (!w) return;
    const from = Math.max(w.from, b.startSample);
    const to = Math.min(w.to, b.startSample + b.samplesPerChannel);
    if (from >= to) return;
    for (let c = 0; c < b.channelCount; c++) {
      const x = channelSamples(b, c);
      for (let s = from; s < to; s++) w.peakUv = Math.max(w.peakUv, Math.abs(x[s - b.startSample]!));
    }
  });
  const stopStims = recorder.onStimulation((e) => {
    if (e.stimulation.mode === 'single') window = { from: e.sampleIndex + Math.round(0.008 * fs), to: e.sampleIndex + Math.round(0.05 * fs), peakUv: 0 };
  });
  let delivered = 0;
  const attempt = async (what: string, fn: () => Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (e) {
      options.onProblem?.(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  };
  try {
    for (const level of options.levels) {
      for (const side of options.sides) {
        for (let n = 1; n <= options.rootletsPerRoot; n++) {
          const target: StimulationTarget = { level, side, kind: 'dorsal', rootlet: n };
          let ma = RAMP_START_MA;
          let found: number | null = null;
          while (ma <= RAMP_MAX_MA) {
            if (options.signal.aborted) return delivered;
            const intensityMa = Math.round(ma * 100) / 100;
            window = null;
            const ok = await attempt(`single pulse ${intensityMa} mA`, async () => {
              await device.send({ type: 'set-stimulation', stimulation: makeStimulation({ mode: 'single', intensityMa, pulseWidthUs: 200, target }) });
              await device.send({ type: 'trigger', target });
            });
            if (ok) delivered++;
            await sleep(1000);
            const peak = (window as { peakUv: number } | null)?.peakUv ?? 0;
            if (ok && peak >= RAMP_RESPONSE_UV) {
              found = intensityMa;
              break;
            }
            ma *= RAMP_FACTOR;
          }
          if (options.signal.aborted) return delivered;
          const trainMa = found ?? RAMP_MAX_MA;
          const ok = await attempt(`train ${trainMa} mA`, async () => {
            await device.send({ type: 'set-stimulation', stimulation: makeStimulation({ mode: 'train', intensityMa: trainMa, pulseWidthUs: 200, rateHz: 50, durationS: 1, target }) });
            await device.send({ type: 'trigger', target });
          });
          if (ok) delivered++;
          await sleep(3000);
        }
      }
    }
    return delivered;
  } finally {
    stopWatching();
    stopStims();
  }
}
