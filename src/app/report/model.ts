import { existsSync } from 'node:fs';
import { type CaseRecord, type DecisionKind, type Level, type Side } from '../../domain';
import type { RootletMap } from '../../contracts';
import { verifyDatabase, type CaseStore, type VerifyCheck } from '../../storage';
import { rootletMapFromStore } from './case-data';

/** The sdrlog release that generates reports; test/unit/report keeps it equal to package.json. */
export const SOFTWARE_VERSION = '0.1.0';

export interface CaseReportOptions {
  /** Clock for "generated at" (tests inject one). */
  readonly now?: () => Date;
  readonly softwareVersion?: string;
  /** IANA time zone for the times printed in the report; default: this machine's zone. */
  readonly timeZone?: string;
  /** At most this many events of each kind are listed (all are counted); default 40. */
  readonly maxEventsPerKind?: number;
}

/** Rootlets tested and decided at one level and side, with the cut against the plan. */
export interface ReportLevelRow {
  readonly level: Level;
  readonly side: Side;
  readonly tested: number;
  readonly decided: number;
  /** Rootlets cut completely. */
  readonly cut: number;
  /** Fractions (0..1) of the partly cut rootlets, in rootlet order. */
  readonly partialFractions: readonly number[];
  readonly spared: number;
  /** Spared for sphincter/pudendal protection whatever the grade. */
  readonly sparedSphincter: number;
  /** Cut rootlets + partial fractions (a 60 % partial counts 0.6). */
  readonly cutEquivalent: number;
  /** cutEquivalent / decided x 100 (as on the app's rootlet map), or null when nothing was decided. */
  readonly cutPct: number | null;
  readonly planPct: number | null;
  /** cutPct - planPct in percentage points, when both exist. */
  readonly deltaPct: number | null;
}

/** Totals over the levels of one side, or of both sides. */
export interface ReportTotal {
  readonly side: Side | 'both';
  readonly tested: number;
  readonly decided: number;
  readonly cut: number;
  readonly partialFractions: readonly number[];
  readonly cutEquivalent: number;
  readonly cutPct: number | null;
  /**
   * The plan over the same rootlets: each planned level's % weighted by the rootlets decided there
   * (levels without a plan or without decisions do not count). Null when no decided level has a plan.
   */
  readonly planPct: number | null;
  readonly deltaPct: number | null;
}

export interface ReportThresholdRow {
  readonly level: Level;
  readonly side: Side;
  /** Whole dorsal / ventral root threshold, mA. */
  readonly dorsalMa: number | null;
  readonly ventralMa: number | null;
  /** Dorsal / ventral threshold (about 10 in most patients; shown, never used as a rule). */
  readonly dorsalVentralRatio: number | null;
  /** Rootlet thresholds at this root: how many, lowest, median, highest (mA). */
  readonly rootletCount: number;
  readonly rootletMinMa: number | null;
  readonly rootletMedianMa: number | null;
  readonly rootletMaxMa: number | null;
}

export interface ReportCorrection {
  readonly level: Level;
  readonly side: Side;
  readonly rootlet: number;
  readonly decisionId: number;
  readonly correctsId: number;
  readonly from: { readonly kind: DecisionKind; readonly cutFraction: number; readonly by: string };
  readonly to: { readonly kind: DecisionKind; readonly cutFraction: number; readonly by: string };
  /** When the correcting decision was made (ISO). */
  readonly decidedAt: string;
  readonly reason: string;
}

export const REPORT_EVENT_KINDS = [
  'unclean-session', 'gap', 'alarm', 'electrode-off', 'electrode-on', 'device', 'recovered', 'note', 'correction', 'high-intensity',
] as const;
export type ReportEventKind = (typeof REPORT_EVENT_KINDS)[number];

export interface ReportEvent {
  readonly kind: ReportEventKind;
  /** ISO time: recorded, or computed from the session start and the sample index. Null if unknown. */
  readonly at: string | null;
  readonly sessionId: number | null;
  readonly text: string;
}

export interface ReportSession {
  readonly id: number;
  readonly source: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly cleanShutdown: boolean;
  readonly stimulations: number;
  readonly trains: number;
  readonly highIntensity: number;
}

export interface ReportAudit {
  /** Audit entries about this case (case, montage, sessions, decisions). */
  readonly caseEntries: number;
  /** Entries of this case per action (decision.record, decision.correct, ...). */
  readonly byAction: Readonly<Record<string, number>>;
  /** The whole database's hash chain: ok, or the first broken link. */
  readonly chainOk: boolean;
  readonly chainDetail: string;
  /** Every check of `verifyDatabase` (integrity, triggers, decisions against audit entries), when the store is a file. */
  readonly checks: readonly VerifyCheck[];
  /** The last audit entry (`id:hash`): kept with the printed report, `sdrlog verify --head` later proves nothing was removed. */
  readonly head: { readonly id: number; readonly hash: string } | null;
}

/** Everything a case report shows, from the durable record; rendering adds no numbers of its own. */
export interface CaseReport {
  readonly case: CaseRecord;
  /** Date of the operation: the first session's start, else when the case was created (ISO). */
  readonly operationDate: string;
  readonly montage: { readonly name: string; readonly channels: number } | null;
  readonly sessions: readonly ReportSession[];
  readonly map: RootletMap;
  readonly levels: readonly ReportLevelRow[];
  readonly totals: { readonly L: ReportTotal; readonly R: ReportTotal; readonly both: ReportTotal };
  readonly thresholds: readonly ReportThresholdRow[];
  /** Rootlets per latest grade 0..4+ (index = grade), per side and overall; ungraded rootlets counted apart. */
  readonly histogram: { readonly L: readonly number[]; readonly R: readonly number[]; readonly both: readonly number[]; readonly ungraded: number };
  readonly corrections: readonly ReportCorrection[];
  readonly stimulations: { readonly total: number; readonly trains: number; readonly singles: number; readonly highIntensity: number };
  /** Notable events in time order, at most `maxEventsPerKind` of each kind; `counts` has them all. */
  readonly events: readonly ReportEvent[];
  readonly eventCounts: Readonly<Record<ReportEventKind, number>>;
  readonly audit: ReportAudit;
  readonly graderVersions: readonly string[];
  readonly generatedAt: string;
  readonly softwareVersion: string;
  readonly timeZone: string;
}

const DECISION_LABEL: Record<DecisionKind, string> = { cut: 'cut', spare: 'spare', partial: 'partial', 'spare-sphincter': 'spare (sphincter)' };

/** A decision in words: 'cut', 'spare', 'partial 60 %', 'spare (sphincter)'. */
export function decisionText(kind: DecisionKind, fraction: number): string {
  return kind === 'partial' ? `partial ${Math.round(fraction * 100)} %` : DECISION_LABEL[kind];
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function total(side: Side | 'both', rows: readonly ReportLevelRow[]): ReportTotal {
  const mine = rows.filter((r) => side === 'both' || r.side === side);
  const decided = mine.reduce((a, r) => a + r.decided, 0);
  const cutEquivalent = round3(mine.reduce((a, r) => a + r.cutEquivalent, 0));
  const planned = mine.filter((r) => r.planPct !== null && r.decided > 0);
  const plannedDecided = planned.reduce((a, r) => a + r.decided, 0);
  const planPct = plannedDecided > 0 ? round1(planned.reduce((a, r) => a + r.planPct! * r.decided, 0) / plannedDecided) : null;
  const cutPct = decided > 0 ? round1((100 * cutEquivalent) / decided) : null;
  return {
    side, tested: mine.reduce((a, r) => a + r.tested, 0), decided, cut: mine.reduce((a, r) => a + r.cut, 0),
    partialFractions: mine.flatMap((r) => r.partialFractions), cutEquivalent, cutPct, planPct,
    deltaPct: cutPct !== null && planPct !== null ? round1(cutPct - planPct) : null,
  };
}

/**
 * Builds the report of one case from the store: the rootlet map and % cut from `buildRootletMap`,
 * per-level rows and totals, thresholds, grade histogram, notable events (gaps, alarms, electrode-off,
 * corrected decisions, high-intensity stimulations, sessions not shut down cleanly) and the audit
 * summary from the storage layer's own verification. Read-only.
 */
export function buildCaseReport(store: CaseStore, caseId: string, options: CaseReportOptions = {}): CaseReport {
  const c = store.cases.resolve(caseId);
  const now = options.now ?? (() => new Date());
  const maxPerKind = options.maxEventsPerKind ?? 40;
  const { map, graderVersions } = rootletMapFromStore(store, c.id);

  // ----- per level and side -----
  const levels: ReportLevelRow[] = map.roots.map((root) => {
    const count = (k: DecisionKind): number => root.rootlets.filter((r) => r.decision === k).length;
    const partialFractions = root.rootlets.filter((r) => r.decision === 'partial').map((r) => r.cutFraction ?? 0);
    return {
      level: root.level, side: root.side, tested: root.tested, decided: root.decided, cut: count('cut'), partialFractions,
      spared: count('spare'), sparedSphincter: count('spare-sphincter'), cutEquivalent: root.cutEquivalent,
      cutPct: root.cutPct, planPct: root.planPct,
      deltaPct: root.cutPct !== null && root.planPct !== null ? round1(root.cutPct - root.planPct) : null,
    };
  });
  const totals = { L: total('L', levels), R: total('R', levels), both: total('both', levels) };

  // ----- thresholds -----
  const thresholds: ReportThresholdRow[] = map.roots.map((root) => {
    const ma = root.rootlets.map((r) => r.thresholdMa).filter((x): x is number => x !== null);
    const ratio = root.dorsalThresholdMa !== null && root.ventralThresholdMa !== null && root.ventralThresholdMa > 0
      ? round1(root.dorsalThresholdMa / root.ventralThresholdMa) : null;
    return {
      level: root.level, side: root.side, dorsalMa: root.dorsalThresholdMa, ventralMa: root.ventralThresholdMa, dorsalVentralRatio: ratio,
      rootletCount: ma.length, rootletMinMa: ma.length ? Math.min(...ma) : null, rootletMedianMa: median(ma), rootletMaxMa: ma.length ? Math.max(...ma) : null,
    };
  }).filter((t) => t.dorsalMa !== null || t.ventralMa !== null || t.rootletCount > 0);

  // ----- grade histogram (the map's totals, split per side) -----
  const perSide: Record<Side, number[]> = { L: [0, 0, 0, 0, 0], R: [0, 0, 0, 0, 0] };
  let ungraded = 0;
  for (const root of map.roots) {
    for (const r of root.rootlets) {
      if (r.grade === null) ungraded++;
      else perSide[root.side][r.grade]!++;
    }
  }
  const histogram = { L: perSide.L, R: perSide.R, both: [...map.totals.gradeHistogram], ungraded };

  // ----- corrections: every decision row that corrects an earlier one -----
  const corrections: ReportCorrection[] = [];
  for (const r of store.rootlets.forCaseId(c.id)) {
    const history = store.decisions.history(r.id);
    for (const d of history) {
      if (d.correctsId === null) continue;
      const old = history.find((h) => h.id === d.correctsId);
      if (!old) continue;
      corrections.push({
        level: r.level, side: r.side, rootlet: r.index, decisionId: d.id, correctsId: old.id,
        from: { kind: old.decision.kind, cutFraction: old.decision.cutFraction, by: old.decision.decidedBy },
        to: { kind: d.decision.kind, cutFraction: d.decision.cutFraction, by: d.decision.decidedBy },
        decidedAt: d.decision.decidedAt, reason: d.decision.reason,
      });
    }
  }
  corrections.sort((a, b) => a.decidedAt.localeCompare(b.decidedAt) || a.decisionId - b.decisionId);

  // ----- sessions, stimulations and events -----
  const events: ReportEvent[] = [];
  const sessions: ReportSession[] = [];
  let stimTotal = 0;
  let trains = 0;
  let high = 0;
  for (const s of store.sessions.forCaseId(c.id)) {
    const t0 = Date.parse(s.startedAt);
    const atSample = (n: number | null): string | null => (n === null || !Number.isFinite(t0) ? null : new Date(t0 + (1000 * n) / s.sampleRateHz).toISOString());
    const stims = store.stimulations.forSession(s.id);
    let sTrains = 0;
    let sHigh = 0;
    for (const st of stims) {
      const stim = st.stimulation;
      if (stim.mode === 'train') sTrains++;
      if (!st.highIntensity) continue;
      sHigh++;
      const t = stim.target;
      const where = t ? `${t.level} ${t.side === 'L' ? 'left' : 'right'} ${t.kind}${t.rootlet !== null ? ` rootlet ${t.rootlet}` : ''}` : 'unknown target';
      events.push({ kind: 'high-intensity', at: atSample(st.onsetSample), sessionId: s.id,
        text: `${stim.mode === 'train' ? `${stim.rateHz} Hz train` : 'single pulse'} at ${stim.intensityMa} mA on ${where}: 20x threshold or more, may be a direct motor response` });
    }
    stimTotal += stims.length;
    trains += sTrains;
    high += sHigh;
    sessions.push({ id: s.id, source: s.source, startedAt: s.startedAt, endedAt: s.endedAt, cleanShutdown: s.cleanShutdown, stimulations: stims.length, trains: sTrains, highIntensity: sHigh });
    if (!s.cleanShutdown) {
      events.push({ kind: 'unclean-session', at: s.endedAt ?? s.startedAt, sessionId: s.id,
        text: s.endedAt === null ? 'session still open (recording, or the program stopped without closing it)' : 'session closed by crash recovery: its last second of raw EMG may be missing' });
    }
    for (const g of store.raw.gapsOf(s.id)) {
      events.push({ kind: 'gap', at: atSample(g.startSample), sessionId: s.id,
        text: `${g.reason} gap of ${(g.lengthSamples / s.sampleRateHz).toFixed(3)} s (${g.lengthSamples} samples) in the raw EMG` });
    }
    for (const e of store.events.forSession(s.id)) {
      events.push({ kind: e.kind, at: e.at, sessionId: s.id, text: `${e.channel !== null ? `channel ${e.channel + 1}: ` : ''}${e.message}` });
    }
  }
  for (const k of corrections) {
    events.push({ kind: 'correction', at: k.decidedAt, sessionId: null,
      text: `${k.level} ${k.side === 'L' ? 'left' : 'right'} rootlet ${k.rootlet}: ${decisionText(k.from.kind, k.from.cutFraction)} -> ${decisionText(k.to.kind, k.to.cutFraction)} by ${k.to.by}${k.reason ? ` (${k.reason})` : ''}` });
  }
  const eventCounts = Object.fromEntries(REPORT_EVENT_KINDS.map((k) => [k, 0])) as Record<ReportEventKind, number>;
  for (const e of events) eventCounts[e.kind]++;
  const kept = new Map<ReportEventKind, number>();
  const listed = events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.at ?? '').localeCompare(b.e.at ?? '') || a.i - b.i)
    .map(({ e }) => e)
    .filter((e) => {
      const n = kept.get(e.kind) ?? 0;
      kept.set(e.kind, n + 1);
      return n < maxPerKind;
    });

  // ----- audit -----
  const caseAudit = store.audit.forCase(c.id);
  const byAction: Record<string, number> = {};
  for (const a of caseAudit) byAction[a.action] = (byAction[a.action] ?? 0) + 1;
  let audit: ReportAudit;
  if (store.path !== ':memory:' && existsSync(store.path)) {
    const v = verifyDatabase(store.path);
    const chain = v.checks.find((k) => k.name === 'audit-chain');
    audit = { caseEntries: caseAudit.length, byAction, chainOk: chain?.ok ?? false, chainDetail: chain?.detail ?? 'not checked', checks: v.checks, head: v.head };
  } else {
    const chain = store.audit.verifyChain();
    audit = {
      caseEntries: caseAudit.length, byAction, chainOk: chain.firstBreak === null,
      chainDetail: chain.firstBreak === null ? `${chain.entries} entries, every link ok` : `audit entry ${chain.firstBreak.entryId}: ${chain.firstBreak.problem}`,
      checks: [], head: null,
    };
  }

  const current = store.montages.current(c.id);
  return {
    case: c,
    operationDate: sessions[0]?.startedAt ?? c.createdAt,
    montage: current ? { name: current.montage.name, channels: current.montage.channels.length } : null,
    sessions,
    map,
    levels,
    totals,
    thresholds,
    histogram,
    corrections,
    stimulations: { total: stimTotal, trains, singles: stimTotal - trains, highIntensity: high },
    events: listed,
    eventCounts,
    audit,
    graderVersions,
    generatedAt: now().toISOString(),
    softwareVersion: options.softwareVersion ?? SOFTWARE_VERSION,
    timeZone: options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}

