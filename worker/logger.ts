import pino from 'pino';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/** Structured logs for the worker and CLI: JSON lines on stderr (pipe through pino-pretty to read them). */
export function createLogger(level = process.env.RUNBOOK_LOG_LEVEL || 'info'): pino.Logger {
  return pino({ level, base: { service: 'heroku-runbooks' } }, pino.destination(2));
}

const LEVELS: Record<LogLevel, pino.Level> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/** Routes the Temporal SDK's own logs (worker, activities, workflow `log`) into the same pino logger. */
export function temporalLogger(logger: pino.Logger): Logger {
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) => logger[LEVELS[level]](meta ?? {}, message);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}
