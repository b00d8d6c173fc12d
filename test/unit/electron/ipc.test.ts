import { describe, expect, it, vi } from 'vitest';
import { API_METHODS, dispatch, type SdrHandlers } from '../../../src/contracts';
import { invokeChannel, METHOD_NAMES, registerIpcHandlers, type IpcMainLike, type InvokeEventLike } from '../../../electron/ipc';

type Listener = (event: InvokeEventLike, payload: unknown) => Promise<unknown>;

function fakeIpc(): IpcMainLike & { handlers: Map<string, Listener> } {
  const handlers = new Map<string, Listener>();
  return {
    handlers,
    handle: (channel, listener) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, listener);
    },
    removeHandler: (channel) => handlers.delete(channel),
  };
}

const appFrame: InvokeEventLike = { senderFrame: { url: 'sdrlog://app/index.html' } };

describe('IPC router', () => {
  it('registers exactly one channel per contract method and removes them on dispose', () => {
    const ipc = fakeIpc();
    const dispose = registerIpcHandlers(ipc, async () => ({ ok: true, value: null }));
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.keys(API_METHODS).map((m) => `sdr:invoke:${m}`).sort());
    dispose();
    expect(ipc.handlers.size).toBe(0);
  });

  it('refuses calls from frames that are not the app, without reaching the app', async () => {
    const ipc = fakeIpc();
    const dispatchSpy = vi.fn(async () => ({ ok: true as const, value: 1 }));
    registerIpcHandlers(ipc, dispatchSpy);
    const call = ipc.handlers.get(invokeChannel(METHOD_NAMES[0]!))!;
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'sdrlog://other/index.html', '']) {
      const res = await call({ senderFrame: url ? { url } : null }, {});
      expect(res).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    }
    expect(dispatchSpy).not.toHaveBeenCalled();
  });

  it('validates payloads against the contract before any handler runs', async () => {
    const ipc = fakeIpc();
    const createCase = vi.fn(() => { throw new Error('must not be called'); });
    const handlers = new Proxy({} as SdrHandlers, { get: (_t, name) => (name === 'createCase' ? createCase : vi.fn()) });
    registerIpcHandlers(ipc, (method, payload) => dispatch(handlers, method, payload));
    const call = ipc.handlers.get(invokeChannel('createCase' as never));
    expect(call).toBeDefined();
    const res = await call!(appFrame, { patientId: '', ageYears: -3, extra: 'x' });
    expect(res).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(String((res as { error: { message: string } }).error.message)).toMatch(/createCase/);
    expect(createCase).not.toHaveBeenCalled();
  });

  it('turns a handler crash into an error result instead of a rejected promise', async () => {
    const ipc = fakeIpc();
    registerIpcHandlers(ipc, async () => { throw new Error('boom'); });
    const res = await ipc.handlers.get(invokeChannel(METHOD_NAMES[0]!))!(appFrame, {});
    expect(res).toEqual({ ok: false, error: { code: 'internal-error', message: 'boom' } });
  });
});
