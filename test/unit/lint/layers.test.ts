import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

async function lintAs(relPath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: root });
  const [res] = await eslint.lintText(code, { filePath: path.join(root, relPath) });
  return (res?.messages ?? []).filter((m) => m.ruleId === 'sdr/layers').map((m) => m.message);
}

describe('folder import rules', () => {
  it('a renderer file importing better-sqlite3 fails lint', async () => {
    const msgs = await lintAs('renderer/Bad.tsx', "import Database from 'better-sqlite3';\nexport const d = Database;\n");
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toMatch(/better-sqlite3.*src\/storage/);
  });
  it('the renderer cannot reach storage or app code by relative path', async () => {
    const msgs = await lintAs('renderer/Bad.tsx', "import { x } from '../src/storage/db';\nexport const y = x;\n");
    expect(msgs[0]).toMatch(/'renderer' may not import from 'src\/storage'/);
  });
  it('domain imports nothing else; grading may use pipeline but not storage', async () => {
    expect(await lintAs('src/domain/x.ts', "import { a } from '../pipeline/a';\nexport const b = a;\n")).toHaveLength(1);
    expect(await lintAs('src/grading/x.ts', "import { a } from '../pipeline/a';\nexport const b = a;\n")).toHaveLength(0);
    expect(await lintAs('src/grading/x.ts', "import { a } from '../storage/a';\nexport const b = a;\n")).toHaveLength(1);
  });
  it('serialport belongs to hardware/serial, electron to electron/', async () => {
    expect(await lintAs('src/app/x.ts', "import { SerialPort } from 'serialport';\nexport const s = SerialPort;\n")).toHaveLength(1);
    expect(await lintAs('hardware/serial/x.ts', "import { SerialPort } from 'serialport';\nexport const s = SerialPort;\n")).toHaveLength(0);
    expect(await lintAs('src/app/x.ts', "import { app } from 'electron';\nexport const s = app;\n")).toHaveLength(1);
  });
  it('the renderer and pure layers may not use Node built-ins', async () => {
    expect(await lintAs('renderer/x.ts', "import fs from 'node:fs';\nexport const s = fs;\n")).toHaveLength(1);
    expect(await lintAs('src/grading/x.ts', "import fs from 'fs';\nexport const s = fs;\n")).toHaveLength(1);
  });
});
