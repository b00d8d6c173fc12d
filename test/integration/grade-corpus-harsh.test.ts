import { describe, expect, it } from 'vitest';
import { score } from '../corpus/run';
import { gradeHarsh, patternAgreement } from '../corpus/harsh-eval';
import type { HarshCondition } from '../corpus/harsh';

/**
 * Agreement with the rule-defined truth on harsh recordings from the second generator
 * (test/corpus/harsh.ts): artifact tails of 3-8 ms, DC steps after the pulses, strong mains off nominal
 * and drifting with harmonics, baseline wander, low amplitudes, 20-100 Hz trains, pulse-locked
 * M-wave-like responses. Seeds 71001.. are held out from development (which used seeds 1..). Few,
 * short cases keep this quick; `npx tsx test/corpus/harsh-eval.ts` runs the full table by hand.
 * Floors sit slightly below the figures measured when this test was written (kappa 0.98, cut/spare 1.00).
 */
describe('grading corpus: harsh recordings', () => {
  it('tails, DC steps, drifting mains, wander, low amplitudes, rates, M-wave-like responses', () => {
    const plan: [number, HarshCondition][] = [[71001, 'combined'], [71002, 'combined'], [71003, 'dc-step'], [71004, 'rates'], [71005, 'mwave']];
    const cases = plan.map(([seed, cond]) => gradeHarsh(seed, cond, 3));
    const sc = score(cases);
    const pa = patternAgreement(cases);
    console.log(`corpus harsh: ${sc.trains} trains, kappa ${sc.kappa.toFixed(3)}, exact grade ${sc.exactGrade.toFixed(3)}, cut/spare ${sc.cutSpareAgreement.toFixed(3)}, pattern ${pa.agree}/${pa.n}`);
    for (const l of sc.confusion) console.log(`  ${l}`);
    expect(sc.trains).toBe(15);
    expect(sc.kappa).toBeGreaterThanOrEqual(0.9);
    expect(sc.cutSpareAgreement).toBeGreaterThanOrEqual(0.93);
  }, 120_000);

  it('amplifier saturation past the blanking window', () => {
    // Seeds 72001.. held out; before blanking was extended over a pinned amplifier (saturation.ts) the
    // saturation condition scored kappa 0.1 on the full table (harsh-eval.ts), 1.0 after.
    const plan: [number, HarshCondition][] = [[72001, 'saturation'], [72002, 'saturation'], [72003, 'saturation'], [72004, 'saturation']];
    const cases = plan.map(([seed, cond]) => gradeHarsh(seed, cond, 4));
    const sc = score(cases);
    console.log(`corpus harsh saturation: ${sc.trains} trains, kappa ${sc.kappa.toFixed(3)}, exact grade ${sc.exactGrade.toFixed(3)}, cut/spare ${sc.cutSpareAgreement.toFixed(3)}`);
    for (const l of sc.confusion) console.log(`  ${l}`);
    expect(sc.trains).toBe(16);
    expect(sc.kappa).toBeGreaterThanOrEqual(0.9);
    expect(sc.cutSpareAgreement).toBeGreaterThanOrEqual(0.93);
  }, 120_000);

  it('strong hum with harmonics exactly at the nominal frequency, with low amplitudes', () => {
    // Seeds 73001.. held out. The notch removes such a hum entirely, so whatever the blanking cut into it
    // stands out against a clean baseline: with a straight-line fill this plan scored kappa 0.07 and
    // cut/spare 0.63 (responses on silent muscles under the strongest hum); with the hum fill
    // (src/pipeline/hum-fill.ts) kappa 0.69, cut/spare 0.94. Over 64 trains of seeds 100.. mains-nominal
    // scores kappa 0.95, cut/spare 1.00 (harsh-eval.ts).
    const plan: [number, HarshCondition][] = [[73001, 'mains-nominal-low'], [73002, 'mains-nominal-low'], [73003, 'mains-nominal'], [73004, 'mains-nominal-low']];
    const cases = plan.map(([seed, cond]) => gradeHarsh(seed, cond, 4));
    const sc = score(cases);
    console.log(`corpus harsh nominal mains: ${sc.trains} trains, kappa ${sc.kappa.toFixed(3)}, exact grade ${sc.exactGrade.toFixed(3)}, cut/spare ${sc.cutSpareAgreement.toFixed(3)}`);
    for (const l of sc.confusion) console.log(`  ${l}`);
    expect(sc.trains).toBe(16);
    expect(sc.kappa).toBeGreaterThanOrEqual(0.6);
    expect(sc.cutSpareAgreement).toBeGreaterThanOrEqual(0.9);
  }, 120_000);
});
