import { z } from 'zod';
import type { FakeMessageMetadata } from './types.js';
import { fail, type Outcome } from './web-api-support.js';

/** What a metadata argument came to: metadata to store, or none because Slack dropped it with a warning. */
export interface CheckedMetadata {
  metadata: FakeMessageMetadata | undefined;
  warning?: string;
}

const plainObject = z.custom<Record<string, unknown>>(
  (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
);

const Shape = z.object({ event_type: z.string().min(1), event_payload: plainObject });

/** Slack's docs: "letters, numbers, underscores, and hyphens, but not periods or other punctuation". */
const eventTypePattern = /^[A-Za-z0-9_-]+$/;

/**
 * Validates chat.postMessage's and chat.update's `metadata` like Slack:
 * - a JSON string (WebClient form-encodes objects as JSON; a caller may also pass the string itself) is parsed,
 *   and anything that is not a JSON object answers `invalid_metadata_format`;
 * - a missing or non-string `event_type`, or an `event_payload` that is not an object, answers
 *   `invalid_metadata_schema`;
 * - an `event_type` with other characters is not an error: Slack posts the message, drops the metadata and
 *   warns `invalid_metadata_schema` (docs.slack.dev/messaging/message-metadata).
 * Slack also has a size cap (`metadata_too_large`) that it does not document; the fake does not enforce one.
 */
export function checkMetadata(raw: unknown): Outcome<CheckedMetadata> {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return { ok: false, result: fail('invalid_metadata_format') };
    }
  }
  if (!plainObject.safeParse(value).success) return { ok: false, result: fail('invalid_metadata_format') };
  const parsed = Shape.safeParse(value);
  if (!parsed.success) return { ok: false, result: fail('invalid_metadata_schema') };
  const { event_type: eventType, event_payload: eventPayload } = parsed.data;
  if (!eventTypePattern.test(eventType))
    return { ok: true, value: { metadata: undefined, warning: 'invalid_metadata_schema' } };
  return {
    ok: true,
    value: { metadata: { event_type: eventType, event_payload: structuredClone(eventPayload) } },
  };
}

/** Adds a warning to an ok answer the way Slack reports them: `warning` plus `response_metadata.warnings`. */
export function withWarning<T extends { ok: boolean } & Record<string, unknown>>(
  result: T,
  warning: string | undefined,
): T {
  if (warning === undefined) return result;
  const metadata = (result.response_metadata ?? {}) as { warnings?: string[] };
  const warnings = [...(metadata.warnings ?? []), warning];
  return { ...result, warning: warnings.join(','), response_metadata: { ...metadata, warnings } };
}
