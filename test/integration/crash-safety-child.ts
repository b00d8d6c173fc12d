// Child process of crash-safety.test.ts: writes decisions and raw EMG as fast as it can until killed.
// After each decision write returns it prints `decision <id> <rootletId> <kind>`; after each raw block is
// handed to the writer it prints `raw <sessionId> <endSample>` (one past the last sample handed over).
import { makeCaseInfo, makeDecision, makeSampleBlock, DECISION_KINDS, LEVELS } from '../../src/domain';
import { openCaseStore } from '../../src/storage';

const [dbPath, seedText] = process.argv.slice(2);
if (!dbPath) throw new Error('usage: crash-safety-child.ts DB SEED');
let seed = Number(seedText ?? 1) >>> 0 || 1;
function rand(): number {
  // xorshift32: reproducible per iteration
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 0x100000000;
}

// The parent starts children ahead of time (loading TypeScript through tsx takes seconds on a busy
// machine) and says "go" on stdin when the previous child is dead and checked.
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));

const RATE = 10_000;
const CH = 16;
const BLOCK = 100;
const store = openCaseStore(dbPath);
const caseId = store.cases.all()[0]?.id ?? store.cases.create(makeCaseInfo({ patientId: 'CRASH1', ageYears: 7 })).id;
const session = store.sessions.start({ caseId, source: 'live', sampleRateHz: RATE, channelCount: CH });
const writer = store.raw.writer(session.id, { flushIntervalMs: 1000 });
const data = new Float32Array(CH * BLOCK);
for (let i = 0; i < data.length; i++) data[i] = (rand() - 0.5) * 400;
const out = (line: string): void => {
  process.stdout.write(`${line}\n`); // a pipe: synchronous on POSIX, so the line is out before we go on
};
out(`ready ${session.id}`);

// about 4x real time: fast enough that kills often land inside a transaction, slow enough that the
// file stays small and the parent's checks stay quick
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, 2));
let sample = 0;
for (;;) {
  await pause();
  writer.append(makeSampleBlock(sample, RATE, CH, data));
  sample += BLOCK;
  out(`raw ${session.id} ${sample}`);
  if (rand() < 0.2) {
    const kind = DECISION_KINDS[Math.floor(rand() * DECISION_KINDS.length)]!;
    const d = store.decisions.recordFor(caseId,
      { level: LEVELS[Math.floor(rand() * LEVELS.length)]!, side: rand() < 0.5 ? 'L' : 'R', index: 1 + Math.floor(rand() * 6) },
      { decision: makeDecision({ kind, fraction: kind === 'partial' ? 0.5 : undefined, decidedBy: 'Dr Crash', decidedAt: new Date().toISOString() }) });
    out(`decision ${d.id} ${d.rootletId} ${kind}`);
  }
}
