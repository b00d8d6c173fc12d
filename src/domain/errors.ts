/** A value that breaks a domain rule. Thrown at construction so invalid values never circulate. */
export class DomainError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
  }
}

/** The result shape every host boundary uses: thrown errors lose detail across IPC and HTTP. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function err<T = never>(code: string, message: string): Result<T> {
  return { ok: false, error: { code, message } };
}

export function check(condition: boolean, code: string, message: string): asserts condition {
  if (!condition) throw new DomainError(code, message);
}

export function checkFinite(value: number, name: string, min?: number, max?: number): number {
  check(typeof value === 'number' && Number.isFinite(value), 'invalid-number', `${name} must be a finite number, got ${String(value)}`);
  if (min !== undefined) check(value >= min, 'out-of-range', `${name} must be >= ${min}, got ${value}`);
  if (max !== undefined) check(value <= max, 'out-of-range', `${name} must be <= ${max}, got ${value}`);
  return value;
}
