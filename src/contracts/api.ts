import { z } from 'zod';
import {
  caseIdSchema,
  caseRecordSchema,
  cutPlanSchema,
  decisionKindSchema,
  decisionSchema,
  intensityMaSchema,
  levelSchema,
  montageSchema,
  patternSchema,
  rootKindSchema,
  rootletIndexSchema,
  sideSchema,
  spreadGradeSchema,
  stimulationSchema,
  stimulationTargetSchema,
  suggestionSchema,
  thresholdResultSchema,
  trainGradeSchema,
} from './values';
import {
  controlReplayRequestSchema,
  finishTrainingResponseSchema,
  listTrainingScoresRequestSchema,
  listTrainingScoresResponseSchema,
  replayStatusSchema,
  sessionSummarySchema,
  startReplayRequestSchema,
  startReplayResponseSchema,
  startTrainingRequestSchema,
  trainingAnswerRequestSchema,
  trainingRunSchema,
} from './playback';

/**
 * The UI <-> app contract: ONE table of methods, each with a request and a response schema. Both hosts
 * (Electron IPC, browser WebSocket/HTTP) carry exactly these methods; the preload exposes one function
 * per entry and the main process validates each payload with `API_METHODS[method].request`.
 *
 * Every method answers `Result<Response>` (src/domain/errors.ts): `{ok:true,value}` or
 * `{ok:false,error:{code,message}}`; nothing is thrown across the boundary.
 */

const empty = z.strictObject({});

// ---------- cases ----------

export const caseSummarySchema = caseRecordSchema.extend({
  /** Live session currently recording into this case, if any. */
  openSessionId: z.int().nullable(),
  rootletsTested: z.int().min(0),
  rootletsCut: z.int().min(0),
});
export type CaseSummary = z.infer<typeof caseSummarySchema>;

export const createCaseRequestSchema = z.strictObject({
  patientId: z.string().min(1).max(64),
  ageYears: z.number().finite().min(0).max(120),
  diagnosis: z.string().max(200).optional(),
  targetMuscles: z.array(z.string().max(50)).max(64).optional(),
  cutPlan: cutPlanSchema.optional(),
  approach: z.string().max(200).optional(),
  anaesthesiaNotes: z.string().max(2000).optional(),
  notes: z.string().max(2000).optional(),
});

const caseRefSchema = z.strictObject({ caseId: caseIdSchema });

export const caseDetailSchema = z.strictObject({
  case: caseSummarySchema,
  montage: montageSchema,
});
export type CaseDetail = z.infer<typeof caseDetailSchema>;

// ---------- device ----------

export const serialPortInfoSchema = z.strictObject({
  path: z.string(),
  manufacturer: z.string().nullable(),
  serialNumber: z.string().nullable(),
  vendorId: z.string().nullable(),
  productId: z.string().nullable(),
});

export const listPortsResponseSchema = z.strictObject({
  ports: z.array(serialPortInfoSchema),
  /** Why enumeration failed (e.g. no udev in a container); the UI then offers a typed path. */
  listError: z.string().nullable(),
});

export const connectDeviceRequestSchema = z.discriminatedUnion('source', [
  z.strictObject({
    source: z.literal('simulator'),
    /** Seed of the simulated patient, for reproducible sessions. */
    seed: z.int().min(0).max(2 ** 31 - 1).optional(),
  }),
  z.strictObject({
    source: z.literal('serial'),
    /** Port path from listPorts, or typed by the user (/dev/ttyUSB0, COM3, a pseudo-terminal). */
    path: z.string().min(1).max(260),
    baudRate: z.int().min(1200).max(12_000_000).optional(),
  }),
]);
export type ConnectDeviceRequest = z.infer<typeof connectDeviceRequestSchema>;

export const connectionStateSchema = z.enum(['closed', 'opening', 'open', 'disconnected', 'reconnecting']);

export const linkCountersSchema = z.strictObject({
  bytesReceived: z.int().min(0),
  framesDecoded: z.int().min(0),
  bytesDropped: z.int().min(0),
  crcFailures: z.int().min(0),
  sequenceGaps: z.int().min(0),
  samplesLost: z.int().min(0),
});

export const deviceInfoSchema = z.strictObject({
  model: z.string(),
  firmware: z.string(),
  channelCount: z.int().min(1),
  sampleRateHz: z.number().positive(),
  canStimulate: z.boolean(),
});

/** Byte arrival -> grade emission, measured in the product over the last trains. */
export const gradeLatencySchema = z.strictObject({
  count: z.int().min(0),
  lastMs: z.number().nullable(),
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  maxMs: z.number().nullable(),
});

export const deviceStatusSchema = z.strictObject({
  source: z.enum(['none', 'simulator', 'serial']),
  /** Serial path, or null. */
  path: z.string().nullable(),
  connection: connectionStateSchema,
  /** Why the link went down, when it did. */
  reason: z.string().nullable(),
  info: deviceInfoSchema.nullable(),
  counters: linkCountersSchema,
  /** Channels whose electrode is reported off (0-based). */
  electrodeOff: z.array(z.int().min(0)),
  gradeLatency: gradeLatencySchema,
  /** Live trace frames dropped (oldest first) because the UI fell behind. */
  liveFramesDropped: z.int().min(0),
  /** Case and session receiving the data, when recording. */
  recording: z.strictObject({ caseId: caseIdSchema, sessionId: z.int() }).nullable(),
  lastError: z.string().nullable(),
});
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;

// ---------- stimulation ----------

/** Stimulator settings; all are logged with every event (domain notes, "Stimulation"). */
export const stimulationSettingsSchema = z.strictObject({
  intensityMa: intensityMaSchema,
  pulseWidthUs: z.int().min(10).max(2000),
  trainRateHz: z.number().finite().min(0.1).max(500),
  trainDurationS: z.number().finite().min(0.01).max(30),
});
export type StimulationSettings = z.infer<typeof stimulationSettingsSchema>;

export const stimulationStateSchema = z.strictObject({
  settings: stimulationSettingsSchema,
  target: stimulationTargetSchema.nullable(),
  /** The last stimulation delivered (for "repeat"), or null. */
  last: stimulationSchema.nullable(),
  busy: z.boolean(),
});
export type StimulationState = z.infer<typeof stimulationStateSchema>;

export const setStimulationRequestSchema = z.strictObject({
  settings: stimulationSettingsSchema.partial().optional(),
  target: stimulationTargetSchema.nullable().optional(),
});

export const triggerPulseRequestSchema = z.strictObject({
  /** Overrides the set intensity for this pulse only. */
  intensityMa: intensityMaSchema.optional(),
});

export const pulseChannelSchema = z.strictObject({
  channel: z.int().min(0),
  responding: z.boolean(),
  latencyMs: z.number().nullable(),
  amplitudeUv: z.number().nullable(),
});

/** Response to one single pulse. */
export const pulseResponseSchema = z.strictObject({
  stimulationId: z.int(),
  target: stimulationTargetSchema.nullable(),
  intensityMa: z.number(),
  onsetSample: z.int().min(0),
  /** True when any channel responded (first deflection above the response criterion). */
  responding: z.boolean(),
  channels: z.array(pulseChannelSchema),
});
export type PulseResponse = z.infer<typeof pulseResponseSchema>;

export const thresholdRampRequestSchema = z.strictObject({
  startMa: intensityMaSchema,
  stepMa: z.number().finite().positive().max(10),
  maxMa: intensityMaSchema,
  /** Pulse rate of the ramp; about 1 Hz. */
  rateHz: z.number().finite().min(0.1).max(5).default(1),
  /** Responses needed at one intensity to call it reproducible. */
  repeatsPerStep: z.int().min(1).max(5).default(2),
}).refine((r) => r.maxMa >= r.startMa, { message: 'maxMa must be >= startMa' });

export const thresholdRampResponseSchema = z.strictObject({
  result: thresholdResultSchema,
  pulses: z.array(pulseResponseSchema),
});

export const runTrainRequestSchema = z.strictObject({
  /** Overrides the set intensity for this train only. */
  intensityMa: intensityMaSchema.optional(),
});

/** A graded train as stored and shown: the grade with its evidence, tied to the stored stimulation. */
export const gradedTrainSchema = z.strictObject({
  stimulationId: z.int(),
  /** The stored grade row: what a decision made on this train names as its `gradeId`. Null when not stored (replay). */
  gradeId: z.int().nullable(),
  caseId: caseIdSchema,
  sessionId: z.int(),
  stimulation: stimulationSchema,
  grade: trainGradeSchema,
  /** Byte arrival of the train's last sample -> grade emission, or null when not live. */
  latencyMs: z.number().nullable(),
  /** Intensity above HIGH_INTENSITY_THRESHOLD_MULTIPLE x threshold: direct motor response likely. */
  highIntensity: z.boolean(),
});
export type GradedTrain = z.infer<typeof gradedTrainSchema>;

export const stimulusResultSchema = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('single'), pulse: pulseResponseSchema }),
  z.strictObject({ mode: z.literal('train'), train: gradedTrainSchema }),
]);

// ---------- results ----------

const rootletRefSchema = z.strictObject({
  caseId: caseIdSchema,
  level: levelSchema,
  side: sideSchema,
  kind: rootKindSchema.default('dorsal'),
  rootlet: rootletIndexSchema.nullable(),
});

export const storedStimulationSchema = z.strictObject({
  stimulationId: z.int(),
  sessionId: z.int(),
  onsetSample: z.int().min(0),
  createdAt: z.string(),
  stimulation: stimulationSchema,
  highIntensity: z.boolean(),
  /** Present for graded trains. */
  grade: trainGradeSchema.nullable(),
  /** The stored grade row shown (latest for the stimulation), for `recordDecision.gradeId`; null when ungraded. */
  gradeId: z.int().nullable(),
  /** Response per channel, for single pulses (measured live, or re-measured from the stored raw EMG). */
  pulse: pulseResponseSchema.nullable().optional(),
});

export const decisionRecordSchema = z.strictObject({
  decisionId: z.int(),
  caseId: caseIdSchema,
  level: levelSchema,
  side: sideSchema,
  rootlet: rootletIndexSchema,
  decision: decisionSchema,
  /** The decision this one corrects, or null for a first decision. */
  correctsId: z.int().nullable(),
  /** The grade the clinician saw when deciding, if any. */
  gradeId: z.int().nullable(),
  recordedAt: z.string(),
});
export type DecisionRecord = z.infer<typeof decisionRecordSchema>;

export const rootletResultsSchema = z.strictObject({
  stimulations: z.array(storedStimulationSchema),
  thresholds: z.array(thresholdResultSchema.extend({ createdAt: z.string() })),
  /** Current decision (the end of the correction chain), or null. */
  decision: decisionRecordSchema.nullable(),
  /** All decisions on this rootlet, oldest first. */
  decisionHistory: z.array(decisionRecordSchema),
});
export type RootletResults = z.infer<typeof rootletResultsSchema>;

export const epochTracesRequestSchema = z.strictObject({
  caseId: caseIdSchema,
  stimulationId: z.int(),
  /** Display width: each channel is reduced to this many min/max pairs. */
  maxPoints: z.int().min(16).max(4000).default(800),
  signal: z.enum(['filtered', 'envelope', 'raw']).default('filtered'),
});

/** Min/max decimated trace: point i covers samples [i*samplesPerPoint, (i+1)*samplesPerPoint). */
export const decimatedTraceSchema = z.strictObject({
  channel: z.int().min(0),
  name: z.string(),
  minUv: z.array(z.number()),
  maxUv: z.array(z.number()),
});

export const epochTracesSchema = z.strictObject({
  stimulationId: z.int(),
  sampleRateHz: z.number().positive(),
  samplesPerPoint: z.number().positive(),
  /** Time of point 0 relative to the first pulse, ms (negative: pre-stimulus baseline). */
  startMs: z.number(),
  /** Length of the stimulation window after the first pulse, ms. */
  stimMs: z.number(),
  signal: z.enum(['filtered', 'envelope', 'raw']),
  channels: z.array(decimatedTraceSchema),
});
export type EpochTraces = z.infer<typeof epochTracesSchema>;

// ---------- decisions ----------

export const recordDecisionRequestSchema = z.strictObject({
  caseId: caseIdSchema,
  level: levelSchema,
  side: sideSchema,
  rootlet: rootletIndexSchema,
  kind: decisionKindSchema,
  /** Fraction cut, only for 'partial' (0 < f < 1). */
  fraction: z.number().finite().optional(),
  decidedBy: z.string().min(1).max(200),
  reason: z.string().max(2000).optional(),
  /** Set to correct an earlier decision: must be the current decision of the same rootlet. */
  correctsId: z.int().optional(),
  /** The stored grade shown when deciding (`GradedTrain.gradeId`, not the stimulation id). */
  gradeId: z.int().optional(),
});

export const auditEntrySchema = z.strictObject({
  id: z.int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  entity: z.string(),
  entityId: z.string(),
  caseId: z.string().nullable(),
  payloadJson: z.string(),
  prevHash: z.string(),
  hash: z.string(),
});

export const auditLogResponseSchema = z.strictObject({
  entries: z.array(auditEntrySchema),
  /** Result of re-walking the whole hash chain: null when every link holds. */
  chainBreak: z.strictObject({ entryId: z.int(), problem: z.string() }).nullable(),
});

// ---------- rootlet map ----------

export const mapRootletSchema = z.strictObject({
  rootlet: rootletIndexSchema,
  thresholdMa: z.number().nullable(),
  /** Grade of the latest graded train, or null if untested. */
  grade: spreadGradeSchema.nullable(),
  pattern: patternSchema.nullable(),
  suggestion: suggestionSchema.nullable(),
  decision: decisionKindSchema.nullable(),
  cutFraction: z.number().nullable(),
  decisionId: z.int().nullable(),
});

export const mapRootSchema = z.strictObject({
  level: levelSchema,
  side: sideSchema,
  dorsalThresholdMa: z.number().nullable(),
  ventralThresholdMa: z.number().nullable(),
  rootlets: z.array(mapRootletSchema),
  tested: z.int().min(0),
  decided: z.int().min(0),
  /** Sum of cut fractions (a 60 % partial counts 0.6). */
  cutEquivalent: z.number().min(0),
  /** cutEquivalent / rootlets decided x 100, or null when none decided. */
  cutPct: z.number().nullable(),
  planPct: z.number().nullable(),
});

export const rootletMapSchema = z.strictObject({
  caseId: caseIdSchema,
  roots: z.array(mapRootSchema),
  totals: z.strictObject({
    tested: z.int().min(0),
    decided: z.int().min(0),
    cutEquivalent: z.number().min(0),
    cutPct: z.number().nullable(),
    /** Count of rootlets per latest grade, index = grade 0..4. */
    gradeHistogram: z.array(z.int().min(0)).length(5),
  }),
});
export type RootletMap = z.infer<typeof rootletMapSchema>;

// ---------- recovery ----------

export const recoveryInfoSchema = z.strictObject({
  /** Sessions found not cleanly closed at start-up, now closed and reported. */
  recovered: z.array(z.strictObject({
    caseId: caseIdSchema,
    sessionId: z.int(),
    startedAt: z.string(),
    /** Last sample index durably stored (exclusive), or 0 when no raw data was flushed. */
    lastFlushedSample: z.int().min(0),
    /** Raw data after the last flushed chunk is lost; decisions committed before the crash are intact. */
    lostDescription: z.string(),
    decisionsIntact: z.int().min(0),
  })),
  /** The case reopened for recording after recovery, or null. */
  resumedCaseId: caseIdSchema.nullable(),
});
export type RecoveryInfo = z.infer<typeof recoveryInfoSchema>;

// ---------- case report ----------

export const caseReportSchema = z.strictObject({
  /** One self-contained HTML document (inline CSS and SVG, no script; its CSP is a meta tag). */
  html: z.string(),
  /** Suggested file name without extension (patient pseudonym and date, filesystem-safe). */
  fileBaseName: z.string().min(1).max(120),
  /** Footer for print-to-PDF (patient pseudonym, page x of y); printed outside the document. */
  footerTemplate: z.string(),
});
export type CaseReportDocument = z.infer<typeof caseReportSchema>;

export const exportCaseReportResponseSchema = z.strictObject({
  /** False when the user cancelled the save dialog (nothing was written). */
  saved: z.boolean(),
  path: z.string().nullable(),
  format: z.enum(['pdf', 'html']).nullable(),
  bytes: z.int().min(0),
});

// ---------- the table ----------

function method<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res, doc: string) {
  return { request, response, doc } as const;
}

export const API_METHODS = {
  createCase: method(createCaseRequestSchema, caseSummarySchema, 'New case with the default montage.'),
  listCases: method(empty, z.strictObject({ cases: z.array(caseSummarySchema) }), 'All cases, newest first.'),
  getCase: method(caseRefSchema, caseDetailSchema, 'One case with its current montage.'),
  /** Makes the case the one stimulation is recorded into; a live session starts when a device is connected. */
  openCase: method(caseRefSchema, caseDetailSchema, 'Open a case for recording.'),
  closeCase: method(caseRefSchema, z.strictObject({ closedSessionId: z.int().nullable() }), 'Close the case cleanly (ends its live session).'),
  updateCasePlan: method(z.strictObject({ caseId: caseIdSchema, cutPlan: cutPlanSchema }), caseSummarySchema, 'Replace the per-level cut plan.'),
  updateCaseNotes: method(z.strictObject({
    caseId: caseIdSchema,
    diagnosis: z.string().max(200).optional(),
    targetMuscles: z.array(z.string().max(50)).max(64).optional(),
    approach: z.string().max(200).optional(),
    anaesthesiaNotes: z.string().max(2000).optional(),
    notes: z.string().max(2000).optional(),
  }), caseSummarySchema, 'Update the free-text fields of a case.'),

  getMontage: method(caseRefSchema, montageSchema, 'Current montage of a case.'),
  updateMontage: method(z.strictObject({
    caseId: caseIdSchema,
    name: z.string().min(1).max(200),
    channels: z.array(z.strictObject({
      side: z.string().max(1),
      muscle: z.string().max(10),
      roots: z.array(z.string().max(3)).max(9).optional(),
    })).min(1).max(64),
  }), montageSchema, 'Save a new montage version (validated with makeMontage).'),

  listPorts: method(empty, listPortsResponseSchema, 'Serial ports; on failure the UI accepts a typed path.'),
  connectDevice: method(connectDeviceRequestSchema, deviceStatusSchema, 'Connect the simulator or a serial port.'),
  disconnectDevice: method(empty, deviceStatusSchema, 'Deliberate disconnect.'),
  getDeviceStatus: method(empty, deviceStatusSchema, 'Connection, link counters, electrode-off, grade latency.'),

  getStimulation: method(empty, stimulationStateSchema, 'Current stimulator settings and target.'),
  setStimulation: method(setStimulationRequestSchema, stimulationStateSchema, 'Change settings and/or target (level, side, kind, rootlet).'),
  triggerPulse: method(triggerPulseRequestSchema, pulseResponseSchema, 'One single pulse at the target; answers with the response.'),
  runThresholdRamp: method(thresholdRampRequestSchema, thresholdRampResponseSchema, 'Single pulses stepped up until a reproducible response.'),
  runTrain: method(runTrainRequestSchema, gradedTrainSchema, 'A tetanic train at the target; answers once graded.'),
  repeatLast: method(empty, stimulusResultSchema, 'Deliver the last stimulation again.'),

  getRootletResults: method(rootletRefSchema, rootletResultsSchema, 'Grades, pulses, thresholds and decisions of a rootlet.'),
  getEpochTraces: method(epochTracesRequestSchema, epochTracesSchema, 'Stimulus-locked traces of one stimulation, decimated for display.'),

  recordDecision: method(recordDecisionRequestSchema, z.strictObject({ saved: z.literal(true), record: decisionRecordSchema }), 'Durably record a decision (or a correction).'),
  listDecisions: method(z.strictObject({ caseId: caseIdSchema }), z.strictObject({ decisions: z.array(decisionRecordSchema) }), 'Every decision of a case, in order.'),
  getAuditLog: method(z.strictObject({ caseId: caseIdSchema }), auditLogResponseSchema, 'Audit entries of a case, with chain verification.'),

  getRootletMap: method(caseRefSchema, rootletMapSchema, 'Levels x sides with thresholds, grades, decisions and % cut vs plan.'),

  getRecoveryInfo: method(empty, recoveryInfoSchema, 'What start-up recovery found and what was lost.'),

  // offline replay (src/app/replay.ts) and training mode (src/app/training.ts); schemas in playback.ts
  listSessions: method(caseRefSchema, z.strictObject({ sessions: z.array(sessionSummarySchema) }), 'Recorded sessions of a case (live or imported), for replay.'),
  startReplay: method(startReplayRequestSchema, startReplayResponseSchema, 'Replay a stored session through the live pipeline and grader, emitting live events.'),
  controlReplay: method(controlReplayRequestSchema, replayStatusSchema, 'Pause, resume, change speed, or jump to a stimulation.'),
  stopReplay: method(empty, replayStatusSchema, 'Stop the replay.'),
  getReplayStatus: method(empty, replayStatusSchema, 'Position, speed and state of the replay.'),
  startTraining: method(startTrainingRequestSchema, trainingRunSchema, 'Replay a session blind for a trainee: recorded grades and decisions hidden until finished.'),
  getTraining: method(empty, z.strictObject({ run: trainingRunSchema.nullable() }), 'The active training run, if any.'),
  submitTrainingAnswer: method(trainingAnswerRequestSchema, trainingRunSchema, "The trainee's grade, pattern and decision for one train (answering again replaces it)."),
  finishTraining: method(empty, finishTrainingResponseSchema, 'Store the attempt with its scores and reveal expert and automatic grades side by side.'),
  cancelTraining: method(empty, z.strictObject({ cancelled: z.boolean() }), 'End the training run without storing it.'),
  listTrainingScores: method(listTrainingScoresRequestSchema, listTrainingScoresResponseSchema, 'Finished training attempts with their scores, oldest first.'),

  // case report (src/app/report): the browser host also serves GET /report/<caseId> and /report/<caseId>.pdf
  getCaseReport: method(caseRefSchema, caseReportSchema, 'The case report as self-contained HTML, with a file name and the PDF footer.'),
  /** Electron only (the main process prints with printToPDF and asks where to save); other hosts answer 'unsupported-host'. */
  exportCaseReport: method(caseRefSchema, exportCaseReportResponseSchema, 'Save the case report as PDF (or HTML) where the user chooses.'),
} as const;

export type ApiMethods = typeof API_METHODS;
export type MethodName = keyof ApiMethods;
export const METHOD_NAMES = Object.keys(API_METHODS) as MethodName[];

export function isMethodName(v: unknown): v is MethodName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(API_METHODS, v);
}

/** What a caller passes (defaults may be omitted). */
export type RequestOf<M extends MethodName> = z.input<ApiMethods[M]['request']>;
/** What a handler receives after validation (defaults filled in). */
export type ParsedRequestOf<M extends MethodName> = z.output<ApiMethods[M]['request']>;
export type ResponseOf<M extends MethodName> = z.output<ApiMethods[M]['response']>;

