/**
 * The Electron security baseline, as pure data and predicates so tests can check them without a
 * running Electron: context isolation, sandbox, no Node in the renderer, strict CSP, navigation and
 * new windows denied, permission requests denied.
 */

/** The renderer is served from this custom scheme, never from file:// or http://. */
export const APP_SCHEME = 'sdrlog';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Content-Security-Policy for every response the renderer receives. No inline or eval'd script; no
 * remote content; styles from our own files; the renderer talks to the app only through the preload.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Web preferences every window of ours starts from: isolated, sandboxed, no Node, no extras. */
export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  spellcheck: false,
} as const;

export type SecureWebPreferences = typeof SECURE_WEB_PREFERENCES & { readonly preload: string };

export function secureWebPreferences(preloadPath: string): SecureWebPreferences {
  return { preload: preloadPath, ...SECURE_WEB_PREFERENCES };
}

/** True only for our own app pages; everything else is refused (navigation, IPC senders). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
}

/** Navigation is allowed only within the app itself (e.g. a reload); links to anywhere else are denied. */
export function isNavigationAllowed(url: string): boolean {
  return isAppUrl(url);
}
