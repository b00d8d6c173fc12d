import {
  DEFAULT_MONTAGE,
  DomainError,
  makeCaseInfo,
  makeDecision,
  makeMontage,
  makeStimulation,
  type ChannelStatus,
  type Montage,
  type SampleBlock,
  type SampleGap,
  type Stimulation,
  type StimulationEvent,
  type StimulationTarget,
  type TrainGrade,
} from '../domain';
import {
  bindHandlers,
  type CaseDetail,
  type CaseSummary,
  type ConnectDeviceRequest,
  type DecisionRecord as DecisionView,
  type DeviceStatus,
  type EventOf,
  type GradedTrain,
  type PulseResponse,
  type RecoveryInfo,
  type ResponseOf,
  type SdrApi,
  type SdrHandlers,
  type StimulationSettings,
  type TopicName,
} from '../contracts';
import { openCaseStore, type CaseStore, type DecisionRecord, type SessionRecord } from '../storage';
import type { ConnectionState, Disposer, EmgDevice, LinkCounters } from '../../hardware/device';
import { createPipeline, type StimulusEpoch } from '../pipeline';
import { createWorkerAnalyzer, type Analyzer, type AnalyzerFactory } from './analyzer';
import { SessionRecorder } from './recorder';
import { measurePulse, type PulseResponse as GraderPulse, type ThresholdEstimate } from '../grading/threshold';
import { DEFAULT_PULSE_RESPONSE } from '../grading/options';
import { EventHub } from './event-hub';
import { GradeLatencyTracker } from './latency';
import { minMaxDecimate } from './decimate';
import { buildRootletMap } from './rootlet-map';
import { createPlaybackService } from './replay';
import { createTrainingService } from './training';
import { createReportHandlers } from './report-handlers';

function targetKeyOf(t: StimulationTarget): string {
  return `${t.level}${t.side}-${t.kind}#${t.rootlet ?? '-'}`;
}

type WireGrade = GradedTrain['grade'];

/** The grade as the contract carries it: exactly the TrainGrade fields (the grader may attach display extras). */
export function toWireGrade(grade: TrainGrade): WireGrade {
  return {
    target: { ...grade.target }, onsetSample: grade.onsetSample, onsetS: grade.onsetS, intensityMa: grade.intensityMa,
    grade: grade.grade, pattern: grade.pattern, responding: [...grade.responding], suggestion: grade.suggestion,
    suggestionReason: grade.suggestionReason, warnings: [...grade.warnings],
    channels: grade.channels.map((c) => ({
      channel: c.channel, side: c.side, muscle: c.muscle, state: c.state, baselineUv: c.baselineUv, trainMedianUv: c.trainMedianUv,
      peakUv: c.peakUv, fractionAbove: c.fractionAbove, lateEarlyRatio: c.lateEarlyRatio, afterDischarge: c.afterDischarge,
      responding: c.responding, sustained: c.sustained, pattern: c.pattern, relation: c.relation, nearestRoot: c.nearestRoot, notes: [...c.notes],
    })),
  };
}

/** A failure the user can act on, reported as `{ok:false,error:{code,message}}`. */
export class AppError extends DomainError {
  constructor(code: string, message: string) {
    super(code, message);
    this.name = 'AppError';
  }
}

export interface SerialPortDescription {
  readonly path: string;
  readonly manufacturer?: string | null;
  readonly serialNumber?: string | null;
  readonly vendorId?: string | null;
  readonly productId?: string | null;
}

/** Builds the device for a connect request (simulator, or a serial port). */
export type DeviceFactory = (request: ConnectDeviceRequest) => EmgDevice | Promise<EmgDevice>;

export interface AppClock {
  /** Wall clock for recorded times. */
  now(): Date;
  /** Monotonic ms for latency measurement. */
  monotonicMs(): number;
}

export const SYSTEM_CLOCK: AppClock = { now: () => new Date(), monotonicMs: () => performance.now() };

export interface SdrAppOptions {
  readonly dbPath: string;
  readonly createDevice: DeviceFactory;
  /** Serial port enumeration (hardware/serial); may throw in containers without udev. */
  readonly listSerialPorts?: () => Promise<readonly SerialPortDescription[]>;
  /** Defaults to the pipeline + grader in a worker thread (createWorkerAnalyzer); tests may run them in-process. */
  readonly createAnalyzer?: AnalyzerFactory;
  readonly clock?: AppClock;
  /** How long runTrain / triggerPulse wait for the device and the grade. Default 15 s. */
  readonly stimulationTimeoutMs?: number;
  /** Live trace emission period, ms. Default 50. */
  readonly displayPeriodMs?: number;
  /** Raw data flush interval: bounds what a crash can lose. Default 1000 ms. */
  readonly rawFlushIntervalMs?: number;
}

export interface SdrApp extends SdrApi {
  /** The handlers behind the API (hosts route validated calls here through `dispatch`). */
  readonly handlers: SdrHandlers;
  /** What start-up recovery found. */
  readonly recovery: RecoveryInfo;
  /** Hosts report live trace frames they dropped for slow consumers (shown in device status). */
  reportDroppedFrames(count: number): void;
  /** Closes the device, ends the open session cleanly and closes the database. */
  close(): Promise<void>;
}

/** Version tag stored with every grade; imports grade with the same code and store the same tag. */
export const GRADER_VERSION = 'sdrlog-grading-1';
const ZERO_COUNTERS: LinkCounters = { bytesReceived: 0, framesDecoded: 0, bytesDropped: 0, crcFailures: 0, sequenceGaps: 0, samplesLost: 0 };
const DEFAULT_SETTINGS: StimulationSettings = { intensityMa: 1, pulseWidthUs: 100, trainRateHz: 50, trainDurationS: 1 };
const RECENT_EPOCHS = 64;
const RECENT_PULSES = 2000;
/** Signal needed before a stimulation: the pipeline's 200 ms pre-stimulus window plus margin. */
const BASELINE_S = 0.5;

interface Recording {
  readonly caseId: string;
  readonly session: SessionRecord;
  readonly montage: Montage;
  readonly recorder: SessionRecorder;
  readonly analyzer: Analyzer;
  /** The analysis takes the device's 'stimulations-confirmed' (its info said so when the session began). */
  readonly confirmed: boolean;
  readonly disposers: readonly Disposer[];
}

interface StimWaiter {
  readonly mode: 'single' | 'train';
  readonly resolve: (v: { event: StimulationEvent; stimulationId: number }) => void;
  readonly reject: (e: Error) => void;
}

/** A pulse as graded: its response, and for a targeted pulse the target's threshold right after it. */
interface MeasuredPulse {
  readonly pulse: PulseResponse;
  readonly threshold: ThresholdEstimate | null;
}

interface PulseWaiter {
  readonly onsetSample: number;
  readonly resolve: (p: MeasuredPulse) => void;
  readonly reject: (e: Error) => void;
}

interface GradeWaiter {
  readonly onsetSample: number;
  readonly resolve: (g: GradedTrain) => void;
  readonly reject: (e: Error) => void;
}

/**
 * The application service, host-agnostic: the browser host and the Electron main process both wrap it.
 * It owns the case store, the device and the live analysis, and implements every method of the
 * contract (src/contracts). Every request is validated by the contract schema before it reaches a
 * handler; a decision is committed (synchronous=FULL) before its response says saved.
 */
export async function createSdrApp(options: SdrAppOptions): Promise<SdrApp> {
  const clock = options.clock ?? SYSTEM_CLOCK;
  const store: CaseStore = openCaseStore(options.dbPath, { now: () => clock.now() });
  const hub = new EventHub();
  const latency = new GradeLatencyTracker();
  const createAnalyzer = options.createAnalyzer ?? createWorkerAnalyzer;
  const stimTimeoutMs = options.stimulationTimeoutMs ?? 15_000;

  let openCaseId: string | null = null;
  let device: EmgDevice | null = null;
  let deviceDisposers: Disposer[] = [];
  let deviceSource: DeviceStatus['source'] = 'none';
  let devicePath: string | null = null;
  let connection: ConnectionState = 'closed';
  let connectionReason: string | null = null;
  let lastError: string | null = null;
  let electrodeOff: number[] = [];
  let recording: Recording | null = null;
  let liveFramesDropped = 0;
  let settings: StimulationSettings = { ...DEFAULT_SETTINGS };
  let target: StimulationTarget | null = null;
  let lastStimulation: Stimulation | null = null;
  let busy = false;
  /** A threshold ramp is running: other stimulations wait (they would enter its threshold estimate). */
  let rampRunning = false;
  const stimWaiters: StimWaiter[] = [];
  const gradeWaiters: GradeWaiter[] = [];
  const pulseWaiters: PulseWaiter[] = [];
  let awaitingThreshold: PulseResponse | null = null;
  /** Latest threshold estimate per target key, and the value last stored for it. */
  const thresholdEstimates = new Map<string, ThresholdEstimate>();
  const storedThresholds = new Map<string, number | null>();
  const recentEpochs = new Map<number, StimulusEpoch>(); // by stimulation id
  const recentPulses = new Map<number, PulseResponse>(); // by stimulation id
  const stimIdByOnset = new Map<number, number>(); // onset sample -> stimulation id (current session)
  let displayTimer: ReturnType<typeof setInterval> | null = null;
  // sample range received since the recording started (a train needs its pre-stimulus baseline)
  let recordedFrom: number | null = null;
  let recordedTo = 0;
  // offline replay and training mode (src/app/replay.ts, src/app/training.ts)
  const playback = createPlaybackService({ store, emit: (topic, e) => hub.emit(topic, e), isRecording: () => recording !== null, nowMs: () => clock.monotonicMs() });
  const training = createTrainingService({ store, playback, now: () => clock.now() });

  // ---------- recovery: sessions never ended were cut short by a crash ----------
  const recovery: RecoveryInfo = { recovered: [], resumedCaseId: null };
  for (const s of store.sessions.openSessions()) {
    const extent = store.raw.extentOf(s.id);
    const flushed = extent.endSample ?? 0;
    const decisionsIntact = store.decisions.currentForCase(s.caseId).length;
    const lostDescription = extent.endSample === null
      ? 'no raw EMG of this session had been flushed; stimulations, grades and decisions committed before the stop are intact'
      : `raw EMG after sample ${flushed} (${(flushed / s.sampleRateHz).toFixed(1)} s into the session) was not flushed and is lost (at most the last second); committed stimulations, grades and decisions are intact`;
    store.events.record(s.id, { kind: 'recovered', message: lostDescription, sampleIndex: flushed, data: { lastFlushedSample: flushed } });
    store.sessions.end(s.id, false);
    recovery.recovered.push({ caseId: s.caseId, sessionId: s.id, startedAt: s.startedAt, lastFlushedSample: flushed, lostDescription, decisionsIntact });
  }
  const lastRecovered = recovery.recovered[recovery.recovered.length - 1];
  if (lastRecovered) {
    // resume the interrupted case: it is open again, a new session starts when a device connects
    openCaseId = lastRecovered.caseId;
    recovery.resumedCaseId = lastRecovered.caseId;
  }

  // ---------- helpers ----------
  function requireCase(caseId: string) {
    const c = store.cases.get(caseId);
    if (!c) throw new AppError('unknown-case', `no case with id '${caseId}'`);
    return c;
  }

  function currentMontage(caseId: string): Montage {
    return store.montages.current(caseId)?.montage ?? DEFAULT_MONTAGE;
  }

  function summary(caseId: string): CaseSummary {
    const c = requireCase(caseId);
    const decisions = store.decisions.currentForCase(caseId);
    const tested = new Set<number>();
    for (const r of store.rootlets.forCaseId(caseId)) if (store.stimulations.forRootlet(r.id).length > 0) tested.add(r.id);
    return {
      ...c,
      targetMuscles: [...c.targetMuscles],
      cutPlan: c.cutPlan as CaseSummary['cutPlan'],
      openSessionId: recording?.caseId === caseId ? recording.session.id : null,
      rootletsTested: tested.size,
      rootletsCut: decisions.filter((d) => d.decision.cutFraction > 0).length,
    };
  }

  function detail(caseId: string): CaseDetail {
    const m = currentMontage(caseId);
    return { case: summary(caseId), montage: { name: m.name, channels: m.channels.map((c) => ({ ...c, roots: [...c.roots] })) } };
  }

  function decisionView(caseId: string, d: DecisionRecord): DecisionView {
    const r = store.rootlets.get(d.rootletId);
    if (!r) throw new AppError('unknown-rootlet', `decision ${d.id} refers to a missing rootlet`);
    return {
      decisionId: d.id, caseId, level: r.level, side: r.side, rootlet: r.index, decision: { ...d.decision },
      correctsId: d.correctsId, gradeId: d.gradeId, recordedAt: d.recordedAt,
    };
  }

  function rootletMap(caseId: string) {
    const c = requireCase(caseId);
    const rootlets = store.rootlets.forCaseId(caseId).map((r) => {
      const stims = store.stimulations.forRootlet(r.id);
      let latestGrade: { grade: TrainGrade['grade']; pattern: TrainGrade['pattern']; suggestion: TrainGrade['suggestion'] } | null = null;
      for (const s of stims) {
        const g = store.grades.latestForStimulation(s.id);
        if (g) latestGrade = { grade: g.grade, pattern: g.pattern, suggestion: g.suggestion };
      }
      return { level: r.level, side: r.side, index: r.index, stimulated: stims.length > 0, latestGrade };
    });
    const thresholds = store.thresholds.forCaseId(caseId).map((t) => ({ level: t.target.level, side: t.target.side, kind: t.target.kind, rootlet: t.target.rootlet, thresholdMa: t.thresholdMa }));
    for (const root of store.roots.forCaseId(caseId)) {
      if (root.thresholdMa !== null) thresholds.unshift({ level: root.level, side: root.side, kind: root.kind, rootlet: null, thresholdMa: root.thresholdMa });
    }
    const decisions = store.decisions.currentForCase(caseId).map((d) => ({
      id: d.id, level: d.level, side: d.side, rootletIndex: d.rootletIndex, kind: d.decision.kind, cutFraction: d.decision.cutFraction,
    }));
    return buildRootletMap({ caseId, cutPlan: c.cutPlan, rootlets, thresholds, decisions });
  }

  function emitMap(caseId: string): void {
    if (hub.listenerCount('map') === 0) return;
    hub.emit('map', { caseId, map: rootletMap(caseId) });
  }

  function deviceStatus(): DeviceStatus {
    const info = device?.info ?? null;
    return {
      source: deviceSource,
      path: devicePath,
      connection,
      reason: connectionReason,
      info: info ? { model: info.model, firmware: info.firmware, channelCount: info.channelCount, sampleRateHz: info.sampleRateHz, canStimulate: info.canStimulate } : null,
      counters: device ? { ...device.counters() } : { ...ZERO_COUNTERS },
      electrodeOff: [...electrodeOff],
      gradeLatency: latency.stats(),
      liveFramesDropped,
      recording: recording ? { caseId: recording.caseId, sessionId: recording.session.id } : null,
      lastError,
    };
  }

  const emitStatus = () => hub.emit('deviceStatus', deviceStatus());

  function fail(message: string): void {
    lastError = message;
    emitStatus();
  }

  // ---------- recording: a live session while a case is open and a device is connected ----------
  function startRecordingIfReady(): void {
    if (recording || !openCaseId || !device || !device.info || connection !== 'open') return;
    if (playback.current()) void playback.stop(); // live acquisition takes over the event streams from a replay
    const info = device.info;
    const montage = currentMontage(openCaseId);
    if (montage.channels.length > info.channelCount) {
      fail(`the montage has ${montage.channels.length} channels but the device records ${info.channelCount}`);
      return;
    }
    const caseId = openCaseId;
    // the recorder makes raw EMG, gaps, stimulations and electrode/link events durable (src/app/recorder.ts)
    const recorder = new SessionRecorder({
      store, caseId, device, montageId: store.montages.current(caseId)?.id ?? null, rawFlushMs: options.rawFlushIntervalMs ?? 1000,
    });
    const session = store.sessions.get(recorder.sessionId)!;
    const confirmed = info.confirmsStimulations;
    const analyzer = createAnalyzer(
      {
        sampleRateHz: info.sampleRateHz, channelCount: info.channelCount, montage, nowMs: () => clock.monotonicMs(),
        // a device that confirms its stimulation reports lets a train be graded as soon as its window is in
        stimulationReports: confirmed ? 'confirmed' : 'lagging',
      },
      {
        grade: (grade, latencyMs) => onGrade(caseId, session.id, grade, latencyMs),
        pulse: (response) => onPulse(response),
        threshold: (estimate) => onThreshold(caseId, session.id, estimate),
        epoch: (epoch) => {
          // an epoch no longer cached goes back to the analysis for a later epoch's samples (no new arrays
          // per epoch in a long session); the cache is only read synchronously (epochOf)
          const id = stimIdByOnset.get(epoch.event.sampleIndex);
          if (id === undefined) {
            analyzer.releaseEpoch?.(epoch);
            return;
          }
          const replaced = recentEpochs.get(id);
          recentEpochs.delete(id);
          recentEpochs.set(id, epoch);
          if (replaced && replaced !== epoch) analyzer.releaseEpoch?.(replaced);
          while (recentEpochs.size > RECENT_EPOCHS) {
            const oldest = recentEpochs.keys().next().value!;
            const evicted = recentEpochs.get(oldest)!;
            recentEpochs.delete(oldest);
            analyzer.releaseEpoch?.(evicted);
          }
        },
        trace: (frame) => {
          if (hub.listenerCount('trace') > 0) hub.emit('trace', { ...frame, droppedFrames: liveFramesDropped });
        },
        error: (message) => fail(message),
      },
    );
    const disposers = [
      recorder.onBlock((block) => {
        if (recordedFrom === null) recordedFrom = block.startSample;
        recordedTo = block.startSample + block.samplesPerChannel;
        analyzer.pushBlock(block, clock.monotonicMs());
      }),
      recorder.onStimulation((event) => onStimulationStored(session.id, event)),
    ];
    recording = { caseId, session, montage, recorder, analyzer, confirmed, disposers };
    stimIdByOnset.clear();
    recordedFrom = null;
    recordedTo = 0;
    displayTimer = setInterval(() => recording?.analyzer.drainDisplay(), options.displayPeriodMs ?? 50);
    displayTimer.unref?.();
    emitStatus();
  }

  /** Ends the live session: the recorder flushes raw data and ends the session cleanly. */
  async function stopRecording(): Promise<number | null> {
    const r = recording;
    if (!r) return null;
    recording = null;
    if (displayTimer) clearInterval(displayTimer);
    displayTimer = null;
    for (const d of r.disposers) d();
    try {
      r.recorder.stop();
    } finally {
      await r.analyzer.dispose();
    }
    for (const w of gradeWaiters.splice(0)) w.reject(new AppError('session-ended', 'the recording session ended before the train was graded'));
    for (const w of pulseWaiters.splice(0)) w.reject(new AppError('session-ended', 'the recording session ended before the pulse was measured'));
    thresholdEstimates.clear();
    storedThresholds.clear();
    emitStatus();
    return r.session.id;
  }

  /** Byte arrival time of each block, for the grade latency shown in status. */
  function onBlock(block: SampleBlock): void {
    latency.noteArrival(block.startSample + block.samplesPerChannel, clock.monotonicMs());
  }

  /**
   * The device vouches that every stimulation starting before `throughSample` has been emitted (and so,
   * synchronously, stored and passed to the analysis by the recorder): forwarded after the block it follows.
   */
  function onStimulationsConfirmed(throughSample: number): void {
    const r = recording;
    if (r?.confirmed) r.analyzer.confirmStimulationsTo(throughSample, clock.monotonicMs());
  }

  function onGap(gap: SampleGap): void {
    recording?.analyzer.pushGap(gap, clock.monotonicMs());
  }

  /** A stimulation while nothing records it (no case open): shown, never silently lost from view. */
  function onStimulationUnrecorded(event: StimulationEvent): void {
    if (recording) return;
    hub.emit('stimulation', { stimulationId: null, caseId: null, sessionId: null, sampleIndex: event.sampleIndex, stimulation: event.stimulation, highIntensity: false });
    const i = stimWaiters.findIndex((w) => w.mode === event.stimulation.mode);
    if (i >= 0) stimWaiters.splice(i, 1)[0]!.reject(new AppError('not-recording', 'the stimulation was delivered but no case is recording it'));
  }

  /** Called by the recorder once the stimulation is durable. */
  function onStimulationStored(sessionId: number, event: StimulationEvent): void {
    const r = recording;
    if (!r) return;
    // the recorder stored it; find its row (latest with this onset in the session)
    const rec = store.stimulations.forSession(sessionId).filter((x) => x.onsetSample === event.sampleIndex).pop();
    if (!rec) {
      fail(`stimulation at sample ${event.sampleIndex} was not stored`);
      return;
    }
    stimIdByOnset.set(event.sampleIndex, rec.id);
    r.analyzer.pushStimulation(event, clock.monotonicMs());
    hub.emit('stimulation', {
      stimulationId: rec.id, caseId: r.caseId, sessionId, sampleIndex: event.sampleIndex, stimulation: event.stimulation, highIntensity: rec.highIntensity,
    });
    const i = stimWaiters.findIndex((w) => w.mode === event.stimulation.mode);
    if (i >= 0) stimWaiters.splice(i, 1)[0]!.resolve({ event, stimulationId: rec.id });
  }

  function onGrade(caseId: string, sessionId: number, grade: TrainGrade, latencyMs: number | null): void {
    const stimulationId = stimIdByOnset.get(grade.onsetSample);
    const stim = stimulationId === undefined ? null : store.stimulations.get(stimulationId);
    if (stimulationId === undefined || !stim) {
      fail(`a grade arrived for an unrecorded train at sample ${grade.onsetSample}`);
      return;
    }
    const clean = toWireGrade(grade);
    let gradeId: number | null = null;
    try {
      gradeId = store.grades.record(stimulationId, clean, GRADER_VERSION).id;
    } catch (e) {
      fail(`grade not stored: ${(e as Error).message}`);
    }
    if (latencyMs !== null) latency.record(latencyMs);
    const graded: GradedTrain = {
      stimulationId, gradeId, caseId, sessionId, stimulation: { ...stim.stimulation, target: stim.stimulation.target ? { ...stim.stimulation.target } : null },
      grade: clean, latencyMs, highIntensity: stim.highIntensity,
    };
    hub.emit('grade', graded);
    const i = gradeWaiters.findIndex((w) => w.onsetSample === grade.onsetSample);
    if (i >= 0) gradeWaiters.splice(i, 1)[0]!.resolve(graded);
    emitMap(caseId);
    emitStatus();
  }

  function pulseView(stimulationId: number, p: GraderPulse): PulseResponse {
    return {
      stimulationId, target: p.target ? { ...p.target } : null, intensityMa: p.intensityMa, onsetSample: p.onsetSample, responding: p.responded,
      channels: p.channels.map((c) => ({ channel: c.channel, responding: c.responded, latencyMs: c.latencyMs, amplitudeUv: c.amplitudeUv })),
    };
  }

  /** A stored single pulse's response: from this run's cache, else re-measured on the stored raw EMG. */
  function storedPulse(stimulationId: number): PulseResponse | null {
    const cached = recentPulses.get(stimulationId);
    if (cached) return cached;
    try {
      return pulseView(stimulationId, measurePulse(epochOf(stimulationId)));
    } catch {
      return null; // raw data missing (e.g. lost in a crash): the list still shows the stimulation
    }
  }

  function onPulse(p: GraderPulse): void {
    const stimulationId = stimIdByOnset.get(p.onsetSample);
    if (stimulationId === undefined) return;
    const view = pulseView(stimulationId, p);
    recentPulses.set(stimulationId, view);
    while (recentPulses.size > RECENT_PULSES) recentPulses.delete(recentPulses.keys().next().value!);
    hub.emit('pulse', view);
    // a targeted pulse is followed by its threshold update (the grader emits both for one epoch):
    // answer once that has been applied, with the estimate it produced
    if (p.target) awaitingThreshold = view;
    else resolvePulse(view, null);
  }

  function resolvePulse(view: PulseResponse, threshold: ThresholdEstimate | null): void {
    const i = pulseWaiters.findIndex((w) => w.onsetSample === view.onsetSample);
    if (i >= 0) pulseWaiters.splice(i, 1)[0]!.resolve({ pulse: view, threshold });
  }

  /** Keeps the latest estimate per target; stores it whenever the threshold value changes. */
  function onThreshold(caseId: string, sessionId: number, t: ThresholdEstimate): void {
    const key = targetKeyOf(t.target);
    thresholdEstimates.set(key, t);
    const pulse = awaitingThreshold;
    awaitingThreshold = null;
    try {
      storeThreshold(caseId, sessionId, key, t);
    } finally {
      if (pulse) resolvePulse(pulse, pulse.target && targetKeyOf(pulse.target) === key ? t : null);
    }
  }

  function storeThreshold(caseId: string, sessionId: number, key: string, t: ThresholdEstimate): void {
    if (storedThresholds.has(key) && storedThresholds.get(key) === t.thresholdMa) return;
    if (!storedThresholds.has(key) && t.thresholdMa === null) return;
    try {
      store.thresholds.record(caseId, { target: t.target, thresholdMa: t.thresholdMa, perChannel: t.perChannel }, sessionId);
      if (t.target.rootlet === null && t.thresholdMa !== null) store.roots.record(caseId, { level: t.target.level, side: t.target.side, kind: t.target.kind, thresholdMa: t.thresholdMa });
      storedThresholds.set(key, t.thresholdMa);
    } catch (e) {
      fail(`threshold not stored: ${(e as Error).message}`);
    }
    emitMap(caseId);
  }

  async function detachDevice(): Promise<void> {
    const d = device;
    for (const dispose of deviceDisposers.splice(0)) dispose();
    device = null;
    if (d) await d.close().catch((e: unknown) => { lastError = `closing the device: ${(e as Error).message}`; });
    for (const w of stimWaiters.splice(0)) w.reject(new AppError('device-closed', 'the device was disconnected'));
  }

  function withTimeout<T>(p: Promise<T>, what: string, onTimeout: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => {
        onTimeout();
        reject(new AppError('timeout', `${what}: no answer within ${stimTimeoutMs} ms`));
      }, stimTimeoutMs);
      p.then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e as Error); });
    });
  }

  /** Arms and triggers one stimulation; resolves when the device reports it delivered and it is stored. */
  async function deliver(stimulation: Stimulation, inRamp = false): Promise<{ event: StimulationEvent; stimulationId: number }> {
    if (!device || connection !== 'open') throw new AppError('no-device', 'connect a device first');
    if (!device.info?.canStimulate) throw new AppError('cannot-stimulate', 'this device has no stimulator');
    if (!recording) throw new AppError('no-open-case', 'open a case before stimulating: every stimulation is recorded');
    if (busy || (rampRunning && !inRamp)) throw new AppError('busy', rampRunning && !inRamp ? 'a threshold ramp is running' : 'a stimulation is already running');
    busy = true;
    try {
      // the analysis worker starts at connect; a stimulation before it is up would be graded from a backlog
      await withTimeout(recording.analyzer.ready ?? Promise.resolve(), 'analysis start', () => undefined);
      await waitForBaseline();
      let waiter: StimWaiter | null = null;
      const delivered = new Promise<{ event: StimulationEvent; stimulationId: number }>((resolve, reject) => {
        waiter = { mode: stimulation.mode, resolve, reject };
        stimWaiters.push(waiter);
      });
      const forget = () => {
        const i = stimWaiters.indexOf(waiter!);
        if (i >= 0) stimWaiters.splice(i, 1);
      };
      try {
        await device.send({ type: 'set-stimulation', stimulation });
        await device.send({ type: 'trigger', target: stimulation.target });
      } catch (e) {
        forget();
        throw new AppError('stimulation-refused', `the device refused the stimulation: ${(e as Error).message}`);
      }
      lastStimulation = stimulation;
      return await withTimeout(delivered, 'stimulation', forget);
    } finally {
      busy = false;
    }
  }

  /**
   * Grading compares each channel with its pre-stimulus baseline (shared domain notes, "Working
   * definitions"), so a stimulation waits until the recording holds BASELINE_S of signal.
   */
  async function waitForBaseline(): Promise<void> {
    const deadline = clock.monotonicMs() + stimTimeoutMs;
    for (;;) {
      const r = recording;
      if (!r) throw new AppError('not-recording', 'the recording stopped');
      if (recordedFrom !== null && recordedTo - recordedFrom >= BASELINE_S * r.session.sampleRateHz) return;
      if (clock.monotonicMs() > deadline) throw new AppError('no-signal', 'no EMG is arriving from the device');
      await new Promise((res) => setTimeout(res, 10));
    }
  }

  function buildStimulation(mode: 'single' | 'train', intensityMa?: number): Stimulation {
    if (!target) throw new AppError('no-target', 'set the stimulation target (level, side, rootlet) first');
    return makeStimulation({
      mode,
      intensityMa: intensityMa ?? settings.intensityMa,
      pulseWidthUs: settings.pulseWidthUs,
      rateHz: mode === 'train' ? settings.trainRateHz : null,
      durationS: mode === 'train' ? settings.trainDurationS : 0,
      target,
    });
  }

  async function runTrainWith(stimulation: Stimulation): Promise<GradedTrain> {
    const { event } = await deliver(stimulation);
    const graded = new Promise<GradedTrain>((resolve, reject) => {
      gradeWaiters.push({ onsetSample: event.sampleIndex, resolve, reject });
    });
    return withTimeout(graded, 'train grading', () => {
      const i = gradeWaiters.findIndex((w) => w.onsetSample === event.sampleIndex);
      if (i >= 0) gradeWaiters.splice(i, 1);
    });
  }

  async function pulseWith(stimulation: Stimulation): Promise<PulseResponse> {
    return (await measuredPulse(stimulation)).pulse;
  }

  /**
   * Delivers a single pulse and waits for its grading: the pulse response and, for a targeted pulse,
   * the threshold update the grader made from it (matched by the pulse's onset sample).
   */
  async function measuredPulse(stimulation: Stimulation, inRamp = false): Promise<MeasuredPulse> {
    const { event } = await deliver(stimulation, inRamp);
    const measured = new Promise<MeasuredPulse>((resolve, reject) => {
      pulseWaiters.push({ onsetSample: event.sampleIndex, resolve, reject });
    });
    return withTimeout(measured, stimulation.target ? 'pulse response and threshold update' : 'pulse response', () => {
      const i = pulseWaiters.findIndex((w) => w.onsetSample === event.sampleIndex);
      if (i >= 0) pulseWaiters.splice(i, 1);
    });
  }

  /** Waits until the signal has moved `seconds` past `sampleIndex` (pulse rate in signal time). */
  async function waitSignal(sampleIndex: number, seconds: number): Promise<void> {
    const r = recording;
    if (!r) return;
    const until = sampleIndex + Math.round(seconds * r.session.sampleRateHz);
    const deadline = clock.monotonicMs() + stimTimeoutMs;
    while (recording && recordedTo < until) {
      if (clock.monotonicMs() > deadline) throw new AppError('no-signal', 'no EMG is arriving from the device');
      await new Promise((res) => setTimeout(res, 5));
    }
  }

  function stimulationState() {
    return { settings: { ...settings }, target: target ? { ...target } : null, last: lastStimulation ? { ...lastStimulation, target: lastStimulation.target ? { ...lastStimulation.target } : null } : null, busy: busy || rampRunning };
  }

  /** The epoch of a stored stimulation: from the live cache, else re-cut from stored raw EMG. */
  function epochOf(stimulationId: number): StimulusEpoch {
    const cached = recentEpochs.get(stimulationId);
    if (cached) return cached;
    const stim = store.stimulations.get(stimulationId);
    if (!stim) throw new AppError('unknown-stimulation', `no stimulation ${stimulationId}`);
    const session = store.sessions.get(stim.sessionId)!;
    // replay the stored raw range through the same pipeline: identical epochs to the live ones
    const warmS = 3;
    const fs = session.sampleRateHz;
    const extentEnd = store.raw.extentOf(session.id).endSample ?? 0;
    const from = Math.max(0, stim.onsetSample - Math.round(warmS * fs));
    const to = Math.min(extentEnd, stim.onsetSample + Math.round((stim.stimulation.durationS + 2) * fs));
    if (to <= stim.onsetSample) throw new AppError('no-raw-data', `the raw EMG of stimulation ${stimulationId} is not stored`);
    const raw = store.raw.read(session.id, from, to);
    let found: StimulusEpoch | null = null;
    const p = createPipeline({
      sampleRateHz: fs, channelCount: session.channelCount, unit: 'uV', now: () => 0,
      onEpoch: (e) => { if (e.event.sampleIndex === stim.onsetSample) found = e; },
    });
    try {
      p.pushStimulation({ sampleIndex: stim.onsetSample, stimulation: stim.stimulation });
      // feed stored samples and gaps in sample order, as the live stream did
      const n = raw.samplesPerChannel;
      const segment = (a: number, b: number) => {
        if (b <= a) return;
        const len = b - a;
        const data = new Float32Array(len * session.channelCount);
        for (let c = 0; c < session.channelCount; c++) data.set(raw.data.subarray(c * n + (a - from), c * n + (b - from)), c * len);
        p.pushBlock({ startSample: a, sampleRateHz: fs, channelCount: session.channelCount, samplesPerChannel: len, data });
      };
      let at = from;
      for (const g of [...raw.gaps].sort((x, y) => x.startSample - y.startSample)) {
        const gs = Math.max(at, g.startSample);
        const ge = Math.min(to, g.startSample + g.lengthSamples);
        if (ge <= gs) continue;
        segment(at, gs);
        p.pushGap({ startSample: gs, lengthSamples: ge - gs, reason: g.reason });
        at = ge;
      }
      segment(at, to);
      p.flush();
    } finally {
      p.dispose();
    }
    if (!found) throw new AppError('no-raw-data', `the raw EMG of stimulation ${stimulationId} is not stored`);
    return found;
  }

  // ---------- handlers ----------
  const handlers: SdrHandlers = {
    ...playback.handlers,
    ...training.handlers,
    ...createReportHandlers(store),
    createCase(req) {
      const info = makeCaseInfo(req);
      const rec = store.cases.create(info);
      store.montages.set(rec.id, DEFAULT_MONTAGE);
      return summary(rec.id);
    },
    listCases() {
      const all = store.cases.all().reverse();
      return { cases: all.map((c) => summary(c.id)) };
    },
    getCase(req) {
      return detail(req.caseId);
    },
    async openCase(req) {
      requireCase(req.caseId);
      if (openCaseId !== req.caseId) {
        await stopRecording();
        openCaseId = req.caseId;
      }
      startRecordingIfReady();
      return detail(req.caseId);
    },
    async closeCase(req) {
      requireCase(req.caseId);
      let closedSessionId: number | null = null;
      if (openCaseId === req.caseId) {
        closedSessionId = await stopRecording();
        openCaseId = null;
      }
      return { closedSessionId };
    },
    updateCasePlan(req) {
      requireCase(req.caseId);
      store.cases.update(req.caseId, { cutPlan: req.cutPlan });
      emitMap(req.caseId);
      return summary(req.caseId);
    },
    updateCaseNotes(req) {
      requireCase(req.caseId);
      const { caseId, ...changes } = req;
      store.cases.update(caseId, changes);
      return summary(caseId);
    },
    getMontage(req) {
      requireCase(req.caseId);
      return detail(req.caseId).montage;
    },
    updateMontage(req) {
      requireCase(req.caseId);
      if (recording?.caseId === req.caseId) throw new AppError('recording', 'the montage cannot change while the case is recording: disconnect the device first');
      const m = makeMontage(req.name, req.channels);
      store.montages.set(req.caseId, m);
      return detail(req.caseId).montage;
    },
    async listPorts() {
      if (!options.listSerialPorts) return { ports: [], listError: 'serial port listing is not available in this host: type the port path' };
      try {
        const ports = await options.listSerialPorts();
        return {
          ports: ports.map((p) => ({ path: p.path, manufacturer: p.manufacturer ?? null, serialNumber: p.serialNumber ?? null, vendorId: p.vendorId ?? null, productId: p.productId ?? null })),
          listError: null,
        };
      } catch (e) {
        return { ports: [], listError: `cannot list serial ports (${(e as Error).message}): type the port path` };
      }
    },
    async connectDevice(req) {
      await stopRecording();
      await detachDevice();
      deviceSource = req.source;
      devicePath = req.source === 'serial' ? req.path : null;
      connection = 'opening';
      connectionReason = null;
      lastError = null;
      electrodeOff = [];
      latency.reset();
      emitStatus();
      let d: EmgDevice;
      try {
        d = await options.createDevice(req);
      } catch (e) {
        connection = 'closed';
        deviceSource = 'none';
        throw new AppError('device-unavailable', (e as Error).message);
      }
      device = d;
      // link counters and latency move continuously: push the status once a second while connected
      const statusTimer = setInterval(() => { if (hub.listenerCount('deviceStatus') > 0) emitStatus(); }, 1000);
      statusTimer.unref?.();
      deviceDisposers = [
        () => clearInterval(statusTimer),
        d.on('block', onBlock),
        d.on('gap', onGap),
        d.on('stimulation', onStimulationUnrecorded),
        d.on('stimulations-confirmed', onStimulationsConfirmed),
        d.on('status', (status: readonly ChannelStatus[]) => {
          const off = status.filter((s) => s.electrodeOff).map((s) => s.channel).sort((a, b) => a - b);
          // the recorder logs the changes in the session; here the status shown to the UI
          if (off.join() !== electrodeOff.join()) {
            electrodeOff = off;
            emitStatus();
          }
        }),
        d.on('error', (message: string) => fail(message)),
        d.on('connection', (state: ConnectionState, reason?: string) => {
          connection = state;
          connectionReason = reason ?? null;
          if (state === 'open') startRecordingIfReady();
          emitStatus();
        }),
      ];
      try {
        await d.open();
        await d.send({ type: 'start' });
      } catch (e) {
        await detachDevice();
        connection = 'closed';
        deviceSource = 'none';
        devicePath = null;
        emitStatus();
        throw new AppError('device-open-failed', `cannot open the device: ${(e as Error).message}`);
      }
      connection = d.state;
      startRecordingIfReady();
      emitStatus();
      return deviceStatus();
    },
    async disconnectDevice() {
      if (device) await device.send({ type: 'stop' }).catch(() => undefined);
      await stopRecording();
      await detachDevice();
      deviceSource = 'none';
      devicePath = null;
      connection = 'closed';
      connectionReason = 'deliberate';
      emitStatus();
      return deviceStatus();
    },
    getDeviceStatus() {
      return deviceStatus();
    },
    getStimulation() {
      return stimulationState();
    },
    setStimulation(req) {
      const next = { ...settings, ...Object.fromEntries(Object.entries(req.settings ?? {}).filter(([, v]) => v !== undefined)) };
      // validate the combination with the domain constructor before accepting it
      makeStimulation({ mode: 'train', intensityMa: next.intensityMa, pulseWidthUs: next.pulseWidthUs, rateHz: next.trainRateHz, durationS: next.trainDurationS });
      settings = next;
      if (req.target !== undefined) target = req.target;
      return stimulationState();
    },
    async triggerPulse(req) {
      return pulseWith(buildStimulation('single', req.intensityMa));
    },
    /**
     * Threshold ramp (shared domain notes, "Stimulation"): single pulses at about `rateHz`, stepped up
     * from startMa by stepMa until `repeatsPerStep` pulses in a row at one intensity respond; the
     * threshold is the grader's lowest reproducible intensity. Each pulse is answered only after the
     * grader has measured it and updated the target's threshold, and the result is the estimate made
     * from the last pulse. A step also goes on while the grader has no threshold at or below it yet
     * (e.g. repeatsPerStep 1 against the grader's "the next pulse responds too"), so a ramp that
     * stopped on responses always returns the threshold they define.
     */
    async runThresholdRamp(req) {
      const first = buildStimulation('single', req.startMa);
      const rampTarget = first.target!;
      if (busy || rampRunning) throw new AppError('busy', 'a stimulation is already running');
      rampRunning = true;
      try {
        const pulses: PulseResponse[] = [];
        const steps = Math.floor((req.maxMa - req.startMa) / req.stepMa + 1e-9);
        const maxPerStep = req.repeatsPerStep + DEFAULT_PULSE_RESPONSE.reproducibleCount;
        let lastOnset: number | null = null;
        let estimate: ThresholdEstimate | null = thresholdEstimates.get(targetKeyOf(rampTarget)) ?? null;
        outer: for (let k = 0; k <= steps; k++) {
          const ma = Math.round((req.startMa + k * req.stepMa) * 1000) / 1000;
          for (let rep = 0; rep < maxPerStep; rep++) {
            if (lastOnset !== null) await waitSignal(lastOnset, 1 / req.rateHz);
            const m = await measuredPulse(makeStimulation({ ...first, mode: 'single', intensityMa: ma, rateHz: null, durationS: 0 }), true);
            pulses.push(m.pulse);
            lastOnset = m.pulse.onsetSample;
            if (!m.threshold) throw new AppError('no-threshold', `the grader gave no threshold update for the pulse at sample ${m.pulse.onsetSample}`);
            estimate = m.threshold;
            if (!m.pulse.responding) continue outer;
            const reproducible = estimate.thresholdMa !== null && estimate.thresholdMa <= ma + 1e-9;
            if (rep + 1 >= req.repeatsPerStep && reproducible) break outer;
          }
        }
        const result = estimate
          ? { target: { ...estimate.target }, thresholdMa: estimate.thresholdMa, perChannel: estimate.perChannel.map((c) => ({ ...c })) }
          : { target: { ...rampTarget }, thresholdMa: null, perChannel: [] };
        return { result, pulses };
      } finally {
        rampRunning = false;
      }
    },
    async runTrain(req) {
      return runTrainWith(buildStimulation('train', req.intensityMa));
    },
    async repeatLast(): Promise<ResponseOf<'repeatLast'>> {
      if (!lastStimulation) throw new AppError('nothing-to-repeat', 'no stimulation has been delivered yet');
      if (lastStimulation.mode === 'single') return { mode: 'single', pulse: await pulseWith(lastStimulation) };
      return { mode: 'train', train: await runTrainWith(lastStimulation) };
    },
    getRootletResults(req) {
      requireCase(req.caseId);
      const stims = [];
      const thresholds = store.thresholds.forCaseId(req.caseId)
        .filter((t) => t.target.level === req.level && t.target.side === req.side && t.target.kind === req.kind && t.target.rootlet === req.rootlet)
        .map((t) => ({ target: { ...t.target }, thresholdMa: t.thresholdMa, perChannel: t.perChannel.map((c) => ({ ...c })), createdAt: t.createdAt }));
      let history: DecisionView[] = [];
      if (req.rootlet !== null && req.kind === 'dorsal') {
        const r = store.rootlets.find(req.caseId, req.level, req.side, req.rootlet);
        if (r) {
          for (const s of store.stimulations.forRootlet(r.id)) {
            const g = store.grades.latestForStimulation(s.id);
            stims.push({
              stimulationId: s.id, sessionId: s.sessionId, onsetSample: s.onsetSample, createdAt: s.createdAt,
              stimulation: { ...s.stimulation, target: s.stimulation.target ? { ...s.stimulation.target } : null },
              highIntensity: s.highIntensity, grade: g ? toWireGrade(g.evidence) : null, gradeId: g?.id ?? null,
              pulse: s.stimulation.mode === 'single' ? storedPulse(s.id) : null,
            });
          }
          history = store.decisions.history(r.id).map((d) => decisionView(req.caseId, d));
        }
      }
      return { stimulations: stims, thresholds, decision: history[history.length - 1] ?? null, decisionHistory: history };
    },
    getEpochTraces(req) {
      requireCase(req.caseId);
      const stim = store.stimulations.get(req.stimulationId);
      if (!stim || store.sessions.get(stim.sessionId)?.caseId !== req.caseId) {
        throw new AppError('unknown-stimulation', `case has no stimulation ${req.stimulationId}`);
      }
      const epoch = epochOf(req.stimulationId);
      const length = epoch.preSamples + epoch.stimSamples + epoch.postSamples;
      const src = req.signal === 'raw' ? epoch.raw : req.signal === 'envelope' ? epoch.envelope : epoch.filtered;
      const d = minMaxDecimate(src, epoch.channelCount, length, req.maxPoints);
      const montage = store.montages.get(store.sessions.get(stim.sessionId)!.montageId ?? -1)?.montage ?? currentMontage(req.caseId);
      const name = (c: number) => {
        const m = montage.channels[c];
        return m ? `${m.side} ${m.muscle}` : `ch ${c + 1}`;
      };
      return {
        stimulationId: req.stimulationId,
        sampleRateHz: epoch.sampleRateHz,
        samplesPerPoint: d.samplesPerPoint,
        startMs: (-epoch.preSamples * 1000) / epoch.sampleRateHz,
        stimMs: (epoch.stimSamples * 1000) / epoch.sampleRateHz,
        signal: req.signal,
        channels: d.minUv.map((minUv, c) => ({ channel: c, name: name(c), minUv, maxUv: d.maxUv[c]! })),
      };
    },
    recordDecision(req) {
      requireCase(req.caseId);
      const decision = makeDecision({
        kind: req.kind, fraction: req.fraction, decidedBy: req.decidedBy, decidedAt: clock.now().toISOString(), reason: req.reason,
      });
      // returns after COMMIT; the store runs synchronous=FULL, so the decision is on disk here
      const rec = store.decisions.recordFor(req.caseId, { level: req.level, side: req.side, index: req.rootlet }, {
        decision, gradeId: req.gradeId ?? null, correctsId: req.correctsId,
      });
      const view = decisionView(req.caseId, rec);
      hub.emit('decision', view);
      emitMap(req.caseId);
      return { saved: true as const, record: view };
    },
    listDecisions(req) {
      requireCase(req.caseId);
      const all: DecisionView[] = [];
      for (const r of store.rootlets.forCaseId(req.caseId)) for (const d of store.decisions.history(r.id)) all.push(decisionView(req.caseId, d));
      all.sort((a, b) => a.decisionId - b.decisionId);
      return { decisions: all };
    },
    getAuditLog(req) {
      requireCase(req.caseId);
      const check = store.audit.verifyChain();
      return { entries: store.audit.forCase(req.caseId).map((e) => ({ ...e })), chainBreak: check.firstBreak ? { ...check.firstBreak } : null };
    },
    getRootletMap(req) {
      return rootletMap(req.caseId);
    },
    getRecoveryInfo() {
      return { recovered: recovery.recovered.map((r) => ({ ...r })), resumedCaseId: recovery.resumedCaseId };
    },
  };

  training.guard(handlers); // recorded grades and decisions stay hidden while a training run is active
  const api = bindHandlers(handlers, <T extends TopicName>(topic: T, listener: (e: EventOf<T>) => void) => hub.on(topic, training.guardListener(topic, listener)));
  let closed = false;
  return {
    ...api,
    handlers,
    recovery,
    reportDroppedFrames(count: number) {
      if (Number.isInteger(count) && count > 0) liveFramesDropped += count;
    },
    async close() {
      if (closed) return;
      closed = true;
      if (device) await device.send({ type: 'stop' }).catch(() => undefined);
      await playback.dispose();
      await stopRecording();
      await detachDevice();
      hub.clear();
      store.close();
    },
  };
}

