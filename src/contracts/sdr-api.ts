import type { Result } from '../domain';
import { API_METHODS, isMethodName, type MethodName, type ParsedRequestOf, type RequestOf, type ResponseOf } from './api';
import type { EventOf, TopicName } from './events';

export type Disposer = () => void;

/** One function per method of API_METHODS: (request) => Promise<Result<response>>. */
export type SdrMethods = {
  [M in MethodName]: (request: RequestOf<M>) => Promise<Result<ResponseOf<M>>>;
};

/**
 * What the renderer talks to. Implemented by the preload bridge (Electron IPC), the WebSocket client
 * (browser host) and, in-process, by the app service itself.
 */
export interface SdrApi extends SdrMethods {
  /** Listen to an event stream; call the returned disposer to stop. */
  subscribe<T extends TopicName>(topic: T, listener: (event: EventOf<T>) => void): Disposer;
}

/**
 * Handlers as the app writes them: they receive the validated request and return the response, or
 * throw a DomainError (code + message) that `bindHandlers` turns into an error Result.
 */
export type SdrHandlers = {
  [M in MethodName]: (request: ParsedRequestOf<M>) => Promise<ResponseOf<M>> | ResponseOf<M>;
};

/** Error codes the contract itself produces (handlers add their own domain codes). */
export const CONTRACT_ERRORS = {
  unknownMethod: 'unknown-method',
  invalidRequest: 'invalid-request',
  invalidResponse: 'invalid-response',
  internal: 'internal-error',
  disconnected: 'disconnected',
  timeout: 'timeout',
} as const;

/** Formats zod issues as one line: `path: message; path: message`. */
export function describeIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.slice(0, 5).map((i) => `${i.path.length ? i.path.map(String).join('.') : '(request)'}: ${i.message}`).join('; ');
}

function errorResult(code: string, message: string): { ok: false; error: { code: string; message: string } } {
  return { ok: false, error: { code, message } };
}

/**
 * Validates `payload` against the method's request schema and runs the handler, catching every throw.
 * The single entry point hosts use (WebSocket, HTTP, Electron IPC) so every payload is checked once.
 */
export async function dispatch(handlers: SdrHandlers, method: unknown, payload: unknown): Promise<Result<unknown>> {
  if (!isMethodName(method)) return errorResult(CONTRACT_ERRORS.unknownMethod, `unknown method '${String(method)}'`);
  const parsed = API_METHODS[method].request.safeParse(payload ?? {});
  if (!parsed.success) {
    return errorResult(CONTRACT_ERRORS.invalidRequest, `${method}: ${describeIssues(parsed.error.issues)}`);
  }
  try {
    const run = handlers[method] as (req: unknown) => Promise<unknown> | unknown;
    const value = await run(parsed.data);
    return { ok: true, value };
  } catch (e) {
    return errorFromThrown(e);
  }
}

/** A thrown error as an error Result: domain/storage errors keep their code, anything else is internal. */
export function errorFromThrown(e: unknown): { ok: false; error: { code: string; message: string } } {
  if (e instanceof Error) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string' && (e.name === 'DomainError' || e.name === 'StorageError' || e.name === 'AppError')) {
      return errorResult(code, e.message);
    }
    return errorResult(CONTRACT_ERRORS.internal, e.message);
  }
  return errorResult(CONTRACT_ERRORS.internal, String(e));
}

/** Wraps handlers + an event source into an SdrApi (in-process use: tests, CLI, Electron main). */
export function bindHandlers(
  handlers: SdrHandlers,
  subscribe: <T extends TopicName>(topic: T, listener: (event: EventOf<T>) => void) => Disposer,
): SdrApi {
  const api: Partial<Record<MethodName, (req: unknown) => Promise<Result<unknown>>>> = {};
  for (const m of Object.keys(API_METHODS) as MethodName[]) {
    api[m] = (req: unknown) => dispatch(handlers, m, req);
  }
  return { ...(api as unknown as SdrMethods), subscribe };
}
