import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A pair of linked pseudo-terminals made by socat: bytes written to one end come out of the other. */
export class PtyPair {
  private proc: ChildProcess | null = null;
  private constructor(
    readonly dir: string,
    readonly a: string,
    readonly b: string,
  ) {}

  static async create(): Promise<PtyPair> {
    const dir = await mkdtemp(path.join(tmpdir(), 'sdrlog-pty-'));
    const pair = new PtyPair(dir, path.join(dir, 'a'), path.join(dir, 'b'));
    await pair.start();
    return pair;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  async start(): Promise<void> {
    if (this.proc) throw new Error('socat already running');
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.a}`, `pty,raw,echo=0,link=${this.b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const deadline = Date.now() + 5000;
    // socat logs "starting data transfer loop" once both ends exist
    while (!(stderr.includes('starting data transfer loop') && existsSync(this.a) && existsSync(this.b))) {
      if (proc.exitCode !== null) throw new Error(`socat exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`socat did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Kills socat: both pseudo-terminals vanish, as a USB adapter does when unplugged. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
