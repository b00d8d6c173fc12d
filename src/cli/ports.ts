import type { Command } from 'commander';
import { checkSerialPath, listSerialPorts, SerialPathError } from '../../hardware/serial';
import { UserError, type CommandRegistrar } from './main';

/**
 * `sdrlog ports`: lists serial ports (falls back to scanning /dev where the system listing fails,
 * e.g. in containers without udevadm) and, with --check PATH, validates a typed port path.
 */
export const registerPorts: CommandRegistrar = (program: Command) => {
  program.command('ports')
    .description('list serial ports for an amplifier, or check a typed port path')
    .option('--check <path>', 'check that PATH exists and is a serial (character) device')
    .option('--json', 'print JSON')
    .action(async (opts: { check?: string; json?: boolean }) => {
      if (opts.check !== undefined) {
        try {
          await checkSerialPath(opts.check);
        } catch (e) {
          if (e instanceof SerialPathError) throw new UserError(e.message);
          throw e;
        }
        process.stdout.write(opts.json ? `${JSON.stringify({ path: opts.check, ok: true })}\n` : `${opts.check}: serial device, ok\n`);
        return;
      }
      const listing = await listSerialPorts();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
        return;
      }
      const lines = listing.ports.map((p) => [p.path, p.manufacturer, p.vendorId && p.productId ? `${p.vendorId}:${p.productId}` : null, p.source === 'scan' ? '(found by name)' : null].filter(Boolean).join('  '));
      if (lines.length === 0) lines.push('no serial ports found');
      for (const problem of listing.problems) lines.push(`note: ${problem}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
};
