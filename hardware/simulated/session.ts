import {
  channelName,
  makeStimulation,
  type Level,
  type Montage,
  type SampleBlock,
  type Side,
  type SpreadGrade,
  type StimulationEvent,
  type StimulationTarget,
  type WaveformPattern,
} from '../../src/domain';
import { EmgSynthesizer, type SignalConditions } from './emg';
import { createVirtualPatient, gradeOfSustainedSet, patientTruth, type VirtualPatient, type VirtualPatientOptions } from './patient';
import { SeededRandom } from './random';

/**
 * A whole simulated monitoring session, scripted the way a neurophysiologist works through a case
 * (shared domain notes, "Stimulation"): for each level and side, a ventral-root check with low-intensity
 * single pulses, then for each dorsal rootlet a threshold ramp of single pulses at about 1 Hz stepping
 * x1.25 until a response appears, one repeat pulse to confirm it, and a 50 Hz, 1 s test train at
 * threshold (sometimes repeated). Deterministic for a seed; the samples do not depend on block size.
 */

export interface SessionConditions extends SignalConditions {
  /** Test-train length, s; default 1 (short trains make grading harder). */
  readonly trainDurationS?: number;
  /** Test-train rate, Hz; default 50. */
  readonly trainRateHz?: number;
  /** Pulse width of every pulse, us; default 200. */
  readonly pulseWidthUs?: number;
  /** Chance that a rootlet's train is repeated; default 0.25. */
  readonly repeatTrainChance?: number;
  /** Adds, per root, one single pulse at 20x the first rootlet's threshold (direct M response). */
  readonly highIntensityChecks?: boolean;
}

export interface SimulateSessionOptions {
  readonly seed: number;
  readonly levels?: readonly Level[];
  readonly sides?: readonly Side[];
  /** Cuts the script (and the signal) at this length; default: until the script ends, plus 2 s. */
  readonly durationS?: number;
  /** Default 10 kHz; 5-20 kHz are realistic. */
  readonly sampleRateHz?: number;
  readonly conditions?: SessionConditions;
  /** Patient options beyond seed, levels and sides (montage, thresholds, overrides). */
  readonly patient?: Omit<VirtualPatientOptions, 'seed' | 'levels' | 'sides'>;
}

/** What a test train should be graded as, per the patient's truth. */
export interface TrainTruth {
  /** Index of the train in `events`. */
  readonly eventIndex: number;
  readonly sampleIndex: number;
  readonly onsetS: number;
  readonly target: StimulationTarget;
  readonly intensityMa: number;
  readonly thresholdMa: number;
  /** Physiological grade (0 below threshold). */
  readonly grade: SpreadGrade;
  readonly pattern: WaveformPattern;
  /** The sustained responders S, as "side muscle" names, strongest first. */
  readonly responding: readonly string[];
  readonly sustainedChannels: readonly number[];
  /** Grade from the responders that can actually be seen (dead and mains-only channels removed). */
  readonly observableGrade: SpreadGrade;
}

/** One threshold ramp's truth: the intensity at which the script saw the first response. */
export interface RampTruth {
  readonly target: StimulationTarget;
  readonly thresholdMa: number;
  /** The ramp step at which the response first appeared (first step at or above threshold). */
  readonly foundAtMa: number;
  readonly firstEventIndex: number;
  readonly lastEventIndex: number;
}

export type SessionItem =
  | { readonly kind: 'stimulation'; readonly event: StimulationEvent }
  | { readonly kind: 'block'; readonly block: SampleBlock };

export interface SimulatedSession {
  readonly patient: VirtualPatient;
  readonly montage: Montage;
  readonly sampleRateHz: number;
  readonly totalSamples: number;
  readonly durationS: number;
  /** Every stimulation of the script, in time order. */
  readonly events: readonly StimulationEvent[];
  readonly trains: readonly TrainTruth[];
  readonly ramps: readonly RampTruth[];
  /** Sample blocks of `blockSamples` (the last may be shorter), from sample 0. Each call starts afresh. */
  blocks(blockSamples?: number): Generator<SampleBlock>;
  /** Stimulation events interleaved with blocks: an event comes just before the block holding its first pulse. */
  items(blockSamples?: number): Generator<SessionItem>;
}

const RAMP_START_MA = 0.2;
const VENTRAL_RAMP_START_MA = 0.02;
const RAMP_FACTOR = 1.25;

function roundMa(v: number): number {
  return Math.round(v * 100) / 100;
}

export function simulateSession(options: SimulateSessionOptions): SimulatedSession {
  const fs = options.sampleRateHz ?? 10_000;
  if (!(Number.isFinite(fs) && fs >= 1000 && fs <= 50_000)) throw new Error(`sampleRateHz must be 1000..50000, got ${fs}`);
  const cond = options.conditions ?? {};
  const trainDurationS = cond.trainDurationS ?? 1;
  const trainRateHz = cond.trainRateHz ?? 50;
  const pulseWidthUs = cond.pulseWidthUs ?? 200;
  const repeatChance = cond.repeatTrainChance ?? 0.25;
  const patient = createVirtualPatient({ ...options.patient, seed: options.seed, levels: options.levels, sides: options.sides });
  const truth = patientTruth(patient);
  const montage = patient.montage;
  const rng = new SeededRandom(options.seed, 'session/script');
  const unusable = new Set([...(cond.deadChannels ?? []), ...(cond.mainsOnlyChannels ?? [])]);

  const events: StimulationEvent[] = [];
  const trains: TrainTruth[] = [];
  const ramps: RampTruth[] = [];
  let cursor = fs; // one second of baseline first
  const second = (s: number): number => Math.round(s * fs);

  const single = (target: StimulationTarget, intensityMa: number): void => {
    events.push({ sampleIndex: cursor, stimulation: makeStimulation({ mode: 'single', intensityMa, pulseWidthUs, target }) });
    cursor += fs; // about 1 Hz
  };
  const ramp = (target: StimulationTarget, thresholdMa: number, startMa: number): number => {
    const first = events.length;
    let ma = startMa;
    while (roundMa(ma) < thresholdMa && ma < 100) {
      single(target, roundMa(ma));
      ma *= RAMP_FACTOR;
    }
    const found = Math.min(100, roundMa(ma) < thresholdMa ? roundMa(ma) + 0.01 : roundMa(ma));
    single(target, found);
    single(target, found); // repeat: a threshold response must be reproducible
    ramps.push({ target, thresholdMa, foundAtMa: found, firstEventIndex: first, lastEventIndex: events.length - 1 });
    return found;
  };

  for (const root of patient.roots) {
    const { level, side } = root;
    const ventral = truth.ventral(level, side);
    ramp(ventral.target, ventral.thresholdMa, VENTRAL_RAMP_START_MA);
    cursor += second(2);
    for (let n = 1; n <= root.rootletCount; n++) {
      const t = truth.rootlet(level, side, n);
      const found = ramp(t.target, t.thresholdMa, RAMP_START_MA);
      if (cond.highIntensityChecks && n === 1) single(t.target, roundMa(Math.min(100, 20 * t.thresholdMa)));
      cursor += second(1);
      const repeats = rng.chance(repeatChance) ? 2 : 1;
      for (let k = 0; k < repeats; k++) {
        const stimulation = makeStimulation({ mode: 'train', intensityMa: found, pulseWidthUs, rateHz: trainRateHz, durationS: trainDurationS, target: t.target });
        const sustained = found >= t.thresholdMa ? t.sustained : [];
        const observable = sustained.filter((r) => !unusable.has(r.channel));
        trains.push({
          eventIndex: events.length,
          sampleIndex: cursor,
          onsetS: cursor / fs,
          target: t.target,
          intensityMa: found,
          thresholdMa: t.thresholdMa,
          grade: sustained.length ? t.grade : 0,
          pattern: sustained.length ? t.pattern : 'none',
          responding: [...sustained].sort((a, b) => b.amplitudeUv - a.amplitudeUv).map((r) => channelName(montage.channels[r.channel]!)),
          sustainedChannels: sustained.map((r) => r.channel),
          observableGrade: gradeOfSustainedSet(montage, level, side, observable.map((r) => r.channel)),
        });
        events.push({ sampleIndex: cursor, stimulation });
        // Leave room for the train, its after-discharge and a look at the screen.
        cursor += second(trainDurationS + 3 + rng.uniform(0, 1.5));
      }
      cursor += second(1);
    }
  }

  let totalSamples = cursor + second(2);
  let keptEvents = events;
  let keptTrains = trains;
  let keptRamps = ramps;
  if (options.durationS !== undefined) {
    if (!(Number.isFinite(options.durationS) && options.durationS > 0)) throw new Error(`durationS must be positive, got ${options.durationS}`);
    totalSamples = second(options.durationS);
    const endOf = (e: StimulationEvent): number => e.sampleIndex + second(e.stimulation.durationS);
    keptEvents = events.filter((e) => endOf(e) < totalSamples);
    keptTrains = trains.filter((t) => t.eventIndex < keptEvents.length);
    keptRamps = ramps.filter((r) => r.lastEventIndex < keptEvents.length);
  }

  const session: SimulatedSession = {
    patient,
    montage,
    sampleRateHz: fs,
    totalSamples,
    durationS: totalSamples / fs,
    events: keptEvents,
    trains: keptTrains,
    ramps: keptRamps,
    *blocks(blockSamples = 1000) {
      for (const item of session.items(blockSamples)) if (item.kind === 'block') yield item.block;
    },
    *items(blockSamples = 1000) {
      if (!(Number.isInteger(blockSamples) && blockSamples > 0)) throw new Error(`blockSamples must be a positive integer, got ${blockSamples}`);
      const synth = new EmgSynthesizer({ patient, sampleRateHz: fs, conditions: cond });
      let next = 0;
      while (synth.nextSample < totalSamples) {
        const s0 = synth.nextSample;
        const n = Math.min(blockSamples, totalSamples - s0);
        // Deliver every stimulation whose first pulse falls in this block before generating it.
        while (next < keptEvents.length && keptEvents[next]!.sampleIndex < s0 + n) {
          const event = keptEvents[next++]!;
          synth.stimulate(event);
          yield { kind: 'stimulation', event };
        }
        yield { kind: 'block', block: synth.generate(n) };
      }
    },
  };
  return session;
}
