import {
  DomainError,
  isLevel,
  isSide,
  makeStimulation,
  MAX_ROOTLETS_PER_ROOT,
  type Level,
  type RootKind,
  type Side,
  type Stimulation,
  type StimulationTarget,
} from '../domain';

/**
 * The text of a stimulation annotation in an EDF+ session file (architecture.md, "Interchange
 * conventions"):
 *
 *   stim root=<L1..S2> side=<L|R> rootlet=<n> mode=<single|train> ma=<float> rate_hz=<float> pw_us=<int>
 *
 * `rate_hz` is omitted for single pulses. The annotation's onset is the first pulse and its duration
 * the train length in seconds (0 for a single pulse), so the train length is not part of the text.
 *
 * Two extensions, both appended after the mandatory keys so that a reader expecting the fixed order
 * still finds it:
 * - ventral-root stimulation (no rootlet): `rootlet=0` and a trailing `kind=ventral`. A dorsal
 *   stimulation carries no `kind` key (`kind=dorsal` is accepted on read).
 * - a stimulation whose target the device did not know: `target=unknown` replaces root/side/rootlet:
 *   `stim target=unknown mode=train ma=1.2 rate_hz=50 pw_us=100`. It is kept but cannot be graded.
 *
 * Numbers are written in plain decimal (no exponent), `ma` and `rate_hz` rounded to 0.0001.
 */
export const STIM_PREFIX = 'stim';

/** Plain decimal with at most `decimals` places, trailing zeros removed ("1.25", "50", "0.0005"). */
export function formatDecimal(value: number, decimals: number): string {
  if (!Number.isFinite(value)) throw new DomainError('invalid-number', `cannot format ${value} as a decimal`);
  let s = value.toFixed(decimals);
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (s === '-0') s = '0';
  return s;
}

/** Formats the canonical annotation text for a stimulation. */
export function formatStimAnnotation(s: Stimulation): string {
  const parts: string[] = [STIM_PREFIX];
  const t = s.target;
  if (t === null) {
    parts.push('target=unknown');
  } else {
    parts.push(`root=${t.level}`, `side=${t.side}`, `rootlet=${t.kind === 'ventral' || t.rootlet === null ? 0 : t.rootlet}`);
  }
  parts.push(`mode=${s.mode}`, `ma=${formatDecimal(s.intensityMa, 4)}`);
  if (s.mode === 'train') parts.push(`rate_hz=${formatDecimal(s.rateHz ?? NaN, 4)}`);
  parts.push(`pw_us=${formatDecimal(s.pulseWidthUs, 0)}`);
  if (t !== null && t.kind === 'ventral') parts.push('kind=ventral');
  // A dorsal target without a rootlet (whole dorsal root) cannot be written as rootlet=0 without
  // being mistaken for ventral; mark it explicitly.
  if (t !== null && t.kind === 'dorsal' && t.rootlet === null) parts.push('kind=dorsal');
  return parts.join(' ');
}

export type StimAnnotationParse =
  /** The text is not a stimulation annotation (does not start with `stim`). */
  | { readonly kind: 'not-stim' }
  | { readonly kind: 'stim'; readonly stimulation: Stimulation; readonly notes: readonly string[] }
  /** Starts with `stim` but cannot be read: the reason, to be reported as a warning. */
  | { readonly kind: 'malformed'; readonly reason: string };

const KNOWN_KEYS = new Set(['root', 'side', 'rootlet', 'mode', 'ma', 'rate_hz', 'pw_us', 'kind', 'target']);
const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)$/;

/** True when the text is meant as a stimulation annotation (first word `stim`, any case). */
export function isStimAnnotationText(text: string): boolean {
  return /^\s*stim(\s|$)/i.test(text);
}

/**
 * Parses a stimulation annotation. Tolerant on read: keys in any order and any case, extra
 * whitespace, `key = value` spacing; unknown keys are ignored with a note. Anything that does not make
 * a valid stimulation is reported as `malformed` with the reason, never thrown.
 *
 * @param durationS the annotation's duration (null when the TAL has none): the train length.
 */
export function parseStimAnnotation(text: string, durationS: number | null): StimAnnotationParse {
  if (!isStimAnnotationText(text)) return { kind: 'not-stim' };
  const body = text.trim().slice(STIM_PREFIX.length).replace(/\s*=\s*/g, '=').trim();
  const fields = new Map<string, string>();
  const notes: string[] = [];
  for (const token of body.length === 0 ? [] : body.split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0 || eq === token.length - 1) return { kind: 'malformed', reason: `'${token}' is not key=value` };
    const key = token.slice(0, eq).toLowerCase();
    const value = token.slice(eq + 1);
    if (fields.has(key)) return { kind: 'malformed', reason: `key '${key}' appears twice` };
    if (!KNOWN_KEYS.has(key)) notes.push(`unknown key '${key}' ignored`);
    fields.set(key, value);
  }
  const need = (key: string): string | { error: string } => {
    const v = fields.get(key);
    return v === undefined ? { error: `missing '${key}'` } : v;
  };

  // Target
  let target: StimulationTarget | null;
  const targetField = fields.get('target');
  if (targetField !== undefined) {
    if (targetField.toLowerCase() !== 'unknown') return { kind: 'malformed', reason: `target must be 'unknown', got '${targetField}'` };
    for (const k of ['root', 'side', 'rootlet', 'kind']) {
      if (fields.has(k)) return { kind: 'malformed', reason: `'target=unknown' cannot be combined with '${k}'` };
    }
    target = null;
  } else {
    const root = need('root');
    if (typeof root !== 'string') return { kind: 'malformed', reason: root.error };
    const level = root.toUpperCase();
    if (!isLevel(level)) return { kind: 'malformed', reason: `root must be one of L1..S2, got '${root}'` };
    const sideRaw = need('side');
    if (typeof sideRaw !== 'string') return { kind: 'malformed', reason: sideRaw.error };
    const side = sideRaw.toUpperCase();
    if (!isSide(side)) return { kind: 'malformed', reason: `side must be L or R, got '${sideRaw}'` };
    const rootletRaw = need('rootlet');
    if (typeof rootletRaw !== 'string') return { kind: 'malformed', reason: rootletRaw.error };
    if (!/^\+?\d+$/.test(rootletRaw)) return { kind: 'malformed', reason: `rootlet must be an integer, got '${rootletRaw}'` };
    const rootlet = Number(rootletRaw);
    const kindRaw = (fields.get('kind') ?? (rootlet === 0 ? 'ventral' : 'dorsal')).toLowerCase();
    if (kindRaw !== 'dorsal' && kindRaw !== 'ventral') return { kind: 'malformed', reason: `kind must be dorsal or ventral, got '${kindRaw}'` };
    const kind: RootKind = kindRaw;
    if (kind === 'ventral' && rootlet !== 0) return { kind: 'malformed', reason: `a ventral stimulation has rootlet=0, got ${rootlet}` };
    if (kind === 'dorsal' && rootlet > MAX_ROOTLETS_PER_ROOT) {
      return { kind: 'malformed', reason: `rootlet must be 1..${MAX_ROOTLETS_PER_ROOT}, got ${rootlet}` };
    }
    if (kind === 'ventral' && !fields.has('kind')) notes.push('rootlet=0 without kind: read as a ventral-root stimulation');
    target = { level: level as Level, side: side as Side, kind, rootlet: rootlet === 0 ? null : rootlet };
  }

  // Stimulator settings
  const modeRaw = need('mode');
  if (typeof modeRaw !== 'string') return { kind: 'malformed', reason: modeRaw.error };
  const mode = modeRaw.toLowerCase();
  if (mode !== 'single' && mode !== 'train') return { kind: 'malformed', reason: `mode must be single or train, got '${modeRaw}'` };
  const num = (key: string, required: boolean): number | null | { error: string } => {
    const v = fields.get(key);
    if (v === undefined) return required ? { error: `missing '${key}'` } : null;
    if (!DECIMAL.test(v)) return { error: `${key} must be a non-negative decimal number, got '${v}'` };
    return Number(v);
  };
  const ma = num('ma', true);
  if (ma === null || typeof ma === 'object') return { kind: 'malformed', reason: ma?.error ?? "missing 'ma'" };
  const pw = num('pw_us', true);
  if (pw === null || typeof pw === 'object') return { kind: 'malformed', reason: pw?.error ?? "missing 'pw_us'" };
  const rate = num('rate_hz', mode === 'train');
  if (rate !== null && typeof rate === 'object') return { kind: 'malformed', reason: rate.error };

  let trainS = 0;
  if (mode === 'train') {
    if (durationS === null || durationS <= 0) {
      return { kind: 'malformed', reason: 'a train needs the annotation duration (train length in seconds) > 0' };
    }
    trainS = durationS;
  } else {
    if (rate !== null) notes.push('rate_hz ignored for a single pulse');
    if (durationS !== null && durationS !== 0) notes.push(`duration ${durationS} s ignored for a single pulse`);
  }
  try {
    const stimulation = makeStimulation(
      mode === 'train'
        ? { mode, intensityMa: ma, pulseWidthUs: pw, rateHz: rate, durationS: trainS, target }
        : { mode, intensityMa: ma, pulseWidthUs: pw, target },
    );
    return { kind: 'stim', stimulation, notes };
  } catch (e) {
    if (e instanceof DomainError) return { kind: 'malformed', reason: e.message };
    throw e;
  }
}
