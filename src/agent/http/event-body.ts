// Validates the JSON body of `POST /v1/events` into a name and payload bytes. Unknown fields are
// refused so that a typo (say "payload64") is reported instead of silently sending an empty payload.
import { ApiError } from './api-error.js';

export interface EventRequest {
  name: string;
  payload: Uint8Array;
  /** false: spread by rumor mongering alone, without direct mail (default true). */
  directMail: boolean;
}

const FIELDS = ['name', 'payload', 'payloadBase64', 'directMail'] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** True for `application/json` with or without parameters such as charset. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

export function parseEventRequest(text: string): EventRequest {
  if (text.trim() === '')
    throw new ApiError(400, 'request body is empty: expected JSON {"name": ..., "payload": ...}');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, 'request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ApiError(400, 'request body must be a JSON object {"name": ..., "payload": ...}');
  const fields = body as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!(FIELDS as readonly string[]).includes(key))
      throw new ApiError(400, `unknown field '${key}' (expected ${FIELDS.join(', ')})`);
  }
  const { name, payload, payloadBase64, directMail = true } = fields;
  if (typeof name !== 'string' || name === '')
    throw new ApiError(400, "field 'name' is required and must be a non-empty string");
  if (typeof directMail !== 'boolean') throw new ApiError(400, "field 'directMail' must be true or false");
  return { name, payload: payloadBytes(payload, payloadBase64, ''), directMail };
}

/** The bytes of a body's `payload` (UTF-8 text) or `payloadBase64` field; empty when neither is given. */
export function payloadBytes(payload: unknown, payloadBase64: unknown, what: string): Uint8Array {
  if (payload !== undefined && payloadBase64 !== undefined)
    throw new ApiError(400, `${what}give either 'payload' or 'payloadBase64', not both`);
  if (payload !== undefined) {
    if (typeof payload !== 'string') throw new ApiError(400, `${what}field 'payload' must be a string`);
    return new TextEncoder().encode(payload);
  }
  if (payloadBase64 !== undefined) {
    if (typeof payloadBase64 !== 'string' || !BASE64.test(payloadBase64))
      throw new ApiError(
        400,
        `${what}field 'payloadBase64' must be standard base64 (A-Z a-z 0-9 + /, = padded)`,
      );
    return new Uint8Array(Buffer.from(payloadBase64, 'base64'));
  }
  return new Uint8Array(0);
}
