import type { CommandRegistrar } from './main';
import { registerCase } from './case';
import { registerVerify } from './verify';
import { registerSimulate } from './simulate';
import { registerGrade } from './grade';
import { registerPorts } from './ports';
import { registerRecord } from './record';
import { registerExport } from './export';
import { registerImport } from './import';
import { registerWeb } from './web';
import { registerReport } from './report';
import { registerReplay } from './replay';

/**
 * Every command group of the CLI. Each lives in its own file and is listed here once.
 */
export const ALL_COMMANDS: CommandRegistrar[] = [registerCase, registerVerify, registerSimulate, registerGrade, registerPorts, registerRecord, registerWeb, registerExport, registerImport, registerReport, registerReplay];
