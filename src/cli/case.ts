import { Option, type Command } from 'commander';
import { DEFAULT_MONTAGE, LEVELS, makeCaseInfo, parseLevel, type CutPlan, type Level, type Side } from '../domain';
import { defaultDatabasePath, openCaseStore, type CaseStore, type CurrentDecision } from '../storage';
import { UserError, type CommandRegistrar } from './main';

/** Parses one `--plan` value, `L4:L=40,R=40` (planned % of rootlets cut per side), into the plan. */
export function parsePlanEntry(text: string, plan: CutPlan = {}): CutPlan {
  const m = /^\s*([A-Za-z]\d)\s*:\s*(.+)$/.exec(text);
  if (!m) throw new UserError(`--plan must look like L4:L=40,R=40, got '${text}'`);
  let level: Level;
  try {
    level = parseLevel(m[1]!);
  } catch {
    throw new UserError(`--plan '${text}': level must be one of ${LEVELS.join(', ')}`);
  }
  const sides: Partial<Record<Side, number>> = { ...(plan[level] ?? {}) };
  for (const part of m[2]!.split(',')) {
    const kv = /^\s*([LlRr])\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*%?\s*$/.exec(part);
    if (!kv) throw new UserError(`--plan '${text}': each side must look like L=40 or R=40, got '${part.trim()}'`);
    const pct = Number(kv[2]);
    if (pct > 100) throw new UserError(`--plan '${text}': a planned cut is 0-100 %, got ${pct}`);
    sides[kv[1]!.toUpperCase() as Side] = pct;
  }
  return { ...plan, [level]: sides };
}

function parseAge(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 120) throw new UserError(`--age must be a number of years 0-120, got '${v}'`);
  return n;
}

export function withStore<T>(dbPath: string, create: boolean, fn: (store: CaseStore) => T): T {
  const store = openCaseStore(dbPath, { create });
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

function dbOption(): Option {
  return new Option('--db <path>', 'case database').default(defaultDatabasePath(), '$SDRLOG_DB, else sdrlog/sdrlog.db in the user data folder');
}

/** Lines of a plain-text table, columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export interface LevelSummary {
  readonly level: Level;
  readonly side: Side;
  readonly rootletsTested: number;
  readonly decided: number;
  /** Cut counts as 1, partial as its fraction. */
  readonly cutEquivalent: number;
  readonly percentCut: number | null;
  readonly plannedPercent: number | null;
}

/**
 * Rootlets tested and cut per level and side, % cut against the plan (shared domain notes, "What the
 * record of a case contains": summary). A partial cut counts as its fraction of a rootlet; % cut is over
 * decided rootlets, as on the rootlet map and in the case report (src/app/rootlet-map.ts).
 */
export function summarise(rootlets: readonly { level: Level; side: Side }[], decisions: readonly CurrentDecision[], plan: CutPlan): LevelSummary[] {
  const out: LevelSummary[] = [];
  for (const level of LEVELS) {
    for (const side of ['L', 'R'] as const) {
      const tested = rootlets.filter((r) => r.level === level && r.side === side).length;
      const ds = decisions.filter((d) => d.level === level && d.side === side);
      const planned = plan[level]?.[side] ?? null;
      if (tested === 0 && planned === null) continue;
      const cut = ds.reduce((s, d) => s + d.decision.cutFraction, 0);
      out.push({ level, side, rootletsTested: tested, decided: ds.length, cutEquivalent: cut,
        percentCut: ds.length > 0 ? Math.round((1000 * cut) / ds.length) / 10 : null, plannedPercent: planned });
    }
  }
  return out;
}

function showCase(store: CaseStore, id: string) {
  const c = store.cases.resolve(id);
  const montage = store.montages.current(c.id);
  const rootlets = store.rootlets.forCaseId(c.id);
  const decisions = store.decisions.currentForCase(c.id);
  const byRootlet = new Map(decisions.map((d) => [d.rootletId, d]));
  return {
    case: c,
    montage: montage ? { id: montage.id, name: montage.montage.name, channels: montage.montage.channels } : null,
    sessions: store.sessions.forCaseId(c.id).map((s) => ({ id: s.id, source: s.source, startedAt: s.startedAt, endedAt: s.endedAt, cleanShutdown: s.cleanShutdown })),
    rootlets: rootlets.map((r) => {
      const d = byRootlet.get(r.id);
      return { level: r.level, side: r.side, index: r.index, decision: d ? { id: d.id, kind: d.decision.kind, cutFraction: d.decision.cutFraction, decidedBy: d.decision.decidedBy, decidedAt: d.decision.decidedAt, corrects: d.correctsId } : null };
    }),
    summary: summarise(rootlets, decisions, c.cutPlan),
  };
}

function planText(plan: CutPlan): string {
  return Object.entries(plan).map(([lvl, sides]) => `${lvl}:${Object.entries(sides ?? {}).map(([s, p]) => `${s}=${p}`).join(',')}`).join(' ') || '-';
}

export const registerCase: CommandRegistrar = (program: Command) => {
  const cmd = program.command('case').description('create, list and show cases (one operation on one pseudonymous patient)');

  cmd.command('new')
    .description('create a case and print its id')
    .requiredOption('--patient <id>', 'pseudonymous patient id (letters, digits, . _ -)')
    .requiredOption('--age <years>', 'age in years', parseAge)
    .option('--diagnosis <text>', 'diagnosis', '')
    .option('--plan <level:sides>', 'planned % cut per level and side, e.g. L4:L=40,R=40 (repeatable)', (v: string, acc: CutPlan) => parsePlanEntry(v, acc), {} as CutPlan)
    .option('--target-muscle <code>', 'pre-operative target muscle (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--approach <text>', 'surgical approach', '')
    .option('--notes <text>', 'notes', '')
    .addOption(dbOption())
    .action((opts: { patient: string; age: number; diagnosis: string; plan: CutPlan; targetMuscle: string[]; approach: string; notes: string; db: string }) => {
      const info = makeCaseInfo({ patientId: opts.patient, ageYears: opts.age, diagnosis: opts.diagnosis, cutPlan: opts.plan,
        targetMuscles: opts.targetMuscle, approach: opts.approach, notes: opts.notes });
      const rec = withStore(opts.db, true, (store) => store.transaction(() => {
        const c = store.cases.create(info, 'sdrlog-cli');
        store.montages.set(c.id, DEFAULT_MONTAGE, 'sdrlog-cli');
        return c;
      }));
      process.stdout.write(`${rec.id}\n`);
    });

  cmd.command('list')
    .description('list the cases in the database')
    .option('--json', 'print JSON (an array of cases)')
    .addOption(dbOption())
    .action((opts: { json?: boolean; db: string }) => {
      const cases = withStore(opts.db, false, (store) => store.cases.all());
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(cases, null, 2)}\n`);
        return;
      }
      if (cases.length === 0) {
        process.stdout.write('no cases\n');
        return;
      }
      process.stdout.write(`${formatTable(['ID', 'PATIENT', 'AGE', 'CREATED', 'DIAGNOSIS'],
        cases.map((c) => [c.id, c.patientId, String(c.ageYears), c.createdAt.slice(0, 16).replace('T', ' '), c.diagnosis]))}\n`);
    });

  cmd.command('show')
    .description('show a case: details, montage, rootlets with their current decisions, summary per level')
    .argument('<id>', 'case id (or an unambiguous prefix of at least 4 characters)')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action((id: string, opts: { json?: boolean; db: string }) => {
      const shown = withStore(opts.db, false, (store) => showCase(store, id));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
        return;
      }
      const c = shown.case;
      const lines = [
        `case ${c.id}`,
        `  patient ${c.patientId}, age ${c.ageYears}, created ${c.createdAt}`,
        `  diagnosis: ${c.diagnosis || '-'}`,
        `  plan (% cut): ${planText(c.cutPlan)}`,
        `  montage: ${shown.montage ? `${shown.montage.name} (${shown.montage.channels.map((ch) => `${ch.index}:${ch.side} ${ch.muscle}`).join(', ')})` : '-'}`,
        `  sessions: ${shown.sessions.length}`,
        '',
      ];
      if (shown.rootlets.length === 0) lines.push('no rootlets tested');
      else {
        lines.push(formatTable(['ROOTLET', 'DECISION', 'BY', 'AT'], shown.rootlets.map((r) => [
          `${r.level}${r.side}-${r.index}`,
          r.decision ? (r.decision.kind === 'partial' ? `partial ${Math.round(r.decision.cutFraction * 100)} %` : r.decision.kind) + (r.decision.corrects ? ' (corrected)' : '') : 'undecided',
          r.decision?.decidedBy ?? '', r.decision?.decidedAt ?? '',
        ])));
      }
      if (shown.summary.length > 0) {
        lines.push('', formatTable(['LEVEL', 'TESTED', 'DECIDED', 'CUT', '% CUT', 'PLAN %'], shown.summary.map((s) => [
          `${s.level} ${s.side}`, String(s.rootletsTested), String(s.decided), String(Math.round(s.cutEquivalent * 100) / 100),
          s.percentCut === null ? '-' : String(s.percentCut), s.plannedPercent === null ? '-' : String(s.plannedPercent),
        ])));
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
};
