import type { CommandRegistrar } from './main';

/**
 * Every command group of the CLI. Each lives in its own file and is listed here once.
 */
export const ALL_COMMANDS: CommandRegistrar[] = [];
