import { type Montage, type SampleGap, type StimulationEvent, type TrainGrade } from '../domain';
import { createPipeline, type Pipeline, type PipelineSettingsInput, type StimulusEpoch } from '../pipeline';
import { SessionGrader, type GradingEvent } from '../grading/session-grader';
import { MAINS_NOTCH_HARMONICS, MAINS_NOTCH_Q } from '../grading/offline';
import { PHILLIPS_PARK_RULES, SUGGESTION_PRESETS, type SuggestionRules } from '../grading/suggestion';
import type { CaseStore, SessionRecord, StimulationRecord } from '../storage';
import type {
  EventOf,
  GradedTrain,
  SdrHandlers,
  TopicName,
  PulseResponse,
  ReplaySpeed,
  ReplayStatus,
  ReplayStimulation,
  SessionSummary,
  TraceFrame,
} from '../contracts';
import { displayToTraceFrames } from './analyzer';
import { toWireGrade } from './sdr-app';
import { sessionMontage } from './interchange/common';

/**
 * Offline replay of a recorded session (live or imported) through the live code path: stored raw EMG
 * read back in chunks (store.raw.read) as sample blocks, stored gaps as gaps, and the stored
 * stimulations announced just before the block holding their first pulse, into createPipeline and the
 * SessionGrader with the session's montage and grading settings (architecture.md: replay enters at
 * "sample blocks + stimulation events", so it grades exactly as live did). It emits the live events
 * (trace frames, stimulation, pulse, grade) so the monitor views work while it plays.
 *
 * Pacing: the replay position follows a wall clock at 1x, 2x, 5x or 10x signal time, or runs as fast
 * as grading allows ('max', yielding to the event loop between chunks so pause/stop stay responsive).
 * A jump restarts the pipeline SEEK_LEAD before the target's epoch (the filter warm-up plus a margin),
 * so the filters have settled when its window starts; grades of trains before the target are not
 * emitted after a jump (their windows lack their lead).
 */

/** Where a replay reports to (the app forwards to its event hub; the CLI collects). */
export interface ReplaySink {
  trace?(frame: Omit<TraceFrame, 'droppedFrames'>): void;
  stimulation?(event: EventOf<'stimulation'>): void;
  pulse?(response: PulseResponse): void;
  grade?(train: GradedTrain): void;
  status?(status: ReplayStatus): void;
}

export interface ReplayOptions {
  readonly store: CaseStore;
  readonly sessionId: number;
  readonly speed?: ReplaySpeed;
  readonly sink?: ReplaySink;
  /** Training: grades and pulse responses are computed and kept, never sent to the sink. */
  readonly blind?: boolean;
  /** Start at this stimulation (a jump before the first block). */
  readonly fromStimulationId?: number;
  /** Monotonic ms (tests inject one). */
  readonly nowMs?: () => number;
  /** Live trace and status emission period, wall ms. Default 50 (trace), status every 250. */
  readonly displayPeriodMs?: number;
  /** Largest block pushed at once, samples per channel. Default 0.1 s of signal. */
  readonly blockSamples?: number;
  /** Start paused (the UI may want to jump first). */
  readonly paused?: boolean;
}

/** The pipeline settings and grading rules a session was graded with (imports record theirs). */
export interface SessionGradingSetup {
  readonly montage: Montage;
  readonly pipeline: PipelineSettingsInput | undefined;
  readonly rules: SuggestionRules;
}

/**
 * Live sessions are graded with the default pipeline settings and the Phillips & Park rules (sdr-app);
 * an import records the mains notch and rule preset it used in the session's device info.
 */
export function gradingSetupOf(store: CaseStore, session: SessionRecord): SessionGradingSetup {
  const montage = sessionMontage(store, session); // as recorded (the default montage when the case had none)
  const info = session.deviceInfo;
  const rules = (typeof info.rules === 'string' ? SUGGESTION_PRESETS[info.rules] : undefined) ?? PHILLIPS_PARK_RULES;
  const mainsHz = info.mains === 50 || info.mains === 60 ? info.mains : null;
  const pipeline: PipelineSettingsInput | undefined = mainsHz === null
    ? undefined
    : { filter: { notch: { mainsHz, q: MAINS_NOTCH_Q, harmonics: MAINS_NOTCH_HARMONICS } } };
  return { montage, pipeline, rules };
}

/** Stored range of the session, plus the stimulations in onset order. */
export function sessionSummary(store: CaseStore, s: SessionRecord): SessionSummary {
  const ext = store.raw.extentOf(s.id);
  const stims = store.stimulations.forSession(s.id);
  return {
    sessionId: s.id, caseId: s.caseId, source: s.source, startedAt: s.startedAt, endedAt: s.endedAt, cleanShutdown: s.cleanShutdown,
    sampleRateHz: s.sampleRateHz, channelCount: s.channelCount,
    durationS: ext.firstSample === null || ext.endSample === null ? 0 : (ext.endSample - ext.firstSample) / s.sampleRateHz,
    stimulations: stims.length, trains: stims.filter((x) => x.stimulation.mode === 'train').length,
  };
}

export function replayStimulations(stims: readonly StimulationRecord[], sampleRateHz: number): ReplayStimulation[] {
  return stims.map((s) => ({
    stimulationId: s.id, onsetSample: s.onsetSample, onsetS: s.onsetSample / sampleRateHz,
    stimulation: { ...s.stimulation, target: s.stimulation.target ? { ...s.stimulation.target } : null },
  }));
}

/** Signal before a jump target's epoch beyond the filter warm-up, so the filters have settled. */
const SEEK_MARGIN_S = 0.5;
const STATUS_PERIOD_MS = 250;
const PACED_TICK_MS = 15;
/** A paced replay that fell behind (a busy machine) catches up at most this much wall time per tick. */
const MAX_CATCH_UP_S = 1;

export class ReplayError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    // thrown errors keep their code across the contract (sdr-api errorFromThrown)
    this.name = 'AppError';
  }
}

/**
 * One replay run. Created playing (unless `paused`); `done` resolves when it finished or was stopped.
 */
export class ReplayRun {
  readonly session: SessionRecord;
  readonly startSample: number;
  readonly endSample: number;
  readonly stimulations: readonly StimulationRecord[];
  readonly setup: SessionGradingSetup;
  readonly done: Promise<void>;
  /** Resolves when the replay first reaches the end of the session (or is stopped). */
  readonly finished: Promise<void>;
  /** Automatic grades of this run by stimulation id (kept in blind mode too). */
  readonly grades = new Map<number, TrainGrade>();

  private readonly store: CaseStore;
  private readonly sink: ReplaySink;
  private readonly blind: boolean;
  private readonly nowMs: () => number;
  private readonly displayPeriodMs: number;
  private readonly blockSamples: number;
  private speed: ReplaySpeed;
  private state: ReplayStatus['state'];
  private stopped = false;
  private cursor: number;
  private anchorSample = 0;
  private anchorMs = 0;
  private generation = 0;
  private stimIndex = 0;
  private suppressBefore = -1;
  private pipeline: Pipeline | null = null;
  private grader: SessionGrader | null = null;
  private pendingGap: SampleGap | null = null;
  private pendingSeek: number | null = null;
  private trainsGraded = 0;
  private lastError: string | null = null;
  private lastTraceMs = -Infinity;
  private lastStatusMs = -Infinity;
  private wake: (() => void) | null = null;
  private readonly stimIdsByOnset = new Map<number, number[]>();
  private resolveFinished: () => void = () => undefined;

  constructor(options: ReplayOptions) {
    this.finished = new Promise<void>((resolve) => { this.resolveFinished = resolve; });
    this.store = options.store;
    const s = options.store.sessions.get(options.sessionId);
    if (!s) throw new ReplayError('unknown-session', `no session ${options.sessionId}`);
    this.session = s;
    const ext = options.store.raw.extentOf(s.id);
    if (ext.firstSample === null || ext.endSample === null) throw new ReplayError('no-raw-data', `session ${s.id} has no stored EMG to replay`);
    this.startSample = ext.firstSample;
    this.endSample = ext.endSample;
    this.stimulations = options.store.stimulations.forSession(s.id);
    this.setup = gradingSetupOf(options.store, s);
    if (this.setup.montage.channels.length > s.channelCount) {
      throw new ReplayError('montage-mismatch', `the session's montage has ${this.setup.montage.channels.length} channels, the recording ${s.channelCount}`);
    }
    this.sink = options.sink ?? {};
    this.blind = options.blind ?? false;
    this.nowMs = options.nowMs ?? (() => performance.now());
    this.displayPeriodMs = options.displayPeriodMs ?? 50;
    this.blockSamples = Math.max(1, Math.round(options.blockSamples ?? s.sampleRateHz / 10));
    this.speed = options.speed ?? 1;
    this.cursor = this.startSample;
    this.state = options.paused ? 'paused' : 'playing';
    for (const st of this.stimulations) this.stimIdsByOnset.set(st.onsetSample, [...(this.stimIdsByOnset.get(st.onsetSample) ?? []), st.id]);
    this.restartAt(this.startSample, -1);
    if (options.fromStimulationId !== undefined) this.seek(options.fromStimulationId);
    this.done = this.loop();
  }

  get sampleRateHz(): number {
    return this.session.sampleRateHz;
  }

  get isBlind(): boolean {
    return this.blind;
  }

  status(): ReplayStatus {
    return {
      state: this.stopped ? 'idle' : this.state, sessionId: this.session.id, caseId: this.session.caseId, training: this.blind, speed: this.speed,
      sampleRateHz: this.session.sampleRateHz, positionSample: this.cursor, startSample: this.startSample, endSample: this.endSample,
      generation: this.generation, stimulationsPassed: this.stimIndex, stimulationsTotal: this.stimulations.length,
      trainsGraded: this.trainsGraded, lastError: this.lastError,
    };
  }

  pause(): void {
    if (this.stopped || this.state !== 'playing') return;
    this.state = 'paused';
    this.emitStatus();
  }

  resume(): void {
    if (this.stopped || this.state !== 'paused') return;
    this.state = 'playing';
    this.reanchor();
    this.emitStatus();
    this.poke();
  }

  setSpeed(speed: ReplaySpeed): void {
    if (this.stopped) return;
    this.speed = speed;
    this.reanchor();
    this.emitStatus();
    this.poke();
  }

  /** Jumps to a stimulation of this session; a finished replay plays again from there. */
  seek(stimulationId: number): void {
    if (this.stopped) return;
    if (!this.stimulations.some((s) => s.id === stimulationId)) throw new ReplayError('unknown-stimulation', `session ${this.session.id} has no stimulation ${stimulationId}`);
    this.pendingSeek = stimulationId;
    if (this.state === 'finished') this.state = 'playing';
    this.poke();
  }

  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.poke();
    }
    return this.done;
  }

  // ---------- the feed ----------

  private reanchor(): void {
    this.anchorSample = this.cursor;
    this.anchorMs = this.nowMs();
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private emitStatus(): void {
    this.lastStatusMs = this.nowMs();
    this.sink.status?.(this.status());
  }

  /** A fresh pipeline and grader fed from `from`; grades of trains with onset < `suppressBefore` are dropped. */
  private restartAt(from: number, suppressBefore: number): void {
    this.disposeAnalysis();
    const fs = this.session.sampleRateHz;
    const grader = new SessionGrader({ montage: this.setup.montage, rules: this.setup.rules });
    // the first grades run warm (once per process; no event, no session state)
    grader.warmUp({ sampleRateHz: fs, channelCount: this.session.channelCount });
    this.grader = grader;
    // stored stimulations are announced before the block holding their first pulse, so each block's end
    // is confirmed after it: a train is graded as soon as its window is fed, as live from a 1.1 device
    this.pipeline = createPipeline({
      sampleRateHz: fs, channelCount: this.session.channelCount, unit: 'uV', now: () => 0, stimulationReports: 'confirmed',
      ...(this.setup.pipeline ? { settings: this.setup.pipeline } : {}),
      // two-phase grading, as live: the train part graded while the post-train window is fed, and the
      // post-train part as it becomes final, so a train's grade follows its window's last block at once
      ...grader.pipelineHooks(),
    });
    this.cursor = from;
    this.pendingGap = null;
    this.suppressBefore = suppressBefore;
    // stimulations whose pulses (and blanking) reach into the new start are announced again
    const lastPulseAt = (s: StimulationRecord) => s.onsetSample + Math.ceil((s.stimulation.durationS + 0.01) * fs);
    this.stimIndex = 0;
    while (this.stimIndex < this.stimulations.length && lastPulseAt(this.stimulations[this.stimIndex]!) < from) this.stimIndex++;
    this.generation++;
    this.reanchor();
  }

  private applySeek(stimulationId: number): void {
    const target = this.stimulations.find((s) => s.id === stimulationId)!;
    const p = this.pipeline!;
    const preSamples = Math.round((p.settings.epoch.preMs * this.session.sampleRateHz) / 1000);
    const lead = p.warmupSamples + preSamples + Math.round(SEEK_MARGIN_S * this.session.sampleRateHz);
    this.restartAt(Math.max(this.startSample, target.onsetSample - lead), target.onsetSample);
    this.emitStatus();
  }

  private announceStimulationsBefore(end: number): void {
    const p = this.pipeline!;
    while (this.stimIndex < this.stimulations.length && this.stimulations[this.stimIndex]!.onsetSample < end) {
      const s = this.stimulations[this.stimIndex++]!;
      const event: StimulationEvent = { sampleIndex: s.onsetSample, stimulation: s.stimulation };
      p.pushStimulation(event);
      if (s.onsetSample >= this.suppressBefore) {
        this.sink.stimulation?.({
          stimulationId: s.id, caseId: this.session.caseId, sessionId: this.session.id, sampleIndex: s.onsetSample,
          stimulation: { ...s.stimulation, target: s.stimulation.target ? { ...s.stimulation.target } : null }, highIntensity: s.highIntensity,
        });
      }
    }
  }

  private flushGap(): void {
    const g = this.pendingGap;
    if (!g) return;
    this.pendingGap = null;
    this.announceStimulationsBefore(g.startSample + g.lengthSamples);
    this.grade(this.pipeline!.pushGap(g));
    this.grade(this.pipeline!.confirmStimulationsTo(g.startSample + g.lengthSamples));
  }

  /** Feeds stored samples [from, to): data runs as blocks, gaps as gaps (pieces split by reads merged). */
  private feed(from: number, to: number): void {
    const raw = this.store.raw.read(this.session.id, from, to);
    const n = raw.samplesPerChannel;
    const channels = this.session.channelCount;
    let pos = from;
    const pushData = (a: number, b: number) => {
      this.flushGap();
      for (let s = a; s < b; s += this.blockSamples) {
        const e = Math.min(b, s + this.blockSamples);
        const len = e - s;
        const data = new Float32Array(len * channels);
        for (let c = 0; c < channels; c++) data.set(raw.data.subarray(c * n + (s - from), c * n + (e - from)), c * len);
        this.announceStimulationsBefore(e);
        this.grade(this.pipeline!.pushBlock({ startSample: s, sampleRateHz: this.session.sampleRateHz, channelCount: channels, samplesPerChannel: len, data }));
        this.grade(this.pipeline!.confirmStimulationsTo(e));
      }
    };
    for (const g of raw.gaps) {
      if (g.startSample > pos) pushData(pos, g.startSample);
      const pg = this.pendingGap;
      if (pg && pg.startSample + pg.lengthSamples === g.startSample && pg.reason === g.reason) {
        this.pendingGap = { ...pg, lengthSamples: pg.lengthSamples + g.lengthSamples };
      } else {
        this.flushGap();
        this.pendingGap = { ...g };
      }
      pos = g.startSample + g.lengthSamples;
    }
    if (pos < to) pushData(pos, to);
  }

  private finish(): void {
    this.flushGap();
    this.announceStimulationsBefore(Infinity);
    this.grade(this.pipeline!.flush());
  }

  private grade(epochs: readonly StimulusEpoch[]): void {
    for (const epoch of epochs) {
      for (const e of this.grader!.push(epoch)) this.route(e, epoch);
    }
  }

  private stimulationIdAt(onsetSample: number): number | null {
    const ids = this.stimIdsByOnset.get(onsetSample);
    return ids && ids.length > 0 ? ids[ids.length - 1]! : null;
  }

  private route(e: GradingEvent, epoch: StimulusEpoch): void {
    if (epoch.event.sampleIndex < this.suppressBefore) return;
    if (e.type === 'train-grade') {
      const id = this.stimulationIdAt(e.grade.onsetSample);
      if (id === null) return;
      const clean = toWireGrade(e.grade);
      this.grades.set(id, clean);
      this.trainsGraded++;
      if (this.blind) return;
      const stim = this.stimulations.find((s) => s.id === id)!;
      this.sink.grade?.({
        // a replayed grade is recomputed, not stored: no grade row a decision could name
        stimulationId: id, gradeId: null, caseId: this.session.caseId, sessionId: this.session.id,
        stimulation: { ...stim.stimulation, target: stim.stimulation.target ? { ...stim.stimulation.target } : null },
        grade: clean, latencyMs: null, highIntensity: stim.highIntensity,
      });
    } else if (e.type === 'pulse-response') {
      const id = this.stimulationIdAt(e.response.onsetSample);
      if (id === null || this.blind) return;
      const p = e.response;
      this.sink.pulse?.({
        stimulationId: id, target: p.target ? { ...p.target } : null, intensityMa: p.intensityMa, onsetSample: p.onsetSample, responding: p.responded,
        channels: p.channels.map((c) => ({ channel: c.channel, responding: c.responded, latencyMs: c.latencyMs, amplitudeUv: c.amplitudeUv })),
      });
    } else if (e.type === 'skipped') {
      this.lastError = `stimulation at sample ${e.onsetSample} not graded: ${e.reason}`;
    }
  }

  private drainDisplay(): void {
    const f = this.pipeline?.drainDisplay();
    if (f && f.columnCount > 0 && this.sink.trace) for (const t of displayToTraceFrames(f)) this.sink.trace(t);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.wake = null; resolve(); }, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => { this.wake = resolve; });
  }

  private async loop(): Promise<void> {
    // start on the next turn so the creator can subscribe / answer first
    await new Promise<void>((r) => setImmediate(r));
    this.emitStatus();
    const fs = this.session.sampleRateHz;
    try {
      while (!this.stopped) {
        if (this.pendingSeek !== null) {
          const id = this.pendingSeek;
          this.pendingSeek = null;
          this.applySeek(id);
        }
        if (this.state !== 'playing') {
          this.drainDisplay();
          await this.idle(); // resume, speed and seek re-anchor the clock themselves
          continue;
        }
        let target: number;
        if (this.speed === 'max') {
          target = this.cursor + Math.max(this.blockSamples, Math.round(fs));
        } else {
          const due = this.anchorSample + Math.floor(((this.nowMs() - this.anchorMs) * this.speed * fs) / 1000);
          const limit = this.cursor + Math.round(MAX_CATCH_UP_S * this.speed * fs);
          target = Math.min(due, limit);
          if (due > limit) {
            // fell behind (busy machine, long GC): play on from here at the set speed rather than racing to catch up
            this.anchorSample = limit;
            this.anchorMs = this.nowMs();
          }
        }
        target = Math.min(target, this.endSample);
        if (target > this.cursor) {
          this.feed(this.cursor, target);
          this.cursor = target;
        }
        const now = this.nowMs();
        if (this.cursor >= this.endSample) {
          this.finish();
          this.drainDisplay();
          this.state = 'finished';
          this.emitStatus();
          this.resolveFinished();
          continue;
        }
        if (now - this.lastTraceMs >= this.displayPeriodMs) {
          this.lastTraceMs = now;
          this.drainDisplay();
        }
        if (now - this.lastStatusMs >= STATUS_PERIOD_MS) this.emitStatus();
        if (this.speed === 'max') await new Promise<void>((r) => setImmediate(r));
        else await this.sleep(PACED_TICK_MS);
      }
    } catch (e) {
      this.lastError = e instanceof Error ? e.message : String(e);
      this.state = 'finished';
    } finally {
      this.disposeAnalysis();
      this.stopped = true;
      this.sink.status?.(this.status());
      this.resolveFinished();
    }
  }

  private disposeAnalysis(): void {
    this.grader?.dispose();
    this.pipeline?.dispose();
    this.grader = null;
    this.pipeline = null;
  }
}

/** Replays a stored session as fast as possible to its end; the run holds the automatic grades. */
export async function replayAll(store: CaseStore, sessionId: number, sink: ReplaySink = {}): Promise<ReplayRun> {
  const run = new ReplayRun({ store, sessionId, speed: 'max', sink });
  await run.finished;
  await run.stop();
  return run;
}

// ---------- the service behind the contract methods ----------

type PlaybackMethods = 'listSessions' | 'startReplay' | 'controlReplay' | 'stopReplay' | 'getReplayStatus';

export interface PlaybackServiceOptions {
  readonly store: CaseStore;
  /** Forwards replay events to the app's event hub. */
  readonly emit: <T extends TopicName>(topic: T, event: EventOf<T>) => void;
  /** A live session is recording: a replay would mix its events with the live ones. */
  readonly isRecording: () => boolean;
  readonly nowMs?: () => number;
}

/** Owns the one replay the app runs at a time (a training run is a blind replay). */
export interface PlaybackService {
  readonly handlers: Pick<SdrHandlers, PlaybackMethods>;
  /** Starts a replay (replacing the current one); training passes blind. */
  start(options: { sessionId: number; speed: ReplaySpeed; blind: boolean; fromStimulationId?: number }): Promise<ReplayRun>;
  current(): ReplayRun | null;
  stop(): Promise<void>;
  status(): ReplayStatus;
  dispose(): Promise<void>;
}

export const IDLE_REPLAY_STATUS: ReplayStatus = {
  state: 'idle', sessionId: null, caseId: null, training: false, speed: 1, sampleRateHz: null, positionSample: 0, startSample: 0,
  endSample: 0, generation: 0, stimulationsPassed: 0, stimulationsTotal: 0, trainsGraded: 0, lastError: null,
};

export function createPlaybackService(options: PlaybackServiceOptions): PlaybackService {
  const { store, emit } = options;
  let run: ReplayRun | null = null;
  let generationBase = 0;
  const sink: ReplaySink = {
    trace: (f) => emit('trace', { ...f, droppedFrames: 0 }),
    stimulation: (e) => emit('stimulation', e),
    pulse: (p) => emit('pulse', p),
    grade: (g) => emit('grade', g),
    status: (s) => emit('replay', { ...s, generation: s.generation + generationBase }),
  };
  const status = (): ReplayStatus => {
    if (!run) return { ...IDLE_REPLAY_STATUS, generation: generationBase };
    const s = run.status();
    return { ...s, generation: s.generation + generationBase };
  };
  const stop = async (): Promise<void> => {
    const r = run;
    run = null;
    if (r) {
      // generations keep increasing across runs, so a client always sees a restart
      generationBase += r.status().generation;
      await r.stop();
    }
  };
  const requireRun = (): ReplayRun => {
    if (!run) throw new ReplayError('no-replay', 'no replay is running: start one first');
    return run;
  };
  const service: PlaybackService = {
    async start(o) {
      if (options.isRecording()) throw new ReplayError('recording', 'a live session is recording: disconnect the device or close the case before replaying');
      await stop();
      const r = new ReplayRun({ store, sessionId: o.sessionId, speed: o.speed, sink, blind: o.blind, ...(o.fromStimulationId !== undefined ? { fromStimulationId: o.fromStimulationId } : {}), ...(options.nowMs ? { nowMs: options.nowMs } : {}) });
      run = r;
      return r;
    },
    current: () => run,
    stop,
    status,
    dispose: stop,
    handlers: {
      listSessions(req) {
        if (!store.cases.get(req.caseId)) throw new ReplayError('unknown-case', `no case with id '${req.caseId}'`);
        return { sessions: store.sessions.forCaseId(req.caseId).map((x) => sessionSummary(store, x)) };
      },
      async startReplay(req) {
        if (run?.isBlind) throw new ReplayError('training-active', 'a training run is active: finish or cancel it first');
        const r = await service.start({ sessionId: req.sessionId, speed: req.speed, blind: false, ...(req.fromStimulationId !== undefined ? { fromStimulationId: req.fromStimulationId } : {}) });
        return { status: status(), stimulations: replayStimulations(r.stimulations, r.sampleRateHz) };
      },
      controlReplay(req) {
        const r = requireRun();
        if (req.action === 'pause') r.pause();
        else if (req.action === 'resume') r.resume();
        else if (req.action === 'speed') r.setSpeed(req.speed);
        else r.seek(req.stimulationId);
        return status();
      },
      async stopReplay() {
        if (run?.isBlind) throw new ReplayError('training-active', 'a training run is active: finish or cancel it to stop its replay');
        await stop();
        const s = status();
        emit('replay', s);
        return s;
      },
      getReplayStatus() {
        return status();
      },
    },
  };
  return service;
}
