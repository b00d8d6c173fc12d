import { describe, expect, it, vi } from 'vitest';
import { createWsClient, type WebSocketLike } from '../../../src/contracts';

/** A scripted socket: records what the client sent; the test plays the host. */
class FakeSocket implements WebSocketLike {
  readyState = 0;
  sent: unknown[] = [];
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(): void {
    this.drop();
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(): void {
    this.readyState = 3;
    this.onclose?.({});
  }
  reply(msg: unknown): void {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

const status = {
  source: 'simulator', path: null, connection: 'open', reason: null,
  info: { model: 'sim', firmware: '1', channelCount: 16, sampleRateHz: 10000, canStimulate: true },
  counters: { bytesReceived: 1, framesDecoded: 1, bytesDropped: 0, crcFailures: 0, sequenceGaps: 0, samplesLost: 0 },
  electrodeOff: [], gradeLatency: { count: 0, lastMs: null, p50Ms: null, p95Ms: null, maxMs: null },
  liveFramesDropped: 0, recording: null, lastError: null,
};

function setup(options: { timeoutMs?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const client = createWsClient('ws://127.0.0.1:1/ws', {
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    reconnectDelayMs: 10,
    timeoutMs: options.timeoutMs ?? 1000,
  });
  return { client, sockets };
}

describe('WebSocket client', () => {
  it('queues requests until open and validates responses against the method schema', async () => {
    const { client, sockets } = setup();
    const p1 = client.getDeviceStatus({});
    const p2 = client.getDeviceStatus({});
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.sent).toEqual([]);
    sockets[0]!.open();
    expect(sockets[0]!.sent).toEqual([
      { type: 'request', id: 1, method: 'getDeviceStatus', payload: {} },
      { type: 'request', id: 2, method: 'getDeviceStatus', payload: {} },
    ]);
    sockets[0]!.reply({ type: 'response', id: 99, result: { ok: true, value: status } }); // unknown id: ignored
    sockets[0]!.reply({ type: 'response', id: 1, result: { ok: true, value: status } });
    sockets[0]!.reply({ type: 'response', id: 2, result: { ok: true, value: { ...status, connection: 'sideways' } } });
    expect(await p1).toEqual({ ok: true, value: status });
    const bad = await p2;
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ code: 'invalid-response', message: expect.stringMatching(/^getDeviceStatus: connection/) });
    client.close();
  });

  it('passes error results through and fails pending calls when the link drops', async () => {
    const { client, sockets } = setup();
    const a = client.getCase({ caseId: 'x' });
    sockets[0]!.open();
    sockets[0]!.reply({ type: 'response', id: 1, result: { ok: false, error: { code: 'unknown-case', message: "no case with id 'x'" } } });
    expect(await a).toEqual({ ok: false, error: { code: 'unknown-case', message: "no case with id 'x'" } });
    const b = client.listCases({});
    sockets[0]!.drop();
    expect(await b).toEqual({ ok: false, error: { code: 'disconnected', message: 'connection to sdrlog lost' } });
    client.close();
  });

  it('subscribes once per topic, validates events, unsubscribes with the last disposer, and resubscribes after a reconnect', async () => {
    const { client, sockets } = setup();
    const got: number[] = [];
    const off1 = client.subscribe('deviceStatus', (s) => got.push(s.counters.framesDecoded));
    const off2 = client.subscribe('deviceStatus', (s) => got.push(-s.counters.framesDecoded));
    sockets[0]!.open();
    expect(sockets[0]!.sent).toEqual([{ type: 'subscribe', topic: 'deviceStatus' }]);
    sockets[0]!.reply({ type: 'event', topic: 'deviceStatus', payload: status });
    sockets[0]!.reply({ type: 'event', topic: 'deviceStatus', payload: { ...status, counters: null } }); // invalid: dropped
    expect(got).toEqual([1, -1]);
    sockets[0]!.drop();
    await new Promise((r) => setTimeout(r, 30));
    expect(sockets).toHaveLength(2);
    sockets[1]!.open();
    expect(sockets[1]!.sent).toEqual([{ type: 'subscribe', topic: 'deviceStatus' }]);
    off1();
    expect(sockets[1]!.sent).toHaveLength(1);
    off2();
    expect(sockets[1]!.sent).toEqual([{ type: 'subscribe', topic: 'deviceStatus' }, { type: 'unsubscribe', topic: 'deviceStatus' }]);
    client.close();
  });

  it('times out a request nobody answers', async () => {
    vi.useFakeTimers();
    try {
      const { client, sockets } = setup({ timeoutMs: 500 });
      const p = client.listCases({});
      sockets[0]!.open();
      vi.advanceTimersByTime(501);
      expect(await p).toEqual({ ok: false, error: { code: 'timeout', message: 'listCases: no answer within 500 ms' } });
      client.close();
    } finally {
      vi.useRealTimers();
    }
  });
});
