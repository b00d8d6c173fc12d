import { DomainError } from '../domain';

/**
 * A configuration a stage refuses (missing sample rate or unit, cut-off above Nyquist...). Thrown by
 * `configure` before any sample is processed, so a bad setting never silently runs.
 */
export class PipelineConfigError extends DomainError {
  constructor(message: string) {
    super('invalid-pipeline-config', message);
    this.name = 'PipelineConfigError';
  }
}

/** What a stage emits: planar blocks of `channelCount` channels at `sampleRateHz`, in microvolts. */
export interface StageShape {
  readonly channelCount: number;
  readonly sampleRateHz: number;
  readonly unit: 'uV';
}

/**
 * The common shape of a pipeline stage (BCI2000 / timeflux style): `configure` validates its spec and
 * declares the output shape and delay before anything runs; `process` works on caller-owned,
 * preallocated planar arrays (channel c of a block of `frames` samples is at `[c * frames, (c + 1) * frames)`;
 * arrays may be longer than `channelCount * frames`), carrying its state across calls so that any
 * chunking gives the same output as one batch; `reset` returns to the just-configured state;
 * `dispose` releases buffers. `process` allocates nothing.
 */
export interface Stage<Spec> {
  readonly name: string;
  configure(spec: Spec): StageShape;
  /** Output shape; throws if the stage is not configured. */
  readonly outputShape: StageShape;
  /**
   * Fixed latency the stage adds, in samples (0 for sample-by-sample causal stages). Causal IIR
   * filters add frequency-dependent group delay, not a fixed latency; see their `groupDelayMs`.
   */
  readonly delaySamples: number;
  /** `input` and `output` may be the same array (in-place). */
  process(input: Float32Array, output: Float32Array, frames: number): void;
  reset(): void;
  dispose(): void;
}

/** Validates the sample rate every stage needs; the pipeline works from 1 kHz to 50 kHz. */
export function requireSampleRateHz(v: unknown, who: string): number {
  if (v === undefined || v === null) throw new PipelineConfigError(`${who}: sampleRateHz is required (no default)`);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1000 || v > 50000) {
    throw new PipelineConfigError(`${who}: sampleRateHz must be a number from 1000 to 50000 Hz, got ${String(v)}`);
  }
  return v;
}

export function requireChannelCount(v: unknown, who: string): number {
  if (v === undefined || v === null) throw new PipelineConfigError(`${who}: channelCount is required (no default)`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 256) {
    throw new PipelineConfigError(`${who}: channelCount must be an integer from 1 to 256, got ${String(v)}`);
  }
  return v;
}

export function requireNumber(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new PipelineConfigError(`${name} must be a number from ${min} to ${max}, got ${String(v)}`);
  }
  return v;
}

export function requireInteger(v: unknown, name: string, min: number, max: number): number {
  const n = requireNumber(v, name, min, max);
  if (!Number.isInteger(n)) throw new PipelineConfigError(`${name} must be an integer, got ${n}`);
  return n;
}

export function notConfigured(who: string): never {
  throw new PipelineConfigError(`${who}: used before configure()`);
}
