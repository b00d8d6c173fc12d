import {
  DEFAULT_MONTAGE,
  LEVELS,
  RELATION_GRADE,
  SIDES,
  isSentinel,
  rootKey,
  segmentDistance,
  segmentIndex,
  type Level,
  type Montage,
  type MontageChannel,
  type Segment,
  type Side,
  type SpreadGrade,
  type SpreadRelation,
  type StimulationTarget,
  type WaveformPattern,
} from '../../src/domain';
import { SeededRandom } from './random';

/**
 * A virtual SDR patient: per level and side, a ventral root and 3-8 dorsal rootlets, each with a hidden
 * threshold, spread grade and waveform pattern drawn from published distributions (shared domain notes,
 * "Published distributions useful for a realistic simulator"):
 * - dorsal thresholds lognormal, median about 1 mA, range about 0.2-5 mA, falling caudally and a little
 *   lower on the right; ventral roots about 10x lower;
 * - grades rise caudally (L5, S1 worst), right side slightly worse; about 25-40 % of rootlets reach
 *   grade 3+ (the usual cut candidates).
 *
 * The patient object itself only exposes the layout a surgeon would see (levels, sides, rootlet counts).
 * The hidden truth is reached through `patientTruth()`, for tests, corpus building and training mode;
 * the grader never sees it.
 */

/** One muscle channel's physiological response to a stimulated rootlet or root. */
export interface ChannelResponse {
  readonly channel: number;
  /** Relation of the muscle to the stimulated root (Phillips & Park spread). */
  readonly relation: SpreadRelation;
  /** The muscle's root nearest the stimulated level; null for upper-limb sentinels. */
  readonly nearestRoot: Segment | null;
  /** Onset latency of the response after each pulse, ms. */
  readonly latencyMs: number;
  /** Peak amplitude at full recruitment, uV (before the session's response scale). */
  readonly amplitudeUv: number;
}

/** The hidden truth about one dorsal rootlet. */
export interface RootletTruth {
  readonly target: StimulationTarget;
  /** Lowest single-pulse intensity that gives a reproducible response; nothing responds below it. */
  readonly thresholdMa: number;
  /** The spread grade, always equal to the domain rule applied to `sustained` (see gradeOfSustainedSet). */
  readonly grade: SpreadGrade;
  /** Waveform pattern of the sustained responders; 'none' for grade 0. */
  readonly pattern: WaveformPattern;
  /** The set S: muscles with a SUSTAINED response to a train at or above threshold. */
  readonly sustained: readonly ChannelResponse[];
  /** Muscles that show only a short discharge at train onset (never sustained). */
  readonly onsetOnly: readonly ChannelResponse[];
  /** Pulses at train onset that still evoke the onset-only discharge. */
  readonly onsetPulses: number;
  /** Muscles giving the short-latency compound response to a single pulse at or above threshold. */
  readonly singlePulse: readonly ChannelResponse[];
  /** Muscles giving a direct motor (M) response at very high intensity (spread to the ventral root). */
  readonly directMotor: readonly ChannelResponse[];
  /** Burst rate of a clonic pattern, Hz (3-8); 0 otherwise. */
  readonly clonicHz: number;
  /** How long the after-discharge of a sustained pattern lasts past the train, s; 0 otherwise. */
  readonly afterDischargeS: number;
}

/** The hidden truth about one ventral root. */
export interface VentralRootTruth {
  readonly target: StimulationTarget;
  readonly thresholdMa: number;
  /** Myotome muscles giving a direct motor response, larger and earlier than dorsal reflexes. */
  readonly myotome: readonly ChannelResponse[];
}

/** What the surgeon sees: a root and how many rootlets it was split into. */
export interface VirtualRoot {
  readonly level: Level;
  readonly side: Side;
  readonly rootletCount: number;
}

export interface VirtualPatient {
  readonly seed: number;
  readonly montage: Montage;
  readonly levels: readonly Level[];
  readonly sides: readonly Side[];
  readonly roots: readonly VirtualRoot[];
}

/** Forces chosen values on one rootlet (tests, teaching scenarios). */
export interface RootletOverride {
  readonly level: Level;
  readonly side: Side;
  readonly rootlet: number;
  readonly thresholdMa?: number;
  readonly grade?: SpreadGrade;
  readonly pattern?: WaveformPattern;
}

export interface VirtualPatientOptions {
  readonly seed: number;
  /** Levels tested, rostral to caudal; default L1..S2. */
  readonly levels?: readonly Level[];
  readonly sides?: readonly Side[];
  readonly montage?: Montage;
  /** Inclusive range of rootlets per dorsal root; default [3, 8]. */
  readonly rootletsPerRoot?: readonly [number, number];
  /** Median dorsal threshold over the case, mA; default 1.0. */
  readonly dorsalMedianMa?: number;
  /** Spread of ln(threshold) between rootlets; default 0.45. */
  readonly dorsalLogSd?: number;
  /** Ventral / dorsal threshold ratio; default 0.1. */
  readonly ventralRatio?: number;
  /** Mean fraction of rootlets with grade 3+ over the case; default 0.32. */
  readonly cutFraction?: number;
  readonly overrides?: readonly RootletOverride[];
}

interface PatientTruthStore {
  readonly rootlets: Map<string, RootletTruth>;
  readonly ventral: Map<string, VentralRootTruth>;
}

const TRUTH = new WeakMap<VirtualPatient, PatientTruthStore>();

export const DORSAL_THRESHOLD_RANGE_MA = [0.2, 5] as const;
const VENTRAL_THRESHOLD_RANGE_MA = [0.02, 0.6] as const;

/** Relative chance of a grade 3+ rootlet per level: rising caudally, L5 and S1 worst. */
const LEVEL_CUT_WEIGHT: Record<Level, number> = { L1: 0.12, L2: 0.2, L3: 0.28, L4: 0.35, L5: 0.48, S1: 0.5, S2: 0.3 };
const LEVEL_CUT_MEAN = Object.values(LEVEL_CUT_WEIGHT).reduce((a, b) => a + b, 0) / LEVELS.length;
/** Right side slightly worse (higher grades), per the published series. */
const SIDE_CUT_SHIFT: Record<Side, number> = { L: -0.035, R: 0.035 };
/** Right side thresholds a little lower. */
const SIDE_LOG_THRESHOLD_SHIFT: Record<Side, number> = { L: 0.05, R: -0.05 };

/** Typical reflex onset latency per muscle in children, ms (distance from the cord). */
const MUSCLE_LATENCY_MS: Record<string, number> = {
  ILIO: 10, ADD: 11.5, VL: 13, TA: 19, HAM: 16, GAS: 23, AH: 27, EAS: 15, DELT: 14, APB: 19,
};

const RELATION_AMPLITUDE: Record<SpreadRelation, number> = {
  segmental: 1, adjacent: 0.75, distant: 0.6, contralateral: 0.5, suprasegmental: 0.4,
};

const PATTERN_WEIGHTS: Record<SpreadGrade, readonly (readonly [WaveformPattern, number])[]> = {
  0: [['none', 1]],
  1: [['decremental', 0.4], ['squared', 0.3], ['squared-decremental', 0.2], ['incremental', 0.1]],
  2: [['decremental', 0.25], ['squared', 0.3], ['squared-decremental', 0.2], ['incremental', 0.1], ['sustained', 0.1], ['clonic', 0.05]],
  3: [['squared', 0.1], ['incremental', 0.2], ['sustained', 0.2], ['clonic', 0.2], ['multiphasic', 0.15], ['irregular', 0.15]],
  4: [['incremental', 0.15], ['sustained', 0.25], ['clonic', 0.25], ['multiphasic', 0.15], ['irregular', 0.2]],
};

function rootletKey(level: Level, side: Side, rootlet: number): string {
  return `${level}${side}-${rootlet}`;
}

/**
 * How a montage channel relates to a stimulated root: the muscle counts with its root nearest the
 * stimulated level (shared domain notes, "Grading").
 */
export function spreadRelationOf(channel: MontageChannel, level: Level, side: Side): { relation: SpreadRelation; nearestRoot: Segment | null } {
  if (isSentinel(channel) || channel.roots.length === 0) return { relation: 'suprasegmental', nearestRoot: null };
  let nearest: Segment = channel.roots[0] as Segment;
  for (const r of channel.roots) if (segmentDistance(r, level) < segmentDistance(nearest, level)) nearest = r;
  if (channel.side !== side) return { relation: 'contralateral', nearestRoot: nearest };
  const d = segmentDistance(nearest, level);
  return { relation: d === 0 ? 'segmental' : d === 1 ? 'adjacent' : 'distant', nearestRoot: nearest };
}

/** The domain rule: the grade is the worst relation over the sustained responders; 0 when S is empty. */
export function gradeOfSustainedSet(montage: Montage, level: Level, side: Side, channels: readonly number[]): SpreadGrade {
  let grade: SpreadGrade = 0;
  for (const index of channels) {
    const ch = montage.channels[index];
    if (!ch) throw new Error(`channel ${index} is not in montage '${montage.name}'`);
    const g = RELATION_GRADE[spreadRelationOf(ch, level, side).relation];
    if (g > grade) grade = g;
  }
  return grade;
}

function clampResample(rng: SeededRandom, draw: () => number, lo: number, hi: number): number {
  for (let i = 0; i < 50; i++) {
    const v = draw();
    if (v >= lo && v <= hi) return v;
  }
  return Math.min(hi, Math.max(lo, draw()));
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Builds a virtual patient. Deterministic for a seed and options. */
export function createVirtualPatient(options: VirtualPatientOptions): VirtualPatient {
  const seed = options.seed;
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${String(seed)}`);
  const levels = [...(options.levels ?? LEVELS)].sort((a, b) => segmentIndex(a) - segmentIndex(b));
  const sides = [...(options.sides ?? SIDES)];
  if (levels.length === 0 || sides.length === 0) throw new Error('a virtual patient needs at least one level and one side');
  const montage = options.montage ?? DEFAULT_MONTAGE;
  const [minRootlets, maxRootlets] = options.rootletsPerRoot ?? [3, 8];
  if (!(Number.isInteger(minRootlets) && Number.isInteger(maxRootlets) && minRootlets >= 1 && maxRootlets >= minRootlets && maxRootlets <= 20)) {
    throw new Error(`rootletsPerRoot must be integers 1 <= min <= max <= 20, got [${minRootlets}, ${maxRootlets}]`);
  }
  const medianMa = options.dorsalMedianMa ?? 1.0;
  const logSd = options.dorsalLogSd ?? 0.45;
  const ventralRatio = options.ventralRatio ?? 0.1;
  const cutFraction = options.cutFraction ?? 0.32;

  const rng = new SeededRandom(seed, 'patient');
  // A patient-wide effect: some children are more spastic or more excitable than others.
  const patientLogShift = 0.12 * rng.normal();
  const patientCutShift = 0.025 * rng.normal();

  const roots: VirtualRoot[] = [];
  const rootlets = new Map<string, RootletTruth>();
  const ventral = new Map<string, VentralRootTruth>();

  for (const level of levels) {
    for (const side of sides) {
      const rootRng = new SeededRandom(seed, `root/${level}/${side}`);
      const count = rootRng.int(minRootlets, maxRootlets);
      roots.push({ level, side, rootletCount: count });
      // Thresholds fall caudally: about +0.3 in ln(mA) at L1 down to -0.3 at S2.
      const levelLogShift = 0.3 - 0.1 * segmentIndex(level);
      const rootLogMedian = Math.log(medianMa) + levelLogShift + SIDE_LOG_THRESHOLD_SHIFT[side] + patientLogShift;

      // Stratified count of grade 3+ rootlets keeps each case's cut fraction close to the published range.
      const pCut = Math.min(0.95, Math.max(0, LEVEL_CUT_WEIGHT[level] * (cutFraction / LEVEL_CUT_MEAN) + SIDE_CUT_SHIFT[side] + patientCutShift));
      const cutCount = Math.min(count, Math.floor(pCut * count + rootRng.next()));
      const cutSet = new Set(rootRng.shuffled(Array.from({ length: count }, (_, i) => i + 1)).slice(0, cutCount));

      for (let n = 1; n <= count; n++) {
        const r = new SeededRandom(seed, `rootlet/${level}/${side}/${n}`);
        const override = options.overrides?.find((o) => o.level === level && o.side === side && o.rootlet === n);
        const thresholdMa = override?.thresholdMa ?? round3(clampResample(r, () => Math.exp(rootLogMedian + logSd * r.normal()), ...DORSAL_THRESHOLD_RANGE_MA));
        let latentGrade: SpreadGrade;
        if (cutSet.has(n)) latentGrade = r.chance(0.3) ? 4 : 3;
        else latentGrade = r.weighted<SpreadGrade>([[0, 0.1], [1, 0.45], [2, 0.45]]);
        if (override?.grade !== undefined) latentGrade = override.grade;
        rootlets.set(rootletKey(level, side, n), buildRootletTruth(r, montage, level, side, n, thresholdMa, latentGrade, override?.pattern));
      }

      const vr = new SeededRandom(seed, `ventral/${level}/${side}`);
      const vThreshold = round3(clampResample(vr, () => Math.exp(rootLogMedian + Math.log(ventralRatio) + 0.2 * vr.normal()), ...VENTRAL_THRESHOLD_RANGE_MA));
      const myotome = segmentalChannels(montage, level, side).map((ch) => {
        const rel = spreadRelationOf(ch, level, side);
        return { channel: ch.index, relation: rel.relation, nearestRoot: rel.nearestRoot, latencyMs: round3(directLatencyMs(ch) + vr.uniform(-0.5, 0.5)), amplitudeUv: Math.round(vr.uniform(900, 2500)) };
      });
      ventral.set(rootKey({ level, side, kind: 'ventral' }), { target: { level, side, kind: 'ventral', rootlet: null }, thresholdMa: vThreshold, myotome });
    }
  }

  const patient: VirtualPatient = Object.freeze({ seed, montage, levels, sides, roots: Object.freeze(roots) });
  TRUTH.set(patient, { rootlets, ventral });
  return patient;
}

function directLatencyMs(ch: MontageChannel): number {
  return 0.3 * (MUSCLE_LATENCY_MS[ch.muscle] ?? 15) + 1.5;
}

/** Ipsilateral channels whose roots include the level; the nearest ipsilateral muscles when none do. */
function segmentalChannels(montage: Montage, level: Level, side: Side): MontageChannel[] {
  const ipsi = montage.channels.filter((c) => c.side === side && !isSentinel(c) && c.roots.length > 0);
  const seg = ipsi.filter((c) => c.roots.includes(level));
  if (seg.length > 0) return seg;
  let best = Infinity;
  for (const c of ipsi) for (const r of c.roots) best = Math.min(best, segmentDistance(r, level));
  return ipsi.filter((c) => c.roots.some((r) => segmentDistance(r, level) === best));
}

function buildRootletTruth(
  r: SeededRandom, montage: Montage, level: Level, side: Side, rootlet: number,
  thresholdMa: number, latentGrade: SpreadGrade, forcedPattern: WaveformPattern | undefined,
): RootletTruth {
  const groups: Record<SpreadRelation, MontageChannel[]> = { segmental: [], adjacent: [], distant: [], contralateral: [], suprasegmental: [] };
  for (const ch of montage.channels) groups[spreadRelationOf(ch, level, side).relation].push(ch);
  const far = [...groups.contralateral, ...groups.suprasegmental];
  // Spread reaches nearer muscles first: pick distant muscles closest to the stimulated level.
  const byDistance = (list: MontageChannel[]): MontageChannel[] =>
    [...list].sort((a, b) => segmentDistance(spreadRelationOf(a, level, side).nearestRoot ?? 'L1', level) - segmentDistance(spreadRelationOf(b, level, side).nearestRoot ?? 'L1', level));

  const choose = (grade: SpreadGrade): MontageChannel[] | null => {
    switch (grade) {
      case 0: return [];
      case 1: return groups.segmental.length ? r.subset(groups.segmental, 1, groups.segmental.length) : null;
      case 2: return groups.adjacent.length ? [...r.subset(groups.segmental, 1, groups.segmental.length), ...r.subset(groups.adjacent, 1, 2)] : null;
      case 3: {
        if (!groups.distant.length) return null;
        const distant = byDistance(groups.distant).slice(0, r.int(1, Math.min(2, groups.distant.length)));
        return [...r.subset(groups.segmental, 1, groups.segmental.length), ...r.subset(groups.adjacent, 0, groups.adjacent.length), ...distant];
      }
      case 4: {
        if (!far.length) return null;
        // Contralateral spread usually shows first in the homologous muscles.
        const segMuscles = new Set(groups.segmental.map((c) => c.muscle));
        const homologous = groups.contralateral.filter((c) => segMuscles.has(c.muscle));
        const farPick = homologous.length ? r.subset(homologous, 1, homologous.length) : r.subset(far, 1, 2);
        return [
          ...r.subset(groups.segmental, 1, groups.segmental.length), ...r.subset(groups.adjacent, 0, groups.adjacent.length),
          ...r.subset(groups.distant, 0, 2), ...farPick,
        ];
      }
    }
  };
  // A montage may lack the muscles a grade needs; fall back to the nearest achievable grade below, then above.
  const attempts: SpreadGrade[] = [latentGrade];
  for (let g = latentGrade - 1; g >= 1; g--) attempts.push(g as SpreadGrade);
  for (let g = latentGrade + 1; g <= 4; g++) attempts.push(g as SpreadGrade);
  let chosen: MontageChannel[] = [];
  for (const g of attempts) {
    const c = choose(g);
    if (c !== null) {
      chosen = c;
      break;
    }
  }
  const sustainedChannels = chosen.sort((a, b) => a.index - b.index);
  const grade = gradeOfSustainedSet(montage, level, side, sustainedChannels.map((c) => c.index));

  const response = (ch: MontageChannel): ChannelResponse => {
    const rel = spreadRelationOf(ch, level, side);
    const synapticMs = rel.relation === 'segmental' ? 0 : rel.relation === 'adjacent' ? 1 : rel.relation === 'distant' ? 2 : 3;
    const latencyMs = Math.min(35, Math.max(10, (MUSCLE_LATENCY_MS[ch.muscle] ?? 15) + synapticMs + 0.8 * r.normal()));
    return { channel: ch.index, relation: rel.relation, nearestRoot: rel.nearestRoot, latencyMs: round3(latencyMs), amplitudeUv: Math.round(r.uniform(400, 1200) * RELATION_AMPLITUDE[rel.relation]) };
  };
  const sustained = sustainedChannels.map(response);
  const inS = new Set(sustainedChannels.map((c) => c.index));
  // Onset-only discharges: a few nearby ipsilateral muscles outside S, never sustained.
  const onsetCandidates = [...groups.segmental, ...groups.adjacent].filter((c) => !inS.has(c.index));
  const onsetOnly = onsetCandidates.filter(() => r.chance(grade === 0 ? 0.5 : 0.3)).map(response);
  const singlePulse = segmentalChannels(montage, level, side).map((ch) => sustained.find((s) => s.channel === ch.index) ?? response(ch));
  const directMotor = segmentalChannels(montage, level, side).map((ch) => {
    const rel = spreadRelationOf(ch, level, side);
    return { channel: ch.index, relation: rel.relation, nearestRoot: rel.nearestRoot, latencyMs: round3(directLatencyMs(ch) + r.uniform(-0.5, 0.5)), amplitudeUv: Math.round(r.uniform(1500, 3000)) };
  });
  const pattern: WaveformPattern = grade === 0 ? 'none' : forcedPattern && forcedPattern !== 'none' ? forcedPattern : r.weighted(PATTERN_WEIGHTS[grade]);
  return {
    target: { level, side, kind: 'dorsal', rootlet },
    thresholdMa,
    grade,
    pattern,
    sustained,
    onsetOnly,
    onsetPulses: r.int(1, 4),
    singlePulse,
    directMotor,
    clonicHz: pattern === 'clonic' ? round3(r.uniform(3.5, 7.5)) : 0,
    afterDischargeS: pattern === 'sustained' ? round3(r.uniform(0.5, 1.5)) : 0,
  };
}

/** Read access to a patient's hidden truth. For tests, corpus building and training mode only. */
export interface PatientTruth {
  rootlet(level: Level, side: Side, rootlet: number): RootletTruth;
  ventral(level: Level, side: Side): VentralRootTruth;
  /** Every dorsal rootlet, levels rostral to caudal, left before right, rootlets in order. */
  rootlets(): RootletTruth[];
  ventralRoots(): VentralRootTruth[];
  /** The truth for a stimulation target (dorsal rootlet, or ventral root); null if not part of the patient. */
  forTarget(target: StimulationTarget): RootletTruth | VentralRootTruth | null;
}

export function patientTruth(patient: VirtualPatient): PatientTruth {
  const store = TRUTH.get(patient);
  if (!store) throw new Error('not a virtual patient made by createVirtualPatient');
  return {
    rootlet(level, side, rootlet) {
      const t = store.rootlets.get(rootletKey(level, side, rootlet));
      if (!t) throw new Error(`the virtual patient has no rootlet ${level}${side} #${rootlet}`);
      return t;
    },
    ventral(level, side) {
      const t = store.ventral.get(rootKey({ level, side, kind: 'ventral' }));
      if (!t) throw new Error(`the virtual patient has no ventral root ${level}${side}`);
      return t;
    },
    rootlets() {
      return [...store.rootlets.values()];
    },
    ventralRoots() {
      return [...store.ventral.values()];
    },
    forTarget(target) {
      if (target.kind === 'ventral') return store.ventral.get(rootKey(target)) ?? null;
      if (target.rootlet === null) return null;
      return store.rootlets.get(rootletKey(target.level, target.side, target.rootlet)) ?? null;
    },
  };
}
