// The browser host's case reports: GET /report/<id> (HTML under the report's own CSP) and
// GET /report/<id>.pdf (printed by Debian's Chromium), with the same Host/Origin rules as the API.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSdrApp, type SdrApp } from '../../src/app/sdr-app';
import { defaultDeviceFactory } from '../../src/app/devices';
import { REPORT_CONTENT_SECURITY_POLICY } from '../../src/app/report';
import { startSdrServer, type SdrServer } from '../../src/server/server';
import { tempDir } from '../unit/storage/helpers';
import { buildFixtureCase } from '../unit/report/fixture';

let tmp: ReturnType<typeof tempDir>;
let app: SdrApp;
let server: SdrServer;
let noChromium: SdrServer;
let caseId: string;

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function get(srv: SdrServer, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: srv.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  tmp = tempDir('sdrlog-server-report-');
  const built = buildFixtureCase(tmp.dir);
  caseId = built.caseId;
  built.store.close();
  app = await createSdrApp({ dbPath: built.dbPath, createDevice: defaultDeviceFactory({ simulatorSpeed: 1, defaultSeed: 3 }) });
  server = await startSdrServer({ app, port: 0, staticDir: null });
  noChromium = await startSdrServer({ app, port: 0, staticDir: null, chromiumPath: '/nonexistent/chromium' });
});

afterAll(async () => {
  await server?.close();
  await noChromium?.close();
  await app?.close();
  tmp?.cleanup();
});

describe('browser host: case reports', () => {
  it('GET /report/<id> serves the self-contained HTML report under the report CSP', async () => {
    const r = await get(server, `/report/${caseId}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(r.headers['content-security-policy']);
    expect(csp.startsWith(REPORT_CONTENT_SECURITY_POLICY)).toBe(true);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-disposition']).toMatch(/^inline; filename="sdr-report-SDR-2024-017-\d{4}-\d\d-\d\d\.html"$/);
    const html = r.body.toString('utf8');
    expect(html).toContain('class="rootlet-map"');
    expect(html).toContain('SDR-2024-017');
    expect(html).not.toContain('<script');
    // a case id prefix works as in the CLI; HEAD has the headers only
    expect((await get(server, `/report/${caseId.slice(0, 8)}`)).status).toBe(200);
    const head = await get(server, `/report/${caseId}`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it('refuses foreign Host and Origin, other methods, and malformed case ids; unknown cases are 404', async () => {
    expect((await get(server, `/report/${caseId}`, { Host: `evil.example:${server.port}` })).status).toBe(421);
    const foreign = await get(server, `/report/${caseId}`, { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.toString()).not.toContain('SDR-2024-017');
    expect((await get(server, `/report/${caseId}`, { Origin: `http://localhost:${server.port}` })).status).toBe(200);
    expect((await get(server, `/report/${caseId}`, {}, 'POST')).status).toBe(405);
    for (const bad of ['/report/', '/report/..%2Fsecret', '/report/a%20b', `/report/${'a'.repeat(101)}`, `/report/${caseId}/x`]) {
      const r = await get(server, bad);
      expect(r.status, bad).toBe(400);
      expect(r.body.toString()).toContain('/report/<case id>');
    }
    const unknown = await get(server, '/report/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.toString()).toBe("case report: no case with id '00000000-0000-4000-8000-000000000000'");
    expect((await get(server, '/report/00000000-0000-4000-8000-000000000000.pdf')).status).toBe(404);
  });

  it('GET /report/<id>.pdf prints an A4 PDF with Chromium, or answers 503 when there is none', async () => {
    const r = await get(server, `/report/${caseId}.pdf`);
    expect(r.status, r.body.toString().slice(0, 200)).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.headers['content-disposition']).toMatch(/^inline; filename="sdr-report-SDR-2024-017-\d{4}-\d\d-\d\d\.pdf"$/);
    expect(r.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(r.body.subarray(-8).toString('latin1')).toContain('%%EOF');
    expect(Number(r.headers['content-length'])).toBe(r.body.length);

    const missing = await get(noChromium, `/report/${caseId}.pdf`);
    expect(missing.status).toBe(503);
    expect(missing.body.toString()).toContain('PDF reports need Chromium, not found at /nonexistent/chromium');
    expect(missing.body.toString()).toContain(`/report/${caseId}`);
  }, 60_000);

  it('getCaseReport answers over the contract; exportCaseReport is for the desktop app only', async () => {
    const r = await app.getCaseReport({ caseId });
    expect(r.ok && r.value.html).toContain('class="rootlet-map"');
    expect(r.ok && r.value.footerTemplate).toContain('pageNumber');
    const e = await app.exportCaseReport({ caseId });
    expect(e.ok).toBe(false);
    expect(!e.ok && e.error.code).toBe('unsupported-host');
  });
});
