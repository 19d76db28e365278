/**
 * The WebSocket wire protocol (pure): parsing client frames and building server frames.
 * docs/websocket.md is the contract; keep the two in step.
 */
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../schemas/records.ts';
import { ILL_FORMED_TEXT, findIllFormedText } from '../schemas/text.ts';
import { CHANNELS, type Channel, type FilterDescription } from './filters.ts';

/** Close codes the gateway sends (besides the standard ones uWS uses itself). */
export const CLOSE_CODES = {
  goingAway: 1001, // gateway shutting down
  policyViolation: 1008, // too many malformed messages
  messageTooBig: 1009, // a message over MAX_CLIENT_MESSAGE_BYTES
  tooSlow: 4008, // back-pressure limit reached: the client did not read fast enough
} as const;

/** Client messages larger than this close the connection with 1009 and the size in the reason. */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
/**
 * uWS's own maxPayloadLength: beyond it uWS drops the socket with no close frame (1006), so it
 * sits well above what we accept (a 1 MiB frame still gets 1009 with a reason) and bounds what
 * one connection can make the gateway buffer.
 */
export const UWS_MAX_PAYLOAD_BYTES = 1024 * 1024 + 64 * 1024;
/** A connection that sends this many malformed frames is closed with 1008. */
export const MAX_BAD_MESSAGES = 10;

export type ClientMessage =
  | { type: 'ping' }
  | { type: 'subscribe'; channels: Channel[]; source?: string; series?: string; minSeverity?: Severity; lastEventId?: string }
  | { type: 'unsubscribe'; channels?: Channel[] };

export type ProtocolError = { code: string; message: string };

const shortString = (max: number) => z.string().max(max);
const channelList = z.array(z.enum(CHANNELS)).min(1).max(CHANNELS.length);

const messageSchemas = {
  ping: z.strictObject({ type: z.literal('ping') }),
  subscribe: z.strictObject({
    type: z.literal('subscribe'),
    channels: channelList,
    source: shortString(256).optional(),
    series: shortString(513).optional(),
    minSeverity: z.enum(SEVERITIES).optional(),
    lastEventId: shortString(80).optional(),
  }),
  unsubscribe: z.strictObject({ type: z.literal('unsubscribe'), channels: channelList.optional() }),
} as const;

const MESSAGE_TYPES = Object.keys(messageSchemas) as Array<keyof typeof messageSchemas>;

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length ? issue.path.map(String).join('.') : 'message';
  return `${where}: ${issue.message}`.slice(0, 200);
}

/** Parse one client frame. Never throws: any input gives a message or an error. */
export function parseClientMessage(data: ArrayBuffer | Uint8Array | string, isBinary: boolean): { ok: true; message: ClientMessage } | { ok: false; error: ProtocolError } {
  if (isBinary) return { ok: false, error: { code: 'binary-not-supported', message: 'send JSON text frames' } };
  let text: string;
  try {
    text = typeof data === 'string' ? data : new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return { ok: false, error: { code: 'bad-json', message: 'frame is not valid UTF-8' } };
  }
  if (text.length > MAX_CLIENT_MESSAGE_BYTES) return { ok: false, error: { code: 'too-large', message: `messages are limited to ${MAX_CLIENT_MESSAGE_BYTES} bytes` } };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, error: { code: 'bad-json', message: 'frame is not valid JSON' } };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: { code: 'invalid-message', message: 'a message is a JSON object with a "type"' } };
  }
  const illFormed = findIllFormedText(json);
  if (illFormed !== null) return { ok: false, error: { code: 'invalid-text', message: `${illFormed.slice(1) || 'message'} ${ILL_FORMED_TEXT}` } };
  // Own-property reads only: a "__proto__" key from JSON.parse is data, never a prototype.
  const type = Object.hasOwn(json, 'type') ? (json as Record<string, unknown>).type : undefined;
  if (typeof type !== 'string' || !(MESSAGE_TYPES as string[]).includes(type)) {
    return { ok: false, error: { code: 'unknown-type', message: `type must be one of ${MESSAGE_TYPES.join(', ')}` } };
  }
  const result = messageSchemas[type as keyof typeof messageSchemas].safeParse(json);
  if (!result.success) return { ok: false, error: { code: 'invalid-message', message: describeIssue(result.error.issues[0]) } };
  return { ok: true, message: result.data as ClientMessage };
}

// Server frames. Each builder returns the JSON text sent on the wire.

export function helloFrame(gatewayId: string, lastEventId: string, serverTime: number): string {
  return JSON.stringify({ type: 'hello', gatewayId, serverTime, lastEventId });
}

export function eventFrame(channel: Channel, id: string, severity: Severity | null, data: unknown): string {
  return JSON.stringify(severity === null ? { type: 'event', channel, id, data } : { type: 'event', channel, id, severity, data });
}

export function subscribedFrame(view: { channels: Channel[]; filters: Partial<Record<Channel, FilterDescription>> }): string {
  return JSON.stringify({ type: 'subscribed', channels: view.channels, filters: view.filters });
}

export function errorFrame(error: ProtocolError): string {
  return JSON.stringify({ type: 'error', code: error.code, message: error.message });
}

export function pongFrame(serverTime: number): string {
  return JSON.stringify({ type: 'pong', serverTime });
}

export function replayGapFrame(gap: { reason: string; requested: string; oldestEventId: string; lastEventId: string }): string {
  return JSON.stringify({ type: 'replay-gap', ...gap });
}

export function replayDoneFrame(replayed: number, lastEventId: string): string {
  return JSON.stringify({ type: 'replayed', count: replayed, lastEventId });
}
