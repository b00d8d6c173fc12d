import { Command, CommanderError } from 'commander';
import { DomainError } from '../domain';

/** A mistake by the user (bad argument, missing file): reported as one line, exit code 2. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Each command group registers itself on the program; see the files in src/cli/commands. */
export type CommandRegistrar = (program: Command) => void;

const registrars: CommandRegistrar[] = [];

export function buildProgram(): Command {
  const program = new Command('sdrlog')
    .description('Selective dorsal rhizotomy rootlet-stimulation logger: cases, devices, grading, replay and reports.')
    .version('0.1.0')
    .showHelpAfterError(false)
    .exitOverride();
  for (const register of registrars) register(program);
  return program;
}

/** Runs the CLI; returns the process exit code. Never lets a stack trace reach the user for user errors. */
export async function main(argv: readonly string[]): Promise<number> {
  const commands = await import('./commands');
  registrars.splice(0, registrars.length, ...commands.ALL_COMMANDS);
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version are "errors" in exitOverride mode with exit code 0
      return e.exitCode;
    }
    if (e instanceof UserError || e instanceof DomainError) {
      process.stderr.write(`sdrlog: ${e.message}\n`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`sdrlog: unexpected error: ${msg}\n`);
    if (process.env.SDRLOG_DEBUG && e instanceof Error) process.stderr.write(`${e.stack ?? ''}\n`);
    return 1;
  }
}
