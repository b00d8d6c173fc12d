import { beforeEach, describe, expect, it, vi } from 'vitest';

const exposed: Record<string, unknown> = {};
const invoke = vi.fn(async (..._args: unknown[]) => ({ ok: true, value: 'x' }));
const on = vi.fn();
const removeListener = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => { exposed[key] = api; } },
  ipcRenderer: { invoke, on, removeListener },
}));

describe('preload bridge', () => {
  beforeEach(() => vi.clearAllMocks());

  it('exposes window.sdr with one function per contract method plus subscribe, nothing else', async () => {
    await import('../../../electron/preload');
    const { API_METHODS } = await import('../../../src/contracts');
    const api = exposed.sdr as Record<string, unknown>;
    expect(Object.keys(exposed)).toEqual(['sdr']);
    expect(Object.keys(api).sort()).toEqual([...Object.keys(API_METHODS), 'subscribe'].sort());
    for (const v of Object.values(api)) expect(typeof v).toBe('function');
  });

  it('each method invokes its own channel; subscribe returns a working disposer', async () => {
    await import('../../../electron/preload');
    const api = exposed.sdr as Record<string, (...a: unknown[]) => unknown>;
    await api.listCases!({});
    expect(invoke).toHaveBeenCalledWith('sdr:invoke:listCases', {});
    const listener = vi.fn();
    const dispose = api.subscribe!('grade', listener) as () => void;
    expect(on).toHaveBeenCalledWith('sdr:event:grade', expect.any(Function));
    const handler = on.mock.calls[0]![1] as (e: unknown, p: unknown) => void;
    handler({}, { grade: 3 });
    expect(listener).toHaveBeenCalledWith({ grade: 3 });
    dispose();
    expect(removeListener).toHaveBeenCalledWith('sdr:event:grade', handler);
    expect(() => api.subscribe!('not-a-topic', listener)).toThrow(/unknown topic/);
  });
});
