import { describe, expect, it, vi } from 'vitest';

const windows: { options: Record<string, unknown>; loadURL: ReturnType<typeof vi.fn> }[] = [];
const appListeners = new Map<string, (...a: unknown[]) => void>();

vi.mock('electron', () => {
  class BrowserWindow {
    webContents = { getURL: () => '', send: vi.fn(), isDestroyed: () => false };
    loadURL = vi.fn(async () => undefined);
    once = vi.fn();
    constructor(public options: Record<string, unknown>) {
      windows.push(this);
    }
    isDestroyed(): boolean {
      return false;
    }
  }
  return {
    app: { on: (ev: string, fn: (...a: unknown[]) => void) => appListeners.set(ev, fn), whenReady: async () => undefined, exit: vi.fn() },
    BrowserWindow,
    ipcMain: { handle: vi.fn(), removeHandler: vi.fn() },
    net: { fetch: vi.fn() },
    protocol: { registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() },
    session: { defaultSession: {} },
  };
});

interface FakeContents {
  windowOpen?: (d: { url: string }) => { action: string };
  listeners: Map<string, (event: { preventDefault: () => void }, url?: string) => void>;
  setWindowOpenHandler(fn: (d: { url: string }) => { action: string }): void;
  on(ev: string, fn: (event: { preventDefault: () => void }, url?: string) => void): void;
}

function fakeContents(): FakeContents {
  const c: FakeContents = {
    listeners: new Map(),
    setWindowOpenHandler(fn) { c.windowOpen = fn; },
    on(ev, fn) { c.listeners.set(ev, fn); },
  };
  return c;
}

describe('Electron main', () => {
  it('creates the window with context isolation, sandbox and no Node, loading the app scheme', async () => {
    const main = await import('../../../electron/main');
    main.createMainWindow();
    const w = windows.at(-1)!;
    const prefs = w.options.webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({
      contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false,
    });
    expect(String(prefs.preload)).toMatch(/preload\.cjs$/);
    expect(w.loadURL).toHaveBeenCalledWith('sdrlog://app/index.html');
  });

  it('hardens every web contents: new windows, foreign navigation and webviews are denied', async () => {
    await import('../../../electron/main');
    const created = appListeners.get('web-contents-created');
    expect(created).toBeDefined();
    const contents = fakeContents();
    created!({}, contents);
    expect(contents.windowOpen!({ url: 'https://example.org' })).toEqual({ action: 'deny' });
    const nav = contents.listeners.get('will-navigate')!;
    const blocked = { preventDefault: vi.fn() };
    nav(blocked, 'https://example.org/phish');
    expect(blocked.preventDefault).toHaveBeenCalled();
    const allowed = { preventDefault: vi.fn() };
    nav(allowed, 'sdrlog://app/index.html');
    expect(allowed.preventDefault).not.toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    contents.listeners.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
  });

  it('the CSP forbids inline and remote script, and any framing', async () => {
    const { CONTENT_SECURITY_POLICY } = await import('../../../electron/security');
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });
});
