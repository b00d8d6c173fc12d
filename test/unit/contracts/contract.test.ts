import { describe, expect, it } from 'vitest';
import { DEFAULT_MONTAGE, DomainError, makeStimulation } from '../../../src/domain';
import {
  API_METHODS,
  EVENT_TOPICS,
  METHOD_NAMES,
  bindHandlers,
  clientMessageSchema,
  dispatch,
  montageSchema,
  stimulationSchema,
  type SdrHandlers,
} from '../../../src/contracts';

/** Handlers that fail loudly if called: dispatch must reject bad payloads before reaching them. */
function handlersThatRecord(calls: unknown[]): SdrHandlers {
  const h: Record<string, (req: unknown) => unknown> = {};
  for (const m of METHOD_NAMES) {
    h[m] = (req) => {
      calls.push(req);
      if (m === 'getMontage') return DEFAULT_MONTAGE;
      if (m === 'getCase') throw new DomainError('case-not-found', 'no case x');
      if (m === 'listCases') throw new Error('disk on fire');
      return {};
    };
  }
  return h as unknown as SdrHandlers;
}

describe('contract method table', () => {
  it('has a request and a response schema for every method', () => {
    expect(METHOD_NAMES).toEqual(expect.arrayContaining(['createCase', 'listCases', 'updateMontage', 'listPorts', 'connectDevice', 'setStimulation', 'triggerPulse', 'runThresholdRamp', 'runTrain', 'repeatLast', 'getRootletResults', 'getEpochTraces', 'recordDecision', 'getAuditLog', 'getRootletMap', 'getRecoveryInfo']));
    for (const m of METHOD_NAMES) {
      expect(typeof API_METHODS[m].request.safeParse).toBe('function');
      expect(typeof API_METHODS[m].response.safeParse).toBe('function');
    }
    expect(Object.keys(EVENT_TOPICS).sort()).toEqual(['decision', 'deviceStatus', 'grade', 'map', 'pulse', 'replay', 'stimulation', 'trace']);
  });

  it('accepts the domain values as they are built by the domain constructors', () => {
    expect(montageSchema.parse(DEFAULT_MONTAGE).channels).toHaveLength(16);
    const train = makeStimulation({ mode: 'train', intensityMa: 1.2, pulseWidthUs: 100, rateHz: 50, durationS: 1, target: { level: 'L4', side: 'R', kind: 'dorsal', rootlet: 3 } });
    expect(stimulationSchema.parse(train)).toEqual(train);
  });

  it('fills request defaults and rejects unknown fields', () => {
    const ramp = API_METHODS.runThresholdRamp.request.parse({ startMa: 0.1, stepMa: 0.1, maxMa: 3 });
    expect(ramp).toEqual({ startMa: 0.1, stepMa: 0.1, maxMa: 3, rateHz: 1, repeatsPerStep: 2 });
    expect(API_METHODS.runThresholdRamp.request.safeParse({ startMa: 2, stepMa: 0.1, maxMa: 1 }).success).toBe(false);
    expect(API_METHODS.createCase.request.safeParse({ patientId: 'P1', ageYears: 6, evil: 1 }).success).toBe(false);
    expect(API_METHODS.recordDecision.request.safeParse({ caseId: 'c', level: 'L6', side: 'L', rootlet: 1, kind: 'cut', decidedBy: 'x' }).success).toBe(false);
    expect(API_METHODS.connectDevice.request.parse({ source: 'serial', path: '/dev/pts/3' })).toEqual({ source: 'serial', path: '/dev/pts/3' });
  });
});

describe('dispatch', () => {
  it('validates before calling the handler and maps errors to Results', async () => {
    const calls: unknown[] = [];
    const h = handlersThatRecord(calls);
    expect(await dispatch(h, 'noSuchMethod', {})).toEqual({ ok: false, error: { code: 'unknown-method', message: "unknown method 'noSuchMethod'" } });
    const bad = await dispatch(h, 'getMontage', { caseId: 42 });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe('invalid-request');
      expect(bad.error.message).toMatch(/^getMontage: caseId: /);
    }
    expect(calls).toHaveLength(0);
    expect(await dispatch(h, 'getMontage', { caseId: 'c1' })).toEqual({ ok: true, value: DEFAULT_MONTAGE });
    expect(calls).toEqual([{ caseId: 'c1' }]);
    expect(await dispatch(h, 'getCase', { caseId: 'x' })).toEqual({ ok: false, error: { code: 'case-not-found', message: 'no case x' } });
    expect(await dispatch(h, 'listCases', undefined)).toEqual({ ok: false, error: { code: 'internal-error', message: 'disk on fire' } });
  });

  it('bindHandlers gives one function per method', async () => {
    const api = bindHandlers(handlersThatRecord([]), () => () => undefined);
    expect(await api.getMontage({ caseId: 'c1' })).toEqual({ ok: true, value: DEFAULT_MONTAGE });
    for (const m of METHOD_NAMES) expect(typeof api[m]).toBe('function');
  });
});

describe('envelope', () => {
  it('accepts requests and subscriptions, rejects unknown topics and shapes', () => {
    expect(clientMessageSchema.safeParse({ type: 'request', id: 1, method: 'listCases', payload: {} }).success).toBe(true);
    expect(clientMessageSchema.safeParse({ type: 'subscribe', topic: 'grade' }).success).toBe(true);
    expect(clientMessageSchema.safeParse({ type: 'subscribe', topic: 'secrets' }).success).toBe(false);
    expect(clientMessageSchema.safeParse({ type: 'request', id: -1, method: 'x', payload: {} }).success).toBe(false);
    expect(clientMessageSchema.safeParse({ type: 'request', id: 1, method: 'x', payload: {}, extra: true }).success).toBe(false);
  });
});
