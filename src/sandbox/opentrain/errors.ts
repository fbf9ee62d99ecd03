import { randomUUID } from 'node:crypto';

/**
 * The Public API's error `code` enum. It is only printed on the Platform-API overview, which says the envelope
 * is shared (Gap 3), so the simulator uses exactly these seven.
 */
export const errorCodes = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorEnvelope {
  error: string;
  code: ErrorCode;
  requestId: string;
  details?: Record<string, unknown>;
}

/** Maps any status to one of the seven codes; statuses the enum has no word for fall back to the nearest. */
export function codeForStatus(status: number): ErrorCode {
  if (status >= 500) return 'INTERNAL_ERROR';
  switch (status) {
    case 401:
      return 'UNAUTHORIZED';
    case 403:
      return 'FORBIDDEN';
    case 404:
      return 'NOT_FOUND';
    case 409:
      return 'CONFLICT';
    case 429:
      return 'RATE_LIMITED';
    default:
      return 'BAD_REQUEST';
  }
}

const defaultMessages: Record<ErrorCode, string> = {
  BAD_REQUEST: 'The request was invalid.',
  UNAUTHORIZED: 'Missing or invalid API token.',
  FORBIDDEN: 'This token may not perform this action.',
  NOT_FOUND: 'Not found.',
  CONFLICT: 'The request conflicts with the current state.',
  RATE_LIMITED: 'Too many requests. Slow down and retry later.',
  INTERNAL_ERROR: 'Something went wrong on our side. Please retry.',
};

/** Thrown by handlers and by the simulator's control methods; the HTTP layer turns it into the envelope. */
export class ApiError extends Error {
  override readonly name = 'OpenTrainApiError';
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = codeForStatus(status);
    this.details = details;
  }
}

export function errorEnvelope(
  status: number,
  message?: string,
  details?: Record<string, unknown>,
  requestId: string = randomUUID(),
): ErrorEnvelope {
  const code = codeForStatus(status);
  const envelope: ErrorEnvelope = { error: message ?? defaultMessages[code], code, requestId };
  if (details !== undefined) envelope.details = details;
  return envelope;
}

export function badRequest(field: string, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(400, message, { field, ...extra });
}

export function notFound(resource: string, idKey: string, id: string): ApiError {
  return new ApiError(404, `No ${resource.replace(/s$/, '')} with id ${id}.`, { resource, [idKey]: id });
}

/** 409s "always carry details.reason" per the docs. */
export function conflict(reason: string, message: string, extra: Record<string, unknown> = {}): ApiError {
  return new ApiError(409, message, { reason, ...extra });
}

export function missingScopes(requiredScopes: string[], message?: string): ApiError {
  return new ApiError(
    403,
    message ?? `This token is missing a required scope: ${requiredScopes.join(', ')}.`,
    {
      requiredScopes,
    },
  );
}
