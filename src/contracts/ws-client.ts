import type { Result } from '../domain';
import { API_METHODS, type MethodName } from './api';
import { hostMessageSchema, type ClientMessage } from './envelope';
import { EVENT_TOPICS, type EventOf, type TopicName } from './events';
import { CONTRACT_ERRORS, describeIssues, type Disposer, type SdrApi, type SdrMethods } from './sdr-api';

/** The part of the browser WebSocket the client needs (the `ws` package's class fits too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface WsClientOptions {
  /** Defaults to the global WebSocket (browser). */
  readonly createSocket?: WebSocketFactory;
  /** Per-request timeout; stimulation sequences (threshold ramps) get `longTimeoutMs`. */
  readonly timeoutMs?: number;
  readonly longTimeoutMs?: number;
  /** Delay before reconnecting after the link drops; 0 disables reconnection. */
  readonly reconnectDelayMs?: number;
  /** Called when the link goes up or down, for a connection indicator. */
  readonly onConnectionChange?: (connected: boolean) => void;
}

export interface WsSdrClient extends SdrApi {
  /** Closes the socket; pending requests fail with 'disconnected'. */
  close(): void;
  readonly connected: boolean;
}

const OPEN = 1;
const LONG_METHODS: ReadonlySet<MethodName> = new Set(['runThresholdRamp', 'runTrain', 'repeatLast', 'triggerPulse', 'connectDevice']);

interface Pending {
  readonly method: MethodName;
  readonly resolve: (r: Result<unknown>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * SdrApi over a WebSocket to the browser host. Requests are queued until the socket is open, matched to
 * responses by id, and every response and event is validated against the contract before it reaches the
 * UI. Subscriptions survive reconnection (they are re-sent on open).
 */
export function createWsClient(url: string, options: WsClientOptions = {}): WsSdrClient {
  const createSocket: WebSocketFactory = options.createSocket ?? ((u) => new WebSocket(u) as unknown as WebSocketLike);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const longTimeoutMs = options.longTimeoutMs ?? 300_000;
  const reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  const pending = new Map<number, Pending>();
  const outbox: string[] = [];
  const listeners = new Map<TopicName, Set<(e: unknown) => void>>();
  let nextId = 1;
  let socket: WebSocketLike | null = null;
  let connected = false;
  let closed = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;

  function send(msg: ClientMessage): void {
    const text = JSON.stringify(msg);
    if (socket && connected && socket.readyState === OPEN) socket.send(text);
    else {
      outbox.push(text);
      ensureSocket();
    }
  }

  function failAll(message: string): void {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: { code: CONTRACT_ERRORS.disconnected, message } });
      pending.delete(id);
    }
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const msg = hostMessageSchema.safeParse(json);
    if (!msg.success) return;
    if (msg.data.type === 'response') {
      const p = pending.get(msg.data.id);
      if (!p) return;
      pending.delete(msg.data.id);
      clearTimeout(p.timer);
      const result = msg.data.result;
      if (!result.ok) {
        p.resolve(result);
        return;
      }
      const value = API_METHODS[p.method].response.safeParse(result.value);
      p.resolve(value.success
        ? { ok: true, value: value.data }
        : { ok: false, error: { code: CONTRACT_ERRORS.invalidResponse, message: `${p.method}: ${describeIssues(value.error.issues)}` } });
      return;
    }
    const set = listeners.get(msg.data.topic);
    if (!set || set.size === 0) return;
    const payload = EVENT_TOPICS[msg.data.topic].safeParse(msg.data.payload);
    if (!payload.success) return;
    for (const l of [...set]) l(payload.data);
  }

  function ensureSocket(): void {
    if (socket || closed) return;
    const s = createSocket(url);
    socket = s;
    s.onopen = () => {
      connected = true;
      for (const topic of listeners.keys()) s.send(JSON.stringify({ type: 'subscribe', topic } satisfies ClientMessage));
      for (const text of outbox.splice(0)) s.send(text);
      options.onConnectionChange?.(true);
    };
    s.onmessage = (ev) => onMessage(ev.data);
    s.onerror = () => { /* onclose follows and handles it */ };
    s.onclose = () => {
      const was = connected;
      connected = false;
      socket = null;
      failAll('connection to sdrlog lost');
      outbox.length = 0;
      if (was) options.onConnectionChange?.(false);
      if (!closed && reconnectDelayMs > 0 && listeners.size > 0) {
        reconnectTimer = setTimeout(() => { reconnectTimer = null; ensureSocket(); }, reconnectDelayMs);
      }
    };
  }

  function call(method: MethodName, payload: unknown): Promise<Result<unknown>> {
    if (closed) return Promise.resolve({ ok: false, error: { code: CONTRACT_ERRORS.disconnected, message: 'client closed' } });
    return new Promise((resolve) => {
      const id = nextId++;
      const ms = LONG_METHODS.has(method) ? longTimeoutMs : timeoutMs;
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve({ ok: false, error: { code: CONTRACT_ERRORS.timeout, message: `${method}: no answer within ${ms} ms` } });
      }, ms);
      pending.set(id, { method, resolve, timer });
      send({ type: 'request', id, method, payload: payload ?? {} });
    });
  }

  const methods: Partial<Record<MethodName, (req: unknown) => Promise<Result<unknown>>>> = {};
  for (const m of Object.keys(API_METHODS) as MethodName[]) methods[m] = (req: unknown) => call(m, req);

  function subscribe<T extends TopicName>(topic: T, listener: (event: EventOf<T>) => void): Disposer {
    let set = listeners.get(topic);
    if (!set) {
      set = new Set();
      listeners.set(topic, set);
      // when not yet open, onopen subscribes every topic with listeners
      if (socket && connected) socket.send(JSON.stringify({ type: 'subscribe', topic } satisfies ClientMessage));
      else ensureSocket();
    }
    const l = listener as (e: unknown) => void;
    set.add(l);
    return () => {
      const s = listeners.get(topic);
      if (!s || !s.delete(l)) return;
      if (s.size === 0) {
        listeners.delete(topic);
        if (socket && connected) socket.send(JSON.stringify({ type: 'unsubscribe', topic } satisfies ClientMessage));
      }
    };
  }

  return {
    ...(methods as unknown as SdrMethods),
    subscribe,
    get connected() { return connected; },
    close() {
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      failAll('client closed');
      listeners.clear();
      socket?.close(1000, 'client closed');
      socket = null;
    },
  };
}
