import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SerialTransport } from '../../hardware/serial';
import { runRealtime, SimulatedFirmware, type FaultEvent, type FaultPlan } from '../../hardware/simulated';
import { UserError } from './main';

/**
 * `sdrlog simulate --pty`: the simulated amplifier/stimulator as a separate process behind a
 * pseudo-terminal, so the host side is exercised through the real serial stack.
 *
 * socat makes two linked pseudo-terminals (`pty,raw,echo=0,link=...` on both ends): the simulator opens
 * the hidden end `<dir>/.firmware` through the serial transport, and prints the other end's path for
 * `sdrlog record --port` (or the app) to connect to. An `unplug` fault kills socat so both paths
 * vanish, as a USB adapter does when pulled, and starts it again with the same paths afterwards.
 */

export interface SimulatePtyOptions {
  readonly seed: number;
  readonly sampleRateHz?: number;
  /** Where the host-side link goes; default a fresh temporary folder. */
  readonly link?: string;
  readonly faults: FaultPlan;
  /** Device seconds per wall second (default 1). */
  readonly speed?: number;
  /** Called with the host-side device path once it is ready. */
  readonly onReady?: (devicePath: string) => void;
  readonly log?: (line: string) => void;
  /** Resolves to stop the simulator; default: SIGINT or SIGTERM. */
  readonly until?: Promise<void>;
}

const FAULT_HELP = 'corrupt=RATE, drop=RATE, stall=AT_S:MS, unplug=AT_S:SECONDS, electrode-off=AT_S:CHANNEL[:SECONDS]';

/** Parses `--faults` (comma-separated: corrupt=1e-4,drop=1e-5,stall=5:200,unplug=10:3,electrode-off=8:4:2). */
export function parseFaults(text: string | undefined): FaultPlan {
  if (text === undefined || text.trim() === '') return {};
  let corruptByteRate: number | undefined;
  let dropByteRate: number | undefined;
  const events: FaultEvent[] = [];
  const num = (v: string | undefined, what: string, item: string): number => {
    const n = Number(v);
    if (v === undefined || v.trim() === '' || !Number.isFinite(n) || n < 0) throw new UserError(`--faults '${item}': ${what} must be a non-negative number`);
    return n;
  };
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const m = /^([a-z-]+)=(.+)$/.exec(item);
    if (!m) throw new UserError(`--faults: cannot read '${item}' (expected ${FAULT_HELP})`);
    const parts = m[2]!.split(':');
    switch (m[1]) {
      case 'corrupt':
        corruptByteRate = num(parts[0], 'the rate', item);
        if (corruptByteRate >= 0.5) throw new UserError(`--faults '${item}': the rate is a chance per byte below 0.5`);
        break;
      case 'drop':
        dropByteRate = num(parts[0], 'the rate', item);
        if (dropByteRate >= 0.5) throw new UserError(`--faults '${item}': the rate is a chance per byte below 0.5`);
        break;
      case 'stall':
        events.push({ kind: 'stall', atS: num(parts[0], 'the time', item), durationMs: num(parts[1], 'the stall length (ms)', item) });
        break;
      case 'unplug':
        events.push({ kind: 'unplug', atS: num(parts[0], 'the time', item), durationS: num(parts[1], 'the unplugged time (s)', item) });
        break;
      case 'electrode-off': {
        const channel = num(parts[1], 'the channel', item);
        if (!Number.isInteger(channel)) throw new UserError(`--faults '${item}': the channel is a whole number`);
        events.push({ kind: 'electrode-off', atS: num(parts[0], 'the time', item), channel, ...(parts[2] !== undefined ? { durationS: num(parts[2], 'the duration (s)', item) } : {}) });
        break;
      }
      default:
        throw new UserError(`--faults: unknown fault '${m[1]}' (expected ${FAULT_HELP})`);
    }
  }
  return { corruptByteRate, dropByteRate, events };
}

class Socat {
  private proc: ChildProcess | null = null;
  constructor(private readonly firmwareEnd: string, private readonly hostEnd: string) {}

  async start(): Promise<void> {
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.firmwareEnd}`, `pty,raw,echo=0,link=${this.hostEnd}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    let failed: Error | null = null;
    proc.on('error', (e) => (failed = e));
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 5000;
    while (!(stderr.includes('starting data transfer loop') && existsSync(this.firmwareEnd) && existsSync(this.hostEnd))) {
      if (failed) throw new UserError(`cannot run socat (install it: apt-get install socat): ${(failed as Error).message}`);
      if (proc.exitCode !== null) throw new UserError(`socat exited: ${stderr.trim()}`);
      if (Date.now() > deadline) throw new UserError(`socat did not make the pseudo-terminals: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    await exited;
  }
}

/** Runs the simulated device behind a pseudo-terminal until `until` resolves (default: a signal). */
export async function runSimulatePty(options: SimulatePtyOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const ownDir = options.link === undefined ? await mkdtemp(path.join(tmpdir(), 'sdrlog-sim-')) : null;
  const hostEnd = options.link ?? path.join(ownDir!, 'device');
  const firmwareEnd = path.join(path.dirname(hostEnd), `.${path.basename(hostEnd)}.firmware`);
  if (existsSync(hostEnd)) throw new UserError(`${hostEnd} already exists: choose another --link`);
  const socat = new Socat(firmwareEnd, hostEnd);
  const firmware = new SimulatedFirmware({ seed: options.seed, sampleRateHz: options.sampleRateHz, faults: options.faults });
  let transport: SerialTransport | null = null;
  let writing: Promise<void> = Promise.resolve();

  const connect = async (): Promise<void> => {
    await socat.start();
    const t = new SerialTransport({ path: firmwareEnd, baudRate: 921_600 });
    t.onData((bytes) => firmware.receive(bytes));
    await t.open();
    // A write to the vanished terminal may never complete: start a fresh chain for the new link.
    writing = Promise.resolve();
    transport = t;
  };
  const disconnect = async (): Promise<void> => {
    const t = transport;
    transport = null;
    if (t) await t.close().catch(() => {});
    await socat.stop();
  };

  firmware.onOutput((bytes) => {
    const t = transport;
    if (!t) return;
    // Keep writes in order; a failed write means the link is going away, which the unplug logic handles.
    writing = writing.then(() => t.write(bytes)).catch(() => {});
  });
  let linkChange: Promise<void> = Promise.resolve();
  firmware.onLink((e) => {
    linkChange = linkChange.then(async () => {
      if (e.kind === 'unplugged') {
        log(`fault: unplugged for ${e.durationS} s`);
        await disconnect();
      } else {
        await connect();
        log('fault: plugged back in');
        firmware.powerUp();
      }
    }).catch((err: unknown) => log(`link change failed: ${err instanceof Error ? err.message : String(err)}`));
  });

  try {
    await connect();
    firmware.powerUp();
    const stopClock = runRealtime(firmware, { speed: options.speed ?? 1 });
    options.onReady?.(hostEnd);
    const stopped = options.until ?? new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await stopped;
    stopClock();
    await linkChange;
    const c = firmware.counters();
    // The delivered stimulations, one JSON object per line: what the host should have recorded.
    for (const d of firmware.delivered) log(`stimulation ${JSON.stringify(d.event)}`);
    log(`simulator stopped: ${c.samplesGenerated} samples, ${c.framesSent} frames, ${c.bytesSent} bytes sent, ${c.bytesCorrupted} corrupted, ${c.bytesDropped} dropped, ${c.bytesLostUnplugged} lost unplugged, ${c.stimulationsDelivered} stimulations`);
  } finally {
    await disconnect();
    if (ownDir) await rm(ownDir, { recursive: true, force: true });
  }
}
