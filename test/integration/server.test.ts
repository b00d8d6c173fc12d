import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import WebSocket from 'ws';
import { createSdrApp, type SdrApp } from '../../src/app/sdr-app';
import { defaultDeviceFactory } from '../../src/app/devices';
import { startSdrServer, type SdrServer } from '../../src/server/server';
import { createWsClient, type EventOf, type WebSocketLike, type WsSdrClient } from '../../src/contracts';
import { openCaseStore } from '../../src/storage';
import { createVirtualPatient, patientTruth } from '../../hardware/simulated';
import type { Result } from '../../src/domain';

const SEED = 5;
let dir: string;
let dbPath: string;
let app: SdrApp;
let server: SdrServer;
let client: WsSdrClient;

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function request(opts: http.RequestOptions & { body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, ...opts }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function upgradeStatus(headers: Record<string, string>, pathName = '/ws'): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}${pathName}`, { headers });
    ws.on('open', () => { ws.close(); resolve(101); });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdrserver-'));
  dbPath = path.join(dir, 'cases.db');
  const staticDir = path.join(dir, 'renderer');
  fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>sdrlog</title><script type="module" src="/assets/app.js"></script>');
  fs.writeFileSync(path.join(staticDir, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'outside');
  app = await createSdrApp({ dbPath, createDevice: defaultDeviceFactory({ simulatorSpeed: 3, defaultSeed: SEED }), stimulationTimeoutMs: 20_000 });
  server = await startSdrServer({ app, port: 0, staticDir });
  client = createWsClient(`ws://127.0.0.1:${server.port}/ws`, { createSocket: (u) => new WebSocket(u) as unknown as WebSocketLike });
});

afterAll(async () => {
  client?.close();
  await server?.close();
  await app?.close();
});

describe('browser host', () => {
  it('listens on 127.0.0.1 only and serves the renderer with a strict CSP', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const page = await request({ path: '/', method: 'GET' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>sdrlog</title>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect((await request({ path: '/assets/app.js' })).headers['content-type']).toMatch(/javascript/);
    expect((await request({ path: '/rootlet-map' })).body).toContain('<title>sdrlog</title>'); // SPA route
    expect((await request({ path: '/assets/missing.js' })).status).toBe(404);
    expect((await request({ path: '/../secret.txt' })).body).not.toContain('outside');
    const encoded = await request({ path: '/%2e%2e/secret.txt' });
    expect([403, 404]).toContain(encoded.status);
    expect(encoded.body).not.toContain('outside');
    expect((await request({ path: '/', headers: { host: 'evil.example:80' } })).status).toBe(421);
  });

  it('serves the contract over HTTP POST, refusing other origins and bad payloads', async () => {
    const json = { 'content-type': 'application/json' };
    const ok = await request({ path: '/api/listCases', method: 'POST', headers: json, body: '{}' });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ok: true, value: { cases: [] } });
    const evil = await request({ path: '/api/listCases', method: 'POST', headers: { ...json, origin: 'http://evil.example' }, body: '{}' });
    expect(evil.status).toBe(403);
    const form = await request({ path: '/api/createCase', method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"patientId":"P1","ageYears":5}' });
    expect(form.status).toBe(415);
    const bad = await request({ path: '/api/createCase', method: 'POST', headers: json, body: '{"patientId":"P1","ageYears":"five"}' });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('invalid-request');
    expect((await request({ path: '/api/nope', method: 'POST', headers: json, body: '{}' })).status).toBe(404);
  });

  it('checks Origin and Host on the WebSocket upgrade', async () => {
    expect(await upgradeStatus({ origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus({ origin: `http://127.0.0.1:${server.port}`, host: 'evil.example' })).toBe(421);
    expect(await upgradeStatus({ origin: `http://localhost:${server.port}` })).toBe(101);
    expect(await upgradeStatus({}, '/other')).toBe(404);
  });

  it('answers invalid WebSocket messages with an error, not a crash', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`);
    await new Promise((r) => ws.once('open', r));
    const answer = new Promise<unknown>((r) => ws.once('message', (d) => r(JSON.parse(d.toString()))));
    ws.send(JSON.stringify({ type: 'request', id: 9, method: 'getCase', payload: { caseId: 12 } }));
    expect(await answer).toMatchObject({ type: 'response', id: 9, result: { ok: false, error: { code: 'invalid-request' } } });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('not json');
    expect(await closed).toBe(1007);
  });

  it('runs a case end to end over the WebSocket: simulator, train, grade event, durable decision', async () => {
    const truth = patientTruth(createVirtualPatient({ seed: SEED }));
    const rootlet = truth.rootlet('L5', 'R', 1);
    const c = value(await client.createCase({ patientId: 'WS-001', ageYears: 6, cutPlan: { L5: { R: 50 } } }));
    value(await client.openCase({ caseId: c.id }));
    const grades: EventOf<'grade'>[] = [];
    const statuses: EventOf<'deviceStatus'>[] = [];
    const maps: EventOf<'map'>[] = [];
    client.subscribe('grade', (g) => grades.push(g));
    client.subscribe('deviceStatus', (s) => statuses.push(s));
    client.subscribe('map', (m) => maps.push(m));
    const traces: EventOf<'trace'>[] = [];
    const offTrace = client.subscribe('trace', (t) => traces.push(t));

    const status = value(await client.connectDevice({ source: 'simulator', seed: SEED }));
    expect(status).toMatchObject({ source: 'simulator', connection: 'open', info: { channelCount: 16, sampleRateHz: 10_000, canStimulate: true }, recording: { caseId: c.id } });

    const intensityMa = Math.round(rootlet.thresholdMa * 1.5 * 100) / 100;
    value(await client.setStimulation({ settings: { intensityMa, pulseWidthUs: 200 }, target: { level: 'L5', side: 'R', kind: 'dorsal', rootlet: 1 } }));
    const train = value(await client.runTrain({}));
    // the grade event arrives on the subscription as well as in the response
    for (let i = 0; i < 100 && grades.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(grades.map((g) => g.stimulationId)).toEqual([train.stimulationId]);
    expect(train.grade.grade).toBe(rootlet.grade);
    expect(train.stimulation).toMatchObject({ mode: 'train', intensityMa, rateHz: 50, durationS: 1, pulseWidthUs: 200 });
    expect(train.latencyMs).toBeGreaterThanOrEqual(0);
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.channels).toHaveLength(16);
    offTrace();

    const saved = value(await client.recordDecision({ caseId: c.id, level: 'L5', side: 'R', rootlet: 1, kind: 'cut', decidedBy: 'Dr Web', reason: `grade ${train.grade.grade}` }));
    expect(saved.saved).toBe(true);
    for (let i = 0; i < 50 && !maps.some((m) => m.map.totals.decided === 1); i++) await new Promise((r) => setTimeout(r, 20));
    expect(maps.at(-1)!.map.roots.find((r) => r.level === 'L5' && r.side === 'R')).toMatchObject({ decided: 1, cutPct: 100, planPct: 50 });
    expect(statuses.some((s) => s.gradeLatency.count === 1)).toBe(true);

    // in the database, through an independent connection
    const store = openCaseStore(dbPath);
    try {
      const current = store.decisions.currentForCase(c.id);
      expect(current.map((d) => [d.level, d.side, d.rootletIndex, d.decision.kind, d.decision.decidedBy])).toEqual([['L5', 'R', 1, 'cut', 'Dr Web']]);
      expect(store.grades.latestForStimulation(train.stimulationId)?.grade).toBe(train.grade.grade);
      expect(store.audit.verifyChain().firstBreak).toBeNull();
    } finally {
      store.close();
    }
    const disc = value(await client.disconnectDevice({}));
    expect(disc).toMatchObject({ connection: 'closed', recording: null });
  });
});
