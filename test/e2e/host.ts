import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { createSdrApp } from '../../src/app/sdr-app';
import { clientMessageSchema, dispatch, type TopicName } from '../../src/contracts';
import { ProtocolDevice } from '../../hardware/protocol-device';
import { SimulatedTransport } from '../../hardware/simulated';
import { RENDERER_DIST } from './harness';

export interface RunningHost {
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

/** Interim host for UI tests until src/server lands: static renderer + the contract over WebSocket. */
export async function startHost(dbPath: string): Promise<RunningHost> {
  const app = await createSdrApp({
    dbPath,
    createDevice: (req) => {
      if (req.source !== 'simulator') throw new Error('serial not available in the interim host');
      return new ProtocolDevice(new SimulatedTransport({ seed: req.seed ?? 11 }));
    },
  });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const rel = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const file = path.join(RENDERER_DIST, path.normalize(rel));
    if (!file.startsWith(RENDERER_DIST)) { res.writeHead(403).end(); return; }
    readFile(file).then((body) => {
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(body);
    }, () => res.writeHead(404).end());
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws) => {
    const subs = new Map<TopicName, () => void>();
    ws.on('message', async (data) => {
      const parsed = clientMessageSchema.safeParse(JSON.parse(String(data)));
      if (!parsed.success) return;
      const m = parsed.data;
      if (m.type === 'request') {
        const result = await dispatch(app.handlers, m.method, m.payload);
        ws.send(JSON.stringify({ type: 'response', id: m.id, result }));
      } else if (m.type === 'subscribe' && !subs.has(m.topic)) {
        subs.set(m.topic, app.subscribe(m.topic, (payload) => ws.send(JSON.stringify({ type: 'event', topic: m.topic, payload }))));
      } else if (m.type === 'unsubscribe') {
        subs.get(m.topic)?.();
        subs.delete(m.topic);
      }
    });
    ws.on('close', () => { for (const d of subs.values()) d(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}
