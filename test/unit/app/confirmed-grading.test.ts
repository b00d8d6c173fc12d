import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSdrApp, type SdrApp } from '../../../src/app/sdr-app';
import { createInProcessAnalyzer, type AnalyzerFactory } from '../../../src/app/analyzer';
import type { Result } from '../../../src/domain';
import { SynthDevice } from './synth-device';

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sdrapp-confirm-')), 'cases.db');
const apps: SdrApp[] = [];

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

describe('app service: a device that confirms its stimulation reports', () => {
  it('puts the analysis in confirmed mode and forwards the confirmations: the train is graded with the block holding its window end (lagging: the event lag later)', async () => {
    for (const confirms of [true, false]) {
      const BLOCK = 500;
      const device = new SynthDevice(11, [{ level: 'L4', side: 'R', rootlet: 1, thresholdMa: 0.6, grade: 3, pattern: 'sustained' }], 5, BLOCK);
      device.confirmsStimulations = confirms;
      const modes: string[] = [];
      const confirmations: number[] = [];
      /** What the analysis was doing when each grade came out (the in-process analyzer grades synchronously). */
      const gradedDuring: { onset: number; input: 'block' | 'confirm'; sample: number }[] = [];
      const createAnalyzer: AnalyzerFactory = (config, sink) => {
        modes.push(config.stimulationReports ?? 'lagging');
        let current: { input: 'block' | 'confirm'; sample: number } = { input: 'block', sample: -1 };
        const inner = createInProcessAnalyzer(config, { ...sink, grade: (g, latencyMs) => { gradedDuring.push({ onset: g.onsetSample, ...current }); sink.grade(g, latencyMs); } });
        return {
          ...inner,
          pushBlock: (b, t) => {
            current = { input: 'block', sample: b.startSample + b.samplesPerChannel };
            inner.pushBlock(b, t);
          },
          confirmStimulationsTo: (n, t) => {
            current = { input: 'confirm', sample: n };
            confirmations.push(n);
            inner.confirmStimulationsTo(n, t);
          },
        };
      };
      const app = await createSdrApp({ dbPath: tmp(), createDevice: () => device, createAnalyzer, stimulationTimeoutMs: 20_000 });
      apps.push(app);
      const c = value(await app.createCase({ patientId: 'P010', ageYears: 7 }));
      value(await app.openCase({ caseId: c.id }));
      value(await app.connectDevice({ source: 'simulator' }));
      value(await app.setStimulation({ settings: { intensityMa: 1.2 }, target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 1 } }));
      const train = value(await app.runTrain({}));
      const onset = train.grade.onsetSample;
      expect(train.grade.grade).toBe(3);
      const windowEnd = onset + 20_000; // 200 ms pre-stimulus window, 1 s train, 1 s after it, at 10 kHz
      expect(modes).toEqual([confirms ? 'confirmed' : 'lagging']);
      expect(gradedDuring.map((g) => g.onset)).toEqual([onset]);
      const g = gradedDuring[0]!;
      if (confirms) {
        expect(g.input).toBe('confirm');
        expect(g.sample - windowEnd).toBeGreaterThanOrEqual(0);
        expect(g.sample - windowEnd).toBeLessThan(BLOCK); // the block holding the window's last sample
        expect(confirmations.length).toBeGreaterThan(10);
        expect(confirmations.every((n, i) => i === 0 || n > confirmations[i - 1]!)).toBe(true);
      } else {
        expect(g.input).toBe('block');
        expect(g.sample - windowEnd).toBeGreaterThanOrEqual(1000); // settings.epoch.eventLagMs
        expect(confirmations).toEqual([]);
      }
      await app.close();
    }
  });
});
