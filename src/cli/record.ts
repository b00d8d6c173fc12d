import type { Command } from 'commander';
import { LEVELS, parseLevel, parseSide, type Level, type Side } from '../domain';
import { defaultDatabasePath, openCaseStore } from '../storage';
import { ProtocolDevice } from '../../hardware/protocol-device';
import { SerialTransport } from '../../hardware/serial';
import { runRampsAndTrains, SessionRecorder, STIMULATION_SCRIPTS, type StimulationScriptName } from '../app/recorder';
import { UserError, type CommandRegistrar } from './main';

interface RecordCliOptions {
  port?: string;
  db: string;
  case?: string;
  seconds?: string;
  script: string;
  levels?: string;
  sides?: string;
  rootlets: string;
  baud: string;
}

function list<T>(text: string | undefined, parse: (v: string) => T, fallback: readonly T[]): T[] {
  if (text === undefined) return [...fallback];
  const out = text.split(',').filter((s) => s.trim() !== '').map((s) => {
    try {
      return parse(s);
    } catch (e) {
      throw new UserError(e instanceof Error ? e.message : String(e));
    }
  });
  if (out.length === 0) throw new UserError('an empty list was given');
  return out;
}

function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new UserError(`${name} must be a positive whole number, got '${v}'`);
  return n;
}

/**
 * `sdrlog record --port PATH --db DB --case ID`: records a live session from a device on a serial port
 * (real serial stack), optionally driving a stimulation script, into the case store.
 */
export async function runRecord(opts: RecordCliOptions, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  if (!opts.port) throw new UserError('record: say which port, e.g. --port /dev/ttyUSB0');
  if (!opts.case) throw new UserError('record: say which case, e.g. --case <id> (see sdrlog case list)');
  if (!(STIMULATION_SCRIPTS as readonly string[]).includes(opts.script)) throw new UserError(`--script must be one of ${STIMULATION_SCRIPTS.join(', ')}, got '${opts.script}'`);
  const script = opts.script as StimulationScriptName;
  const seconds = opts.seconds === undefined ? null : Number(opts.seconds);
  if (seconds !== null && !(Number.isFinite(seconds) && seconds > 0)) throw new UserError(`--seconds must be a positive number, got '${opts.seconds}'`);
  const levels: Level[] = list(opts.levels, parseLevel, LEVELS);
  const sides: Side[] = list(opts.sides, parseSide, ['L', 'R']);
  const rootletsPerRoot = positiveInt(opts.rootlets, '--rootlets');
  const baudRate = positiveInt(opts.baud, '--baud');

  let store;
  try {
    store = openCaseStore(opts.db, { create: false });
  } catch (e) {
    throw new UserError(e instanceof Error ? e.message : String(e));
  }
  try {
    let caseId: string;
    try {
      caseId = store.cases.resolve(opts.case).id;
    } catch (e) {
      throw new UserError(e instanceof Error ? e.message : String(e));
    }
    const device = new ProtocolDevice(new SerialTransport({ path: opts.port, baudRate }), { reconnect: { initialDelayMs: 200, maxDelayMs: 1000 } });
    try {
      await device.open();
    } catch (e) {
      throw new UserError(`cannot open the device on ${opts.port}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const recorder = new SessionRecorder({ store, caseId, device, actor: 'sdrlog record' });
    out(`recording session ${recorder.sessionId} of case ${caseId} from ${opts.port} (${device.info?.model ?? 'unknown device'})`);
    const abort = new AbortController();
    const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
      if (abort.signal.aborted) return resolve();
      const onAbort = (): void => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      abort.signal.addEventListener('abort', onAbort, { once: true });
    });
    const stopOnSignal = (): void => abort.abort();
    process.once('SIGINT', stopOnSignal);
    process.once('SIGTERM', stopOnSignal);
    const timer = seconds !== null ? setTimeout(() => abort.abort(), seconds * 1000) : null;
    try {
      await device.send({ type: 'start' });
      if (script === 'ramps-and-trains') {
        await runRampsAndTrains(device, recorder, { levels, sides, rootletsPerRoot, signal: abort.signal, sleep, onProblem: (m) => out(`warning: ${m}`) });
        if (seconds !== null && !abort.signal.aborted) await sleep(seconds * 1000);
      } else {
        await sleep(seconds === null ? 2 ** 31 - 1 : seconds * 1000);
      }
      await device.send({ type: 'stop' }).catch(() => {});
    } finally {
      if (timer) clearTimeout(timer);
      process.removeListener('SIGINT', stopOnSignal);
      process.removeListener('SIGTERM', stopOnSignal);
      const { stats, counters } = recorder.stop();
      await device.close();
      out(`session ${recorder.sessionId}: ${stats.samples} samples in ${stats.blocks} blocks, ${stats.gaps} gaps (${stats.gapSamples} samples), ${stats.stimulations} stimulations, ${stats.disconnections} disconnections`);
      out(`link: ${counters.bytesReceived} bytes, ${counters.framesDecoded} frames, ${counters.bytesDropped} bytes dropped, ${counters.crcFailures} CRC failures, ${counters.sequenceGaps} sequence gaps, ${counters.samplesLost} samples lost`);
      if (stats.storeFailures > 0) out(`warning: ${stats.storeFailures} events could not be stored (see the session's alarms)`);
    }
  } finally {
    store.close();
  }
}

export const registerRecord: CommandRegistrar = (program: Command) => {
  program
    .command('record')
    .description('record a live session from a device on a serial port into the case store, optionally driving a stimulation script')
    .option('--port <path>', 'serial port of the device (e.g. /dev/ttyUSB0, or the path printed by sdrlog simulate --pty)')
    .option('--db <path>', 'case database', defaultDatabasePath())
    .option('--case <id>', 'case to record into (id or unique prefix)')
    .option('--seconds <n>', 'stop after this many seconds (default: when the script ends, or Ctrl-C)')
    .option('--script <name>', `stimulation script: ${STIMULATION_SCRIPTS.join(' or ')}`, 'ramps-and-trains')
    .option('--levels <list>', 'levels for the script, comma-separated (default L1..S2)')
    .option('--sides <list>', 'sides for the script (default L,R)')
    .option('--rootlets <n>', 'rootlets per root for the script', '3')
    .option('--baud <n>', 'baud rate (ignored by pseudo-terminals and USB CDC devices)', '921600')
    .action(async (opts: RecordCliOptions) => {
      await runRecord(opts);
    });
};
