import { z } from 'zod';
import { decisionRecordSchema, deviceStatusSchema, gradedTrainSchema, pulseResponseSchema, rootletMapSchema } from './api';
import { caseIdSchema, stimulationSchema } from './values';
import { replayStatusSchema } from './playback';

/**
 * One frame of the live trace: every channel reduced to min/max pairs for drawing. The stream is lossy
 * by design (architecture.md, "Real time"): when the UI falls behind, the oldest frames are dropped and
 * counted in `droppedFrames` (running total), never the acquisition.
 */
export const traceFrameSchema = z.strictObject({
  /** Session sample index of the first sample covered. */
  startSample: z.int().min(0),
  sampleRateHz: z.number().positive(),
  /** Source samples folded into each min/max point. */
  samplesPerPoint: z.int().min(1),
  channels: z.array(z.strictObject({
    channel: z.int().min(0),
    minUv: z.array(z.number()),
    maxUv: z.array(z.number()),
  })),
  /** Frames dropped so far on this subscription because the consumer was slower than the stream. */
  droppedFrames: z.int().min(0),
});
export type TraceFrame = z.infer<typeof traceFrameSchema>;

/** A stimulation as delivered (device event), stored when a case is recording. */
export const stimulationEventSchema = z.strictObject({
  stimulationId: z.int().nullable(),
  caseId: caseIdSchema.nullable(),
  sessionId: z.int().nullable(),
  sampleIndex: z.int().min(0),
  stimulation: stimulationSchema,
  highIntensity: z.boolean(),
});
export type StimulationEventMessage = z.infer<typeof stimulationEventSchema>;

export const mapUpdateSchema = z.strictObject({ caseId: caseIdSchema, map: rootletMapSchema });

/** Event streams: topic -> payload schema. Subscriptions return a disposer. */
export const EVENT_TOPICS = {
  trace: traceFrameSchema,
  stimulation: stimulationEventSchema,
  pulse: pulseResponseSchema,
  grade: gradedTrainSchema,
  decision: decisionRecordSchema,
  deviceStatus: deviceStatusSchema,
  map: mapUpdateSchema,
  /** Replay / training playback state: on every change and about 4 times a second while playing. */
  replay: replayStatusSchema,
} as const;

export type EventTopics = typeof EVENT_TOPICS;
export type TopicName = keyof EventTopics;
export type EventOf<T extends TopicName> = z.output<EventTopics[T]>;
export const TOPIC_NAMES = Object.keys(EVENT_TOPICS) as TopicName[];

export function isTopicName(v: unknown): v is TopicName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(EVENT_TOPICS, v);
}
