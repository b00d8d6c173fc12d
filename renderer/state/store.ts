import type {
  CaseDetail,
  CaseSummary,
  DecisionRecord,
  DeviceStatus,
  EpochTraces,
  GradedTrain,
  PulseResponse,
  RecoveryInfo,
  RequestOf,
  ResponseOf,
  RootletMap,
  RootletResults,
  SdrApi,
  StimulationState,
} from '../../src/contracts';
import type { CutPlan, DecisionKind, Level, Result } from '../../src/domain';
import { LEVELS } from '../../src/domain';
import { moveCursor, type ShortcutAction, type TargetCursor } from '../keyboard';
import { targetLabel } from '../labels';
import type { TraceBuffer } from '../live/traceBuffer';

export type Screen = 'monitor' | 'map' | 'audit' | 'setup' | 'device' | 'replay' | 'training';
export type RampResult = ResponseOf<'runThresholdRamp'>;
export type AuditLog = ResponseOf<'getAuditLog'>;
export type PortList = ResponseOf<'listPorts'>;
export type Busy = null | 'ramp' | 'train' | 'repeat' | 'pulse' | 'connect';

export interface SaveState {
  readonly status: 'idle' | 'saving' | 'saved' | 'error';
  readonly message: string;
  /** The decision the API confirmed, when saved. */
  readonly record: DecisionRecord | null;
}

export interface RampSettings {
  readonly startMa: number;
  readonly stepMa: number;
  readonly maxMa: number;
  readonly repeatsPerStep: number;
  /** Pulse rate of the ramp; about 1 Hz in most centres. */
  readonly rateHz: number;
}

export interface UiState {
  readonly screen: Screen;
  readonly link: boolean;
  readonly cases: readonly CaseSummary[];
  readonly caseDetail: CaseDetail | null;
  readonly device: DeviceStatus | null;
  readonly ports: PortList | null;
  readonly stim: StimulationState | null;
  readonly cursor: TargetCursor;
  readonly ramp: RampSettings;
  readonly lastRamp: RampResult | null;
  /** Threshold found by the last ramp and where it came from (shown with the value). */
  readonly rampThreshold: { readonly ma: number; readonly source: 'grader' | 'pulses' } | null;
  readonly lastPulse: PulseResponse | null;
  readonly lastTrain: GradedTrain | null;
  /** Stimulus-locked traces of `lastTrain`: filtered band and envelope. */
  readonly epoch: { readonly filtered: EpochTraces; readonly envelope: EpochTraces } | null;
  readonly rootlet: RootletResults | null;
  readonly map: RootletMap | null;
  readonly audit: AuditLog | null;
  readonly decisions: readonly DecisionRecord[];
  readonly recovery: RecoveryInfo | null;
  readonly recoveryDismissed: boolean;
  readonly busy: Busy;
  readonly save: SaveState;
  readonly partialFraction: number;
  readonly decisionReason: string;
  readonly clinician: string;
  readonly errors: readonly { readonly id: number; readonly text: string }[];
  readonly help: boolean;
  readonly evidence: boolean;
  readonly sound: { readonly on: boolean; readonly channel: number | 'mix' };
}

const LAST_CASE_KEY = 'sdrlog.lastCaseId';
const CLINICIAN_KEY = 'sdrlog.clinician';

function initialState(): UiState {
  return {
    screen: 'setup',
    link: false,
    cases: [],
    caseDetail: null,
    device: null,
    ports: null,
    stim: null,
    cursor: { level: 'L2', side: 'L', kind: 'dorsal', rootlet: 1 },
    ramp: { startMa: 0.1, stepMa: 0.1, maxMa: 5, repeatsPerStep: 2, rateHz: 1 },
    lastRamp: null,
    rampThreshold: null,
    lastPulse: null,
    lastTrain: null,
    epoch: null,
    rootlet: null,
    map: null,
    audit: null,
    decisions: [],
    recovery: null,
    recoveryDismissed: false,
    busy: null,
    save: { status: 'idle', message: '', record: null },
    partialFraction: 0.6,
    decisionReason: '',
    clinician: safeStorageGet(CLINICIAN_KEY) ?? 'neurophysiologist',
    errors: [],
    help: false,
    evidence: false,
    sound: { on: false, channel: 'mix' },
  };
}

function safeStorageGet(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function safeStorageSet(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    /* storage unavailable (private mode): preference is simply not remembered */
  }
}

/**
 * The UI's state and the actions that change it. Everything goes through `SdrApi`; what the API
 * answers is the truth (a decision is shown as saved only once the API confirmed it). The hot live
 * trace bypasses this store entirely and goes straight into the TraceBuffer the canvas reads.
 */
export class Store {
  private state: UiState = initialState();
  private readonly listeners = new Set<() => void>();
  private readonly disposers: (() => void)[] = [];
  private nextErrorId = 1;
  private targetSeq = 0;

  constructor(readonly api: SdrApi, readonly traces: TraceBuffer) {}

  getState = (): UiState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<UiState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  /** Unwraps a Result; an error goes to the error list and yields null. */
  private unwrap<T>(r: Result<T>, what: string): T | null {
    if (r.ok) return r.value;
    this.reportError(`${what}: ${r.error.message}`);
    return null;
  }

  reportError(text: string): void {
    const id = this.nextErrorId++;
    this.set({ errors: [...this.state.errors.slice(-3), { id, text }] });
  }

  dismissError(id: number): void {
    this.set({ errors: this.state.errors.filter((e) => e.id !== id) });
  }

  // ---------- start-up ----------

  async start(onLink: (l: (up: boolean) => void) => () => void): Promise<void> {
    this.disposers.push(onLink((up) => this.set({ link: up })));
    this.disposers.push(this.api.subscribe('trace', (f) => this.traces.push(f, performance.now())));
    this.disposers.push(this.api.subscribe('stimulation', (e) => {
      const s = e.stimulation;
      const len = Math.round(s.durationS * this.traces.sampleRateHz);
      this.traces.addStimulus(e.sampleIndex, len, `${targetLabel(s.target)} ${s.intensityMa.toFixed(2)} mA${s.mode === 'train' ? ' train' : ''}`);
    }));
    this.disposers.push(this.api.subscribe('deviceStatus', (d) => this.set({ device: d })));
    // Status events come on changes; link counters grow continuously, so also poll once a second.
    const poll = setInterval(() => {
      if (!this.state.link || !this.state.device || this.state.device.source === 'none') return;
      void this.api.getDeviceStatus({}).then((r) => {
        if (r.ok && JSON.stringify(r.value) !== JSON.stringify(this.state.device)) this.set({ device: r.value });
      });
    }, 1000);
    this.disposers.push(() => clearInterval(poll));
    this.disposers.push(this.api.subscribe('map', (m) => {
      if (m.caseId === this.state.caseDetail?.case.id) this.set({ map: m.map });
    }));
    this.disposers.push(this.api.subscribe('decision', (d) => {
      if (d.caseId !== this.state.caseDetail?.case.id) return;
      if (!this.state.decisions.some((x) => x.decisionId === d.decisionId)) this.set({ decisions: [...this.state.decisions, d] });
    }));
    const [recovery, device, cases, stim] = await Promise.all([
      this.api.getRecoveryInfo({}),
      this.api.getDeviceStatus({}),
      this.api.listCases({}),
      this.api.getStimulation({}),
    ]);
    const rec = this.unwrap(recovery, 'recovery');
    const dev = this.unwrap(device, 'device status');
    const list = this.unwrap(cases, 'cases');
    const st = this.unwrap(stim, 'stimulator');
    this.set({ recovery: rec, device: dev, cases: list?.cases ?? [], stim: st });
    if (st?.target) this.set({ cursor: cursorFromTarget(st.target, this.state.cursor) });
    // Reopen the case that was being recorded (after a reload or a crash), else the last one used here.
    const candidates = [dev?.recording?.caseId, rec?.resumedCaseId, safeStorageGet(LAST_CASE_KEY)];
    const known = new Set((list?.cases ?? []).map((c) => c.id));
    const resume = candidates.find((c): c is string => typeof c === 'string' && known.has(c));
    if (resume) {
      await this.openCase(resume);
      // A case in progress opens on the working screen.
      if (this.state.caseDetail) this.set({ screen: 'monitor' });
    }
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d();
  }

  // ---------- navigation / preferences ----------

  setScreen(screen: Screen): void {
    this.set({ screen });
    if (screen === 'audit') void this.refreshAudit();
    if (screen === 'map') void this.refreshMap();
    if (screen === 'device') void this.refreshPorts();
  }

  toggleHelp(force?: boolean): void {
    this.set({ help: force ?? !this.state.help });
  }

  toggleEvidence(force?: boolean): void {
    this.set({ evidence: force ?? !this.state.evidence });
  }

  setClinician(name: string): void {
    this.set({ clinician: name });
    safeStorageSet(CLINICIAN_KEY, name);
  }

  setDecisionReason(reason: string): void {
    this.set({ decisionReason: reason });
  }

  setPartialFraction(f: number): void {
    this.set({ partialFraction: f });
  }

  setRamp(patch: Partial<RampSettings>): void {
    this.set({ ramp: { ...this.state.ramp, ...patch } });
  }

  setSound(patch: Partial<UiState['sound']>): void {
    this.set({ sound: { ...this.state.sound, ...patch } });
  }

  dismissRecovery(): void {
    this.set({ recoveryDismissed: true });
  }

  // ---------- cases ----------

  async refreshCases(): Promise<void> {
    const r = this.unwrap(await this.api.listCases({}), 'cases');
    if (r) this.set({ cases: r.cases });
  }

  async createCase(req: RequestOf<'createCase'>): Promise<string | null> {
    const r = await this.api.createCase(req);
    if (!r.ok) return r.error.message;
    await this.refreshCases();
    await this.openCase(r.value.id);
    return null;
  }

  async openCase(caseId: string): Promise<void> {
    const detail = this.unwrap(await this.api.openCase({ caseId }), 'open case');
    if (!detail) return;
    safeStorageSet(LAST_CASE_KEY, caseId);
    this.set({ caseDetail: detail, lastTrain: null, epoch: null, lastRamp: null, lastPulse: null, decisions: [], map: null, audit: null });
    await Promise.all([this.refreshMap(), this.refreshDecisions(), this.refreshRootlet()]);
  }

  async updatePlan(cutPlan: CutPlan): Promise<string | null> {
    const c = this.state.caseDetail;
    if (!c) return 'no case open';
    const r = await this.api.updateCasePlan({ caseId: c.case.id, cutPlan });
    if (!r.ok) return r.error.message;
    this.set({ caseDetail: { ...c, case: r.value } });
    await this.refreshMap();
    return null;
  }

  async updateMontage(req: Omit<RequestOf<'updateMontage'>, 'caseId'>): Promise<string | null> {
    const c = this.state.caseDetail;
    if (!c) return 'no case open';
    const r = await this.api.updateMontage({ ...req, caseId: c.case.id });
    if (!r.ok) return r.error.message;
    this.set({ caseDetail: { ...c, montage: r.value } });
    return null;
  }

  // ---------- device ----------

  async refreshPorts(): Promise<void> {
    const r = this.unwrap(await this.api.listPorts({}), 'serial ports');
    if (r) this.set({ ports: r });
  }

  async connect(req: RequestOf<'connectDevice'>): Promise<void> {
    this.set({ busy: 'connect' });
    try {
      const r = this.unwrap(await this.api.connectDevice(req), 'connect');
      if (r) {
        this.traces.clear();
        this.set({ device: r });
      }
    } finally {
      this.set({ busy: null });
    }
  }

  async disconnect(): Promise<void> {
    const r = this.unwrap(await this.api.disconnectDevice({}), 'disconnect');
    if (r) this.set({ device: r });
  }

  // ---------- stimulation workflow ----------

  /** Keyboard and button entry point for every workflow action. */
  async act(action: ShortcutAction): Promise<void> {
    switch (action) {
      case 'level-up':
      case 'level-down':
      case 'rootlet-prev':
      case 'rootlet-next':
      case 'toggle-side':
      case 'toggle-kind':
        return this.setCursor(moveCursor(this.state.cursor, action));
      case 'ramp':
        return this.runRamp();
      case 'train':
        return this.runTrain();
      case 'repeat':
        return this.repeatLast();
      case 'decide-cut':
        return this.decide('cut');
      case 'decide-spare':
        return this.decide('spare');
      case 'decide-partial':
        return this.decide('partial');
      case 'decide-sphincter':
        return this.decide('spare-sphincter');
      case 'toggle-sound':
        return this.setSound({ on: !this.state.sound.on });
      case 'screen-monitor':
        return this.setScreen('monitor');
      case 'screen-map':
        return this.setScreen('map');
      case 'screen-audit':
        return this.setScreen('audit');
      case 'screen-setup':
        return this.setScreen('setup');
      case 'screen-device':
        return this.setScreen('device');
      case 'screen-replay':
        return this.setScreen('replay');
      case 'screen-training':
        return this.setScreen('training');
      case 'evidence':
        return this.toggleEvidence();
      case 'help':
        return this.toggleHelp();
      case 'escape':
        this.set({ help: false, evidence: false });
        return;
    }
  }

  async setCursor(cursor: TargetCursor): Promise<void> {
    const seq = ++this.targetSeq;
    const sameRootlet = sameTarget(cursor, this.state.cursor);
    this.set({ cursor, ...(sameRootlet ? {} : { save: { status: 'idle', message: '', record: null }, decisionReason: '', rampThreshold: null }) });
    const target = { level: cursor.level, side: cursor.side, kind: cursor.kind, rootlet: cursor.kind === 'ventral' ? null : cursor.rootlet };
    const r = await this.api.setStimulation({ target });
    if (seq !== this.targetSeq) return; // a newer move superseded this one
    const st = this.unwrap(r, 'set target');
    if (st) this.set({ stim: st });
    await this.refreshRootlet();
  }

  async setStimSettings(patch: RequestOf<'setStimulation'>['settings']): Promise<void> {
    const st = this.unwrap(await this.api.setStimulation({ settings: patch }), 'stimulator settings');
    if (st) this.set({ stim: st });
  }

  private async ensureTarget(): Promise<boolean> {
    if (!this.state.caseDetail) {
      this.reportError('Open or create a case before stimulating.');
      return false;
    }
    if (this.state.device?.connection !== 'open') {
      this.reportError('Connect a device (simulator or serial) before stimulating.');
      return false;
    }
    const t = this.state.stim?.target;
    const c = this.state.cursor;
    if (!t || t.level !== c.level || t.side !== c.side || t.kind !== c.kind || (c.kind === 'dorsal' && t.rootlet !== c.rootlet)) {
      await this.setCursor(c);
    }
    return true;
  }

  async runRamp(): Promise<void> {
    if (this.state.busy || !(await this.ensureTarget())) return;
    this.set({ busy: 'ramp' });
    try {
      const { startMa, stepMa, maxMa, repeatsPerStep, rateHz } = this.state.ramp;
      const r = this.unwrap(await this.api.runThresholdRamp({ startMa, stepMa, maxMa, repeatsPerStep, rateHz }), 'threshold ramp');
      if (!r) return;
      await Promise.all([this.refreshRootlet(), this.refreshMap()]);
      const stored = this.state.rootlet?.thresholds ?? [];
      const graderMa = r.result.thresholdMa ?? stored[stored.length - 1]?.thresholdMa ?? null;
      const pulsesMa = reproducibleIntensity(r.pulses, repeatsPerStep);
      const found = graderMa !== null ? { ma: graderMa, source: 'grader' as const } : pulsesMa !== null ? { ma: pulsesMa, source: 'pulses' as const } : null;
      this.set({ lastRamp: r, rampThreshold: found, lastPulse: r.pulses[r.pulses.length - 1] ?? null });
      // The test train runs at threshold intensity (domain notes, "Stimulation").
      if (found) await this.setStimSettings({ intensityMa: found.ma });
      else this.reportError(`Threshold ramp: no reproducible response up to ${maxMa} mA.`);
    } finally {
      this.set({ busy: null });
    }
  }

  async runTrain(): Promise<void> {
    if (this.state.busy || !(await this.ensureTarget())) return;
    this.set({ busy: 'train' });
    try {
      const r = this.unwrap(await this.api.runTrain({}), 'train');
      if (!r) return;
      this.set({ lastTrain: r, epoch: null });
      await Promise.all([this.loadEpoch(r), this.refreshRootlet(), this.refreshMap()]);
    } finally {
      this.set({ busy: null });
    }
  }

  async repeatLast(): Promise<void> {
    if (this.state.busy || !(await this.ensureTarget())) return;
    this.set({ busy: 'repeat' });
    try {
      const r = this.unwrap(await this.api.repeatLast({}), 'repeat');
      if (!r) return;
      if (r.mode === 'train') {
        this.set({ lastTrain: r.train, epoch: null });
        await this.loadEpoch(r.train);
      } else {
        this.set({ lastPulse: r.pulse });
      }
      await Promise.all([this.refreshRootlet(), this.refreshMap()]);
    } finally {
      this.set({ busy: null });
    }
  }

  /** Shows a stored train (from the rootlet's history) in the graded-response panel. */
  async showTrain(train: GradedTrain): Promise<void> {
    this.set({ lastTrain: train, epoch: null });
    await this.loadEpoch(train);
  }

  private async loadEpoch(train: GradedTrain): Promise<void> {
    const [filtered, envelope] = await Promise.all([
      this.api.getEpochTraces({ caseId: train.caseId, stimulationId: train.stimulationId, maxPoints: 400, signal: 'filtered' }),
      this.api.getEpochTraces({ caseId: train.caseId, stimulationId: train.stimulationId, maxPoints: 400, signal: 'envelope' }),
    ]);
    const f = this.unwrap(filtered, 'epoch traces');
    const e = this.unwrap(envelope, 'epoch envelope');
    if (f && e && this.state.lastTrain?.stimulationId === train.stimulationId) this.set({ epoch: { filtered: f, envelope: e } });
  }

  // ---------- results ----------

  async refreshRootlet(): Promise<void> {
    const c = this.state.caseDetail;
    if (!c) return;
    const cur = this.state.cursor;
    const r = await this.api.getRootletResults({
      caseId: c.case.id, level: cur.level, side: cur.side, kind: cur.kind, rootlet: cur.kind === 'ventral' ? null : cur.rootlet,
    });
    if (!sameTarget(cur, this.state.cursor)) return;
    const results = this.unwrap(r, 'rootlet results');
    this.set({ rootlet: results });
    // Moving to a rootlet shows its latest graded train, so its evidence is on screen with its decision.
    const t = this.state.lastTrain?.grade.target;
    const showing = t !== undefined && sameTarget({ level: t.level, side: t.side, kind: t.kind, rootlet: t.rootlet ?? 0 }, cur);
    const graded = (results?.stimulations ?? []).filter((s) => s.grade !== null);
    const latest = graded[graded.length - 1];
    if (!showing && latest?.grade && this.state.busy === null) {
      await this.showTrain({
        stimulationId: latest.stimulationId, gradeId: latest.gradeId, caseId: c.case.id, sessionId: latest.sessionId, stimulation: latest.stimulation,
        grade: latest.grade, latencyMs: null, highIntensity: latest.highIntensity,
      });
    }
  }

  async refreshMap(): Promise<void> {
    const c = this.state.caseDetail;
    if (!c) return;
    const r = this.unwrap(await this.api.getRootletMap({ caseId: c.case.id }), 'rootlet map');
    if (r) this.set({ map: r });
  }

  async refreshDecisions(): Promise<void> {
    const c = this.state.caseDetail;
    if (!c) return;
    const r = this.unwrap(await this.api.listDecisions({ caseId: c.case.id }), 'decisions');
    if (r) this.set({ decisions: r.decisions });
  }

  async refreshAudit(): Promise<void> {
    const c = this.state.caseDetail;
    if (!c) return;
    const [a] = await Promise.all([this.api.getAuditLog({ caseId: c.case.id }), this.refreshDecisions()]);
    const r = this.unwrap(a, 'audit log');
    if (r) this.set({ audit: r });
  }

  // ---------- decisions ----------

  /**
   * Records a decision on the rootlet under the cursor. A rootlet that already has one gets a
   * correction (a new record pointing at the old), never an overwrite. "Saved" shows only after the
   * API confirmed the write.
   */
  async decide(kind: DecisionKind): Promise<void> {
    const c = this.state.caseDetail;
    const cur = this.state.cursor;
    if (!c) {
      this.reportError('Open or create a case before recording decisions.');
      return;
    }
    if (cur.kind !== 'dorsal') {
      this.reportError('Decisions are recorded on dorsal rootlets; switch to dorsal (V).');
      return;
    }
    if (this.state.save.status === 'saving') return;
    const current = this.state.rootlet?.decision ?? null;
    const gradeId = shownGradeId(this.state.lastTrain, cur);
    this.set({ save: { status: 'saving', message: `saving ${kind}\u2026`, record: null } });
    const r = await this.api.recordDecision({
      caseId: c.case.id,
      level: cur.level,
      side: cur.side,
      rootlet: cur.rootlet,
      kind,
      ...(kind === 'partial' ? { fraction: this.state.partialFraction } : {}),
      decidedBy: this.state.clinician.trim() || 'unknown',
      reason: this.state.decisionReason,
      // the stored grade on screen for this rootlet, so the record says what the clinician saw
      ...(gradeId !== null ? { gradeId } : {}),
      ...(current ? { correctsId: current.decisionId } : {}),
    });
    if (!r.ok) {
      this.set({ save: { status: 'error', message: `NOT saved: ${r.error.message}`, record: null } });
      return;
    }
    const rec = r.value.record;
    this.set({
      save: { status: 'saved', message: current ? `correction saved (#${rec.decisionId} corrects #${current.decisionId})` : `saved #${rec.decisionId}`, record: rec },
      decisions: this.state.decisions.some((d) => d.decisionId === rec.decisionId) ? this.state.decisions : [...this.state.decisions, rec],
    });
    await Promise.all([this.refreshRootlet(), this.refreshMap()]);
  }
}

/**
 * The lowest ramp intensity at which every pulse responded (`repeats` in a row): the reproducible-response
 * definition of threshold (domain notes, "Stimulation"), read straight from the pulses delivered.
 */
export function reproducibleIntensity(pulses: readonly { intensityMa: number; responding: boolean }[], repeats: number): number | null {
  const byMa = new Map<number, boolean[]>();
  for (const p of pulses) byMa.set(p.intensityMa, [...(byMa.get(p.intensityMa) ?? []), p.responding]);
  const ok = [...byMa.entries()].filter(([, r]) => r.length >= repeats && r.every(Boolean)).map(([ma]) => ma);
  return ok.length ? Math.min(...ok) : null;
}

/** The stored grade of the train shown, when that train was on the rootlet under the cursor (else null). */
export function shownGradeId(train: GradedTrain | null, cursor: TargetCursor): number | null {
  const t = train?.grade.target;
  if (!train || !t || t.kind !== 'dorsal' || cursor.kind !== 'dorsal') return null;
  if (t.level !== cursor.level || t.side !== cursor.side || t.rootlet !== cursor.rootlet) return null;
  return train.gradeId;
}

function sameTarget(a: TargetCursor, b: TargetCursor): boolean {
  return a.level === b.level && a.side === b.side && a.kind === b.kind && (a.kind === 'ventral' || a.rootlet === b.rootlet);
}

function cursorFromTarget(t: { level: Level; side: 'L' | 'R'; kind: 'dorsal' | 'ventral'; rootlet: number | null }, prev: TargetCursor): TargetCursor {
  return { level: LEVELS.includes(t.level) ? t.level : prev.level, side: t.side, kind: t.kind, rootlet: t.rootlet ?? prev.rootlet };
}
