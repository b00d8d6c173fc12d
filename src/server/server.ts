import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  CONTRACT_ERRORS,
  HTTP_API_PREFIX,
  MAX_CLIENT_MESSAGE_BYTES,
  WS_PATH,
  clientMessageSchema,
  describeIssues,
  dispatch,
  type Disposer,
  type EventOf,
  type HostMessage,
  type ResponseOf,
  type SdrHandlers,
  type TopicName,
} from '../contracts';
import { LossyQueue } from '../app/lossy-queue';
import { printReportPdf, REPORT_CONTENT_SECURITY_POLICY } from '../app/report';
import { defaultChromiumPath } from '../app/report/pdf';

/** What the server needs from the app service (src/app createSdrApp gives all of it). */
export interface ServedApp {
  readonly handlers: SdrHandlers;
  subscribe<T extends TopicName>(topic: T, listener: (event: EventOf<T>) => void): Disposer;
  reportDroppedFrames?(count: number): void;
}

export interface SdrServerOptions {
  readonly app: ServedApp;
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  readonly port?: number;
  /** Folder of the built renderer (Vite output); null serves the API only. */
  readonly staticDir?: string | null;
  /** Bytes a WebSocket may have queued before live trace frames are dropped (oldest first). */
  readonly traceBackpressureBytes?: number;
  /** Chromium that prints GET /report/<id>.pdf; default $SDRLOG_CHROMIUM, else /usr/bin/chromium. */
  readonly chromiumPath?: string;
}

export interface SdrServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Open WebSocket connections. */
  readonly connections: number;
  close(): Promise<void>;
}

/** The only interface the browser host listens on: never 0.0.0.0 (patient data stays on this machine). */
export const LOOPBACK = '127.0.0.1';

/** Case reports: `GET /report/<caseId>` (HTML) and `GET /report/<caseId>.pdf` (A4 PDF). */
export const REPORT_PATH_PREFIX = '/report/';
const REPORT_ROUTE = /^\/report\/([A-Za-z0-9-]{1,100})(\.pdf)?$/;

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wav': 'audio/wav',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Strict CSP: scripts, styles and connections only from this origin (the WebSocket on the same
 * host:port), no inline script, no framing, no plugins.
 */
export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "media-src 'self' blob:",
    `connect-src 'self' ws://${LOOPBACK}:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': contentSecurityPolicy(port),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/** Host header values this server answers to (defeats DNS rebinding: evil.example -> 127.0.0.1). */
function allowedHosts(port: number): Set<string> {
  return new Set([`${LOOPBACK}:${port}`, `localhost:${port}`]);
}
function allowedOrigins(port: number): Set<string> {
  return new Set([`http://${LOOPBACK}:${port}`, `http://localhost:${port}`]);
}

/**
 * Starts the browser host: the built renderer and the contract over HTTP (`POST /api/<method>`) and a
 * WebSocket (`/ws`: requests, responses, event subscriptions), on 127.0.0.1 only. Every message is
 * validated (envelope, then the method's request schema) before the app sees it; other origins and
 * foreign Host headers are refused.
 */
export async function startSdrServer(options: SdrServerOptions): Promise<SdrServer> {
  const { app } = options;
  const staticRoot = options.staticDir ? path.resolve(options.staticDir) : null;
  const backpressure = options.traceBackpressureBytes ?? 1 << 20;
  let port = 0;
  const sockets = new Set<WebSocket>();

  const server = http.createServer((req, res) => {
    void handleHttp(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: { code: CONTRACT_ERRORS.internal, message: (e as Error).message } });
      else res.destroy();
    });
  });

  function hostOk(req: http.IncomingMessage): boolean {
    return typeof req.headers.host === 'string' && allowedHosts(port).has(req.headers.host.toLowerCase());
  }
  /** A browser always sends Origin on cross-site requests and WebSocket upgrades; a local tool may not. */
  function originOk(req: http.IncomingMessage): boolean {
    const origin = req.headers.origin;
    return origin === undefined || allowedOrigins(port).has(origin.toLowerCase());
  }

  function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { ...securityHeaders(port), 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  function sendText(res: http.ServerResponse, status: number, text: string): void {
    res.writeHead(status, { ...securityHeaders(port), 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  async function readBody(req: http.IncomingMessage): Promise<string | null> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_CLIENT_MESSAGE_BYTES) return null;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!hostOk(req)) return sendText(res, 421, 'unknown host');
    const url = new URL(req.url ?? '/', `http://${LOOPBACK}:${port}`);
    if (url.pathname.startsWith(HTTP_API_PREFIX)) {
      if (!originOk(req)) return sendJson(res, 403, { ok: false, error: { code: 'forbidden-origin', message: 'requests from other origins are refused' } });
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return sendJson(res, 405, { ok: false, error: { code: 'method-not-allowed', message: 'use POST with a JSON body' } });
      }
      // JSON only: a cross-site form cannot send this content type without a CORS preflight, which we never grant
      if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
        return sendJson(res, 415, { ok: false, error: { code: CONTRACT_ERRORS.invalidRequest, message: 'Content-Type must be application/json' } });
      }
      const body = await readBody(req);
      if (body === null) return sendJson(res, 413, { ok: false, error: { code: CONTRACT_ERRORS.invalidRequest, message: `request larger than ${MAX_CLIENT_MESSAGE_BYTES} bytes` } });
      let payload: unknown;
      try {
        payload = body.trim() === '' ? {} : JSON.parse(body);
      } catch {
        return sendJson(res, 400, { ok: false, error: { code: CONTRACT_ERRORS.invalidRequest, message: 'body is not valid JSON' } });
      }
      const method = decodeURIComponent(url.pathname.slice(HTTP_API_PREFIX.length));
      const result = await dispatch(app.handlers, method, payload);
      const status = result.ok ? 200 : result.error.code === CONTRACT_ERRORS.unknownMethod ? 404 : result.error.code === CONTRACT_ERRORS.invalidRequest ? 400 : 422;
      return sendJson(res, status, result);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed');
    if (url.pathname.startsWith(REPORT_PATH_PREFIX)) {
      if (!originOk(req)) return sendText(res, 403, 'requests from other origins are refused');
      const m = REPORT_ROUTE.exec(url.pathname);
      if (!m) return sendText(res, 400, 'a report address is /report/<case id> or /report/<case id>.pdf (case id: letters, digits and dashes)');
      return serveReport(m[1]!, m[2] === '.pdf', req, res);
    }
    return serveStatic(url.pathname, req, res);
  }

  /** PDFs are printed one at a time (each print starts a headless Chromium). */
  let printQueue: Promise<unknown> = Promise.resolve();

  async function serveReport(caseId: string, pdf: boolean, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const result = await dispatch(app.handlers, 'getCaseReport', { caseId });
    if (!result.ok) {
      const { code, message } = result.error;
      const status = code === 'unknown-case' || code === 'ambiguous-case' ? 404 : code === CONTRACT_ERRORS.invalidRequest ? 400 : code === 'training-active' ? 409 : 500;
      return sendText(res, status, `case report: ${message}`);
    }
    const report = result.value as ResponseOf<'getCaseReport'>;
    if (!pdf) {
      const body = Buffer.from(report.html, 'utf8');
      res.writeHead(200, {
        ...securityHeaders(port),
        // the report's own policy (nothing loads or runs; its stylesheet by hash), and never framed
        'Content-Security-Policy': `${REPORT_CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Disposition': `inline; filename="${report.fileBaseName}.html"`,
        'Content-Length': body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const executablePath = options.chromiumPath ?? defaultChromiumPath();
    if (!fs.existsSync(executablePath)) {
      return sendText(res, 503, `PDF reports need Chromium, not found at ${executablePath}: install it (Debian: apt-get install chromium) or set SDRLOG_CHROMIUM. The HTML report is at ${REPORT_PATH_PREFIX}${caseId}.`);
    }
    const printing = printQueue.then(() => printReportPdf(report.html, { executablePath, footerTemplate: report.footerTemplate }));
    printQueue = printing.catch(() => undefined);
    let data: Uint8Array;
    try {
      data = await printing;
    } catch (e) {
      return sendText(res, 500, `printing the PDF report failed: ${(e as Error).message}`);
    }
    // a PDF, not a page: shown by the browser's PDF viewer, so the pages' CSP is left off
    const { 'Content-Security-Policy': _csp, ...headers } = securityHeaders(port);
    res.writeHead(200, {
      ...headers,
      'Content-Type': 'application/pdf',
      'Content-Disposition': `inline; filename="${report.fileBaseName}.pdf"`,
      'Content-Length': data.length,
    });
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  function serveStatic(pathname: string, req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!staticRoot || !fs.existsSync(path.join(staticRoot, 'index.html'))) {
      return sendText(res, 503, 'the user interface is not built: run `npm run build:renderer` (npm run web does it for you)');
    }
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return sendText(res, 400, 'bad path');
    }
    const file = path.resolve(staticRoot, `.${path.posix.normalize(rel)}`);
    if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) return sendText(res, 403, 'forbidden');
    let target = file;
    if (!fs.existsSync(target) || fs.statSync(target).isDirectory()) {
      // single-page app: unknown routes get index.html, but missing assets stay 404
      if (path.extname(rel) !== '' && !rel.endsWith('/')) return sendText(res, 404, 'not found');
      target = path.join(staticRoot, 'index.html');
    }
    const data = fs.readFileSync(target);
    res.writeHead(200, {
      ...securityHeaders(port),
      'Content-Type': MIME[path.extname(target).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': data.length,
    });
    res.end(req.method === 'HEAD' ? undefined : data);
  }

  // ---------- WebSocket ----------
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: number, why: string) => {
      socket.write(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    const pathname = new URL(req.url ?? '/', `http://${LOOPBACK}`).pathname;
    if (pathname !== WS_PATH) return refuse(404, 'Not Found');
    if (!hostOk(req)) return refuse(421, 'Misdirected Request');
    if (!originOk(req)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  });

  function onConnection(ws: WebSocket): void {
    sockets.add(ws);
    const subscriptions = new Map<TopicName, Disposer>();
    const traceQueue = new LossyQueue<EventOf<'trace'>>(4);
    let droppedFrames = 0;
    let reportedDrops = 0;
    const send = (msg: HostMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    // live trace is lossy: while the socket is backed up, frames wait in a small queue that drops the oldest
    const pumpTrace = () => {
      while (traceQueue.length > 0 && ws.bufferedAmount < backpressure) {
        const frame = traceQueue.shift()!;
        send({ type: 'event', topic: 'trace', payload: { ...frame, droppedFrames } });
      }
      const newDrops = traceQueue.dropped - reportedDrops;
      if (newDrops > 0) {
        droppedFrames += newDrops;
        reportedDrops = traceQueue.dropped;
        app.reportDroppedFrames?.(newDrops);
      }
    };
    const pumpTimer = setInterval(pumpTrace, 50);
    pumpTimer.unref?.();

    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(1003, 'text JSON messages only');
      let json: unknown;
      try {
        json = JSON.parse(data.toString());
      } catch {
        return ws.close(1007, 'invalid JSON');
      }
      const parsed = clientMessageSchema.safeParse(json);
      if (!parsed.success) {
        const id = (json as { id?: unknown } | null)?.id;
        if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) {
          return send({ type: 'response', id, result: { ok: false, error: { code: CONTRACT_ERRORS.invalidRequest, message: `message: ${describeIssues(parsed.error.issues)}` } } });
        }
        return ws.close(1008, 'invalid message');
      }
      const msg = parsed.data;
      if (msg.type === 'request') {
        void dispatch(app.handlers, msg.method, msg.payload).then((result) => send({ type: 'response', id: msg.id, result }));
      } else if (msg.type === 'subscribe') {
        if (subscriptions.has(msg.topic)) return;
        const topic = msg.topic;
        subscriptions.set(topic, app.subscribe(topic, (payload) => {
          if (topic === 'trace') {
            traceQueue.push(payload as EventOf<'trace'>);
            pumpTrace();
          } else {
            send({ type: 'event', topic, payload });
          }
        }));
      } else {
        subscriptions.get(msg.topic)?.();
        subscriptions.delete(msg.topic);
      }
    });
    ws.on('close', () => {
      clearInterval(pumpTimer);
      for (const dispose of subscriptions.values()) dispose();
      subscriptions.clear();
      sockets.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    get connections() {
      return sockets.size;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
