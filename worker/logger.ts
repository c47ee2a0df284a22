import { types } from 'node:util';
import pino from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/**
 * Structured logs for the worker and CLI: JSON lines on stderr (pipe through pino-pretty to read them), or on the
 * destination given (tests).
 */
export function createLogger(
  level = process.env.RUNBOOK_LOG_LEVEL || 'info',
  destination: pino.DestinationStream = pino.destination(2),
): pino.Logger {
  return pino(
    {
      level,
      base: { service: 'heroku-runbooks' },
      serializers: { err: (value: unknown) => (isError(value) ? serializeError(value) : value) },
    },
    destination,
  );
}

const LEVELS: Record<LogLevel, pino.Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** An Error, also one made in another realm (a workflow's sandbox context hands its own Error objects to sinks). */
function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

export interface SerializedError {
  name: string;
  message: string;
  /** Own fields that are plain values: ApplicationFailure's `type` and `nonRetryable`, a system error's `code`, … */
  [field: string]: unknown;
  stack?: string;
  cause?: unknown;
}

const MAX_CAUSES = 10;

/**
 * An Error as JSON can show it: name, message, its own plain-valued fields (ApplicationFailure's `type`,
 * `nonRetryable`; an ActivityFailure's `activityType`, `retryState`; `code`), stack, and its cause chain.
 * Fields holding objects (a failure's proto, ApplicationFailure `details`) are left out: they can be large and
 * hold payloads.
 */
export function serializeError(err: Error, seen: Set<unknown> = new Set()): SerializedError {
  seen.add(err);
  const constructorName = typeof err.constructor === 'function' ? err.constructor.name : '';
  const out: SerializedError = {
    name: (err.name === 'Error' && constructorName) || err.name || constructorName || 'Error',
    message: err.message,
  };
  for (const [key, value] of Object.entries(err)) {
    if (key in out || key === 'stack' || key === 'cause') continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value;
  }
  if (err.stack) out.stack = err.stack;
  if (err instanceof AggregateError || Array.isArray((err as { errors?: unknown }).errors)) {
    out.errors = ((err as AggregateError).errors as unknown[]).map((inner) => serializeCause(inner, seen));
  }
  if (err.cause !== undefined) out.cause = serializeCause(err.cause, seen);
  return out;
}

function serializeCause(cause: unknown, seen: Set<unknown>): unknown {
  if (!isError(cause)) return cause;
  if (seen.has(cause)) return '[circular cause]';
  if (seen.size >= MAX_CAUSES) return `[${MAX_CAUSES} causes deep: ${cause.message}]`;
  return serializeError(cause, seen);
}

/**
 * Error values in the SDK's log metadata (`error`, `failure`, …), serialized: pino serializes only `err` (the
 * logger's own serializer does that one), and would print any other Error as `{}`. Other fields pass unchanged.
 */
function withSerializedErrors(meta: LogMetadata | undefined): LogMetadata {
  if (!meta) return {};
  let out: LogMetadata | undefined;
  for (const [key, value] of Object.entries(meta)) {
    if (key !== 'err' && isError(value)) {
      out ??= { ...meta };
      out[key] = serializeError(value);
    }
  }
  return out ?? meta;
}

/** Routes the Temporal SDK's own logs (worker, activities, workflow `log`) into the same pino logger. */
export function temporalLogger(logger: pino.Logger): Logger {
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) =>
    logger[LEVELS[level]](withSerializedErrors(meta), message);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}
