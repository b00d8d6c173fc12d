import { SIGNAL_UNITS, unitToMicrovolts, type SignalUnit } from '../domain';
import { notConfigured, PipelineConfigError, requireChannelCount, requireNumber, requireSampleRateHz, type Stage, type StageShape } from './stage';

/** Input unit of the samples entering the pipeline: a physical unit, or ADC counts with a gain. */
export type InputUnit = SignalUnit | { readonly counts: { readonly uvPerCount: number | readonly number[]; readonly offsetCounts?: number } };

export interface ScaleSpec {
  readonly sampleRateHz: number;
  readonly channelCount: number;
  readonly unit: InputUnit;
}

/** Microvolts per input unit, per channel; refuses a missing or unknown unit (no silent uV default). */
export function microvoltsPerUnit(unit: InputUnit | undefined, channelCount: number): { gain: Float64Array; offset: number } {
  if (unit === undefined || unit === null) throw new PipelineConfigError('input unit is required (uV, mV, V or counts with uvPerCount); no default');
  const gain = new Float64Array(channelCount);
  if (typeof unit === 'string') {
    if (!(SIGNAL_UNITS as readonly string[]).includes(unit)) throw new PipelineConfigError(`input unit must be one of ${SIGNAL_UNITS.join(', ')} or counts, got '${unit}'`);
    gain.fill(unitToMicrovolts(unit));
    return { gain, offset: 0 };
  }
  const counts = unit.counts;
  if (!counts) throw new PipelineConfigError('input unit object must be { counts: { uvPerCount } }');
  if (typeof counts.uvPerCount === 'number') gain.fill(requireNumber(counts.uvPerCount, 'uvPerCount', 1e-9, 1e9));
  else {
    if (!Array.isArray(counts.uvPerCount) || counts.uvPerCount.length !== channelCount) {
      throw new PipelineConfigError(`uvPerCount must be one number or one per channel (${channelCount})`);
    }
    counts.uvPerCount.forEach((g, c) => (gain[c] = requireNumber(g, `uvPerCount[${c}]`, 1e-9, 1e9)));
  }
  const offset = counts.offsetCounts === undefined ? 0 : requireNumber(counts.offsetCounts, 'offsetCounts', -1e12, 1e12);
  return { gain, offset };
}

/** Converts input samples to microvolts: uV = (x - offsetCounts) * uvPerCount, or x * unit factor. */
export class ScaleStage implements Stage<ScaleSpec> {
  readonly name = 'scale';
  readonly delaySamples = 0;
  private shape: StageShape | null = null;
  private gain: Float64Array = new Float64Array(0);
  private offset = 0;

  configure(spec: ScaleSpec): StageShape {
    const sampleRateHz = requireSampleRateHz(spec.sampleRateHz, this.name);
    const channelCount = requireChannelCount(spec.channelCount, this.name);
    const { gain, offset } = microvoltsPerUnit(spec.unit, channelCount);
    this.gain = gain;
    this.offset = offset;
    this.shape = { sampleRateHz, channelCount, unit: 'uV' };
    return this.shape;
  }

  get outputShape(): StageShape {
    return this.shape ?? notConfigured(this.name);
  }

  /** True when the stage is the identity (input already in uV): callers may skip it. */
  get isIdentity(): boolean {
    return this.offset === 0 && this.gain.every((g) => g === 1);
  }

  process(input: Float32Array, output: Float32Array, frames: number): void {
    const { channelCount } = this.outputShape;
    const off = this.offset;
    for (let c = 0; c < channelCount; c++) {
      const g = this.gain[c]!;
      const base = c * frames;
      for (let i = 0; i < frames; i++) output[base + i] = (input[base + i]! - off) * g;
    }
  }

  reset(): void {}

  dispose(): void {
    this.shape = null;
  }
}
