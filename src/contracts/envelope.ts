import { z } from 'zod';
import { TOPIC_NAMES, type TopicName } from './events';

/**
 * Messages on the WebSocket (and any other stream transport). Client -> host: requests and
 * (un)subscriptions. Host -> client: responses (matched by `id`) and events. Payloads are validated
 * against the method / topic schema on top of this envelope check.
 */
const topicSchema = z.enum(TOPIC_NAMES as [TopicName, ...TopicName[]]);

export const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('request'),
    id: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
    method: z.string().min(1).max(64),
    payload: z.unknown(),
  }),
  z.strictObject({ type: z.literal('subscribe'), topic: topicSchema }),
  z.strictObject({ type: z.literal('unsubscribe'), topic: topicSchema }),
]);
export type ClientMessage = z.infer<typeof clientMessageSchema>;

const resultSchema = z.union([
  z.strictObject({ ok: z.literal(true), value: z.unknown() }),
  z.strictObject({ ok: z.literal(false), error: z.strictObject({ code: z.string(), message: z.string() }) }),
]);

export const hostMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('response'), id: z.int().min(0), result: resultSchema }),
  z.strictObject({ type: z.literal('event'), topic: topicSchema, payload: z.unknown() }),
]);
export type HostMessage = z.infer<typeof hostMessageSchema>;

/** Largest message a host accepts from a client (requests are small; montages are the largest). */
export const MAX_CLIENT_MESSAGE_BYTES = 256 * 1024;

/** Path of the WebSocket endpoint and prefix of the HTTP endpoints (`POST /api/<method>`). */
export const WS_PATH = '/ws';
export const HTTP_API_PREFIX = '/api/';
