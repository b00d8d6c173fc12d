import { createWsClient, WS_PATH, type SdrApi } from '../src/contracts';

/**
 * The one place that picks how the renderer reaches sdrlog. Under Electron the preload bridge exposes
 * an SdrApi as `window.sdr`; in a browser (the browser host, end-to-end tests) a WebSocket client talks
 * to the host that served this page. Everything else in the renderer sees only `SdrApi`.
 */
declare global {
  interface Window {
    sdr?: SdrApi;
  }
}

export interface ApiConnection {
  readonly api: SdrApi;
  /** 'bridge' under Electron, 'websocket' in a browser. */
  readonly kind: 'bridge' | 'websocket';
  /** Subscribes to link up/down (always up for the bridge). */
  onLink(listener: (up: boolean) => void): () => void;
}

/** True under Electron (the preload bridge): there the renderer may not open windows or links. */
export function hasDesktopBridge(): boolean {
  return window.sdr !== undefined;
}

export function connectApi(): ApiConnection {
  if (window.sdr) {
    const api = window.sdr;
    return { api, kind: 'bridge', onLink: (l) => { l(true); return () => undefined; } };
  }
  const linkListeners = new Set<(up: boolean) => void>();
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const client = createWsClient(`${proto}//${window.location.host}${WS_PATH}`, {
    onConnectionChange: (up) => { for (const l of linkListeners) l(up); },
  });
  return {
    api: client,
    kind: 'websocket',
    onLink: (l) => {
      linkListeners.add(l);
      l(client.connected);
      return () => linkListeners.delete(l);
    },
  };
}
