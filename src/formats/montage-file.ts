import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  channelLabel,
  DomainError,
  isSegment,
  isSide,
  makeMontage,
  MUSCLE_CODES,
  parseChannelLabel,
  type Montage,
  type MontageChannelInput,
} from '../domain';

/**
 * Montage file: tells which EDF signal label is which muscle on which side, for recordings whose labels
 * do not follow the `EMG <side> <muscle>` convention (exports from commercial systems). JSON:
 *
 *   {
 *     "format": "sdrlog-montage",          // optional marker
 *     "version": 1,                        // optional, must be 1 when present
 *     "name": "Theatre 2 default",         // optional, defaults to the file name
 *     "channels": [
 *       { "label": "1 L-TA",  "side": "L", "muscle": "TA" },
 *       { "label": "Chan 9",  "side": "R", "muscle": "HAM", "roots": ["L5", "S1", "S2"] }
 *     ]
 *   }
 *
 * `label` is matched against the EDF signal label after trimming spaces, ignoring case. `roots`
 * overrides the muscle's default roots (shared domain notes: innervation overlaps and the montage is
 * editable per case). When a montage file is given it is authoritative: only its channels are read, in
 * the file's signal order, and other signals are ignored with a note.
 */
export interface MontageFileChannel {
  readonly label: string;
  readonly side: string;
  readonly muscle: string;
  readonly roots?: readonly string[];
}

export interface MontageFile {
  readonly name: string;
  readonly channels: readonly MontageFileChannel[];
}

const channelSchema = z.strictObject({
  label: z.string().trim().min(1, 'label must not be empty').max(16, 'label is longer than an EDF label (16 characters)'),
  side: z.string().refine((s) => isSide(s.toUpperCase()), { message: 'side must be L or R' }),
  muscle: z.string().refine((m) => (MUSCLE_CODES as string[]).includes(m.toUpperCase()), {
    message: `muscle must be one of ${MUSCLE_CODES.join(', ')}`,
  }),
  roots: z.array(z.string().refine((r) => isSegment(r.toUpperCase()), { message: 'root must be one of L1..S4' })).optional(),
});

const fileSchema = z.strictObject({
  format: z.literal('sdrlog-montage').optional(),
  version: z.literal(1).optional(),
  name: z.string().trim().min(1).optional(),
  channels: z.array(channelSchema).min(1, 'at least one channel').max(64),
});

/** Validates parsed JSON as a montage file; errors name the offending path, e.g. channels[2].muscle. */
export function parseMontageFile(json: unknown, sourceName: string): MontageFile {
  const r = fileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const at = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new DomainError('invalid-montage-file', `montage file ${sourceName}: ${at || '(top level)'}: ${issue.message}`);
  }
  const seen = new Map<string, number>();
  r.data.channels.forEach((c, i) => {
    const key = c.label.toLowerCase();
    const prev = seen.get(key);
    if (prev !== undefined) {
      throw new DomainError('invalid-montage-file', `montage file ${sourceName}: channels[${i}].label '${c.label}' repeats channels[${prev}]`);
    }
    seen.set(key, i);
  });
  const channels = r.data.channels.map((c) => ({
    label: c.label,
    side: c.side.toUpperCase(),
    muscle: c.muscle.toUpperCase(),
    ...(c.roots ? { roots: c.roots.map((x) => x.toUpperCase()) } : {}),
  }));
  // Side + muscle must be unique as in any montage; makeMontage says which.
  try {
    makeMontage(r.data.name ?? sourceName, channels);
  } catch (e) {
    if (e instanceof DomainError) throw new DomainError('invalid-montage-file', `montage file ${sourceName}: ${e.message}`);
    throw e;
  }
  return { name: r.data.name ?? sourceName, channels };
}

/** Reads and validates a montage file from disk. */
export function readMontageFile(path: string): MontageFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new DomainError('montage-file-unreadable', `montage file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new DomainError('invalid-montage-file', `montage file ${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseMontageFile(json, path);
}

/** The montage file that describes a montage with the standard labels (for export next to an EDF). */
export function montageFileFor(m: Montage): MontageFile & { format: 'sdrlog-montage'; version: 1 } {
  return {
    format: 'sdrlog-montage',
    version: 1,
    name: m.name,
    channels: m.channels.map((c) => ({ label: channelLabel(c), side: c.side, muscle: c.muscle, roots: [...c.roots] })),
  };
}

export interface LabelMapping {
  readonly montage: Montage;
  /** For each montage channel, the index of the signal (in `labels`) it comes from. */
  readonly signalIndex: readonly number[];
  /** Signals not used, with the reason. */
  readonly ignored: readonly { readonly index: number; readonly label: string; readonly reason: string }[];
  readonly warnings: readonly string[];
}

/**
 * Maps signal labels to a montage: by the montage file when given, else by the `EMG <side> <muscle>`
 * convention (architecture.md, interchange conventions). Montage channel order follows signal order.
 * @param candidate which signals may carry EMG at all (the annotation signal is excluded by the caller).
 */
export function montageForLabels(labels: readonly string[], candidate: (index: number) => boolean, montageFile: MontageFile | null, montageName: string): LabelMapping {
  const inputs: MontageChannelInput[] = [];
  const signalIndex: number[] = [];
  const ignored: { index: number; label: string; reason: string }[] = [];
  const warnings: string[] = [];
  if (montageFile) {
    const byLabel = new Map(montageFile.channels.map((c) => [c.label.trim().toLowerCase(), c]));
    const used = new Set<string>();
    labels.forEach((label, index) => {
      if (!candidate(index)) return;
      const key = label.trim().toLowerCase();
      const c = byLabel.get(key);
      if (!c) {
        ignored.push({ index, label, reason: `not in montage file ${montageFile.name}` });
        return;
      }
      used.add(key);
      inputs.push({ side: c.side, muscle: c.muscle, ...(c.roots ? { roots: c.roots } : {}) });
      signalIndex.push(index);
    });
    for (const c of montageFile.channels) {
      if (!used.has(c.label.trim().toLowerCase())) warnings.push(`montage file ${montageFile.name}: no signal labelled '${c.label}' in the recording`);
    }
  } else {
    const seen = new Map<string, string>();
    labels.forEach((label, index) => {
      if (!candidate(index)) return;
      const p = parseChannelLabel(label);
      if (!p) {
        ignored.push({ index, label, reason: "label is not 'EMG <side> <muscle>' (use a montage file to map it)" });
        return;
      }
      const key = `${p.side} ${p.muscle}`;
      const prev = seen.get(key);
      if (prev !== undefined) {
        ignored.push({ index, label, reason: `same muscle as signal '${prev}'` });
        warnings.push(`signal '${label}' ignored: ${key} already comes from signal '${prev}'`);
        return;
      }
      seen.set(key, label);
      inputs.push({ side: p.side, muscle: p.muscle });
      signalIndex.push(index);
    });
  }
  if (inputs.length === 0) {
    throw new DomainError(
      'no-emg-channels',
      montageFile
        ? `no signal matches a label of montage file ${montageFile.name} (labels in the recording: ${labels.map((l) => `'${l}'`).join(', ')})`
        : `no EMG signal found: labels must read 'EMG <side> <muscle>' (e.g. 'EMG L TA'), or give a montage file (labels in the recording: ${labels.map((l) => `'${l}'`).join(', ')})`,
    );
  }
  const montage = makeMontage(montageFile ? montageFile.name : montageName, inputs);
  return { montage, signalIndex, ignored, warnings };
}
