/**
 * Electron main process: the composition root of the desktop app. Creates the application service
 * (src/app) on the simulated device by default, serves the renderer from the `sdrlog://app` scheme with
 * a strict CSP, routes IPC calls to the contract dispatcher, and applies the security baseline.
 */
import { app, BrowserWindow, ipcMain, net, protocol, session, type WebContents } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dispatch, TOPIC_NAMES } from '../src/contracts';
import { createSdrApp, type SdrApp } from '../src/app/sdr-app';
import { defaultDeviceFactory, listPortsForUi } from '../src/app/devices';
import { eventChannel, registerIpcHandlers } from './ipc';
import { withReportExport } from './report-export';
import {
  APP_ENTRY_URL, APP_HOST, APP_SCHEME, CONTENT_SECURITY_POLICY, isAppUrl, isNavigationAllowed, secureWebPreferences,
} from './security';

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

const distDir = path.join(__dirname, '..');
const rendererDir = path.join(distDir, 'renderer');

/** Serves dist/renderer over sdrlog://app/, refusing paths that escape it, with the CSP on every response. */
function serveRenderer(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.normalize(path.join(rendererDir, rel));
    if (url.host !== APP_HOST || !file.startsWith(rendererDir + path.sep)) {
      return new Response('not found', { status: 404 });
    }
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });
}

/** Navigation, new windows, webviews and permission requests are all denied. */
export function hardenWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isNavigationAllowed(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1600,
    height: 1000,
    minWidth: 1280,
    minHeight: 720,
    backgroundColor: '#0f1419',
    title: 'sdrlog',
    show: false,
    webPreferences: secureWebPreferences(path.join(__dirname, 'preload.cjs')),
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_ENTRY_URL);
  return win;
}

async function start(): Promise<void> {
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  serveRenderer();

  const dbPath = process.env.SDRLOG_DB ?? path.join(app.getPath('userData'), 'sdrlog.db');
  const sdrApp: SdrApp = await createSdrApp({ dbPath, createDevice: defaultDeviceFactory(), listSerialPorts: listPortsForUi });
  // exportCaseReport is the desktop host's own: a save dialog and printToPDF in a hidden window
  const handlers = withReportExport(sdrApp.handlers, { defaultDir: () => app.getPath('documents') });
  const disposeIpc = registerIpcHandlers(ipcMain, (method, payload) => dispatch(handlers, method, payload));

  const win = createMainWindow();
  // Event streams go only to our own window, and only while it shows an app page.
  const unsubscribe = TOPIC_NAMES.map((topic) =>
    sdrApp.subscribe(topic, (event) => {
      if (!win.isDestroyed() && isAppUrl(win.webContents.getURL())) win.webContents.send(eventChannel(topic), event);
    }),
  );

  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    unsubscribe.forEach((d) => d());
    disposeIpc();
    void sdrApp.close().finally(() => app.exit(0));
  });
  app.on('window-all-closed', () => app.quit());
}

app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));

if (!process.env.VITEST) {
  start().catch((e: unknown) => {
    console.error('sdrlog failed to start:', e);
    app.exit(1);
  });
}
