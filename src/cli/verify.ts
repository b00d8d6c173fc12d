import { CommanderError, type Command } from 'commander';
import { defaultDatabasePath, parseAuditHead, verifyDatabase } from '../storage';
import type { CommandRegistrar } from './main';

/** `sdrlog verify [DB]`: exit 0 when every check passes, 1 when one fails (2 for a user error). */
export const registerVerify: CommandRegistrar = (program: Command) => {
  program.command('verify')
    .description('check a case database: SQLite integrity, foreign keys, append-only triggers, audit hash chain, decisions against their audit entries')
    .argument('[db]', 'case database (default: $SDRLOG_DB or the user data folder)')
    .option('--head <id:hash>', 'audit head printed by an earlier verify: proves no entries were removed since', parseAuditHead)
    .option('--json', 'print the report as JSON')
    .action((db: string | undefined, opts: { json?: boolean; head?: { id: number; hash: string } }) => {
      const report = verifyDatabase(db ?? defaultDatabasePath(), opts.head ? { expectHead: opts.head } : {});
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        const lines = [`${report.path} (schema version ${report.schemaVersion})`,
          ...report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
          `audit head: ${report.head ? `${report.head.id}:${report.head.hash}` : 'none'} (keep it to check later with --head)`,
          report.ok ? 'verified: all checks passed' : `NOT VERIFIED: ${report.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')} failed`];
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      // exit status 1 without a second message: the report above already names what failed
      if (!report.ok) throw new CommanderError(1, 'sdrlog.verify-failed', 'verification failed');
    });
};
