import { API_METHODS, CONTRACT_ERRORS, TOPIC_NAMES, type MethodName, type TopicName } from '../src/contracts';
import type { Result } from '../src/domain';
import { isAppUrl } from './security';

/**
 * IPC channel names. One channel per contract method (the preload exposes one function per method,
 * never a generic `send`), one per event topic.
 */
export const METHOD_NAMES = Object.keys(API_METHODS) as MethodName[];
export const invokeChannel = (method: MethodName): string => `sdr:invoke:${method}`;
export const eventChannel = (topic: TopicName): string => `sdr:event:${topic}`;
export const subscribeChannel = 'sdr:subscribe';
export { TOPIC_NAMES };

/** The part of an IpcMainInvokeEvent the router looks at. */
export interface InvokeEventLike {
  readonly senderFrame: { readonly url: string } | null;
}

/** The part of ipcMain the router needs (so tests pass a fake). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, payload: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export type Dispatcher = (method: MethodName, payload: unknown) => Promise<Result<unknown>>;

/**
 * Registers one handler per contract method. Each call is refused unless it comes from our own app
 * page (sender frame URL on the app scheme); the payload is validated by the dispatcher against the
 * contract's zod schema. Returns a disposer removing every handler.
 */
export function registerIpcHandlers(ipc: IpcMainLike, dispatch: Dispatcher): () => void {
  for (const method of METHOD_NAMES) {
    ipc.handle(invokeChannel(method), async (event, payload) => {
      const url = event.senderFrame?.url ?? '';
      if (!isAppUrl(url)) {
        return { ok: false, error: { code: 'forbidden-sender', message: `IPC call '${method}' refused from '${url || 'unknown frame'}'` } };
      }
      try {
        return await dispatch(method, payload);
      } catch (e) {
        return { ok: false, error: { code: CONTRACT_ERRORS.internal, message: e instanceof Error ? e.message : String(e) } };
      }
    });
  }
  return () => {
    for (const method of METHOD_NAMES) ipc.removeHandler(invokeChannel(method));
  };
}
