// JSON logs with pino. One root logger per process; components take children with bindings of
// their own (`{ informer: 'pods' }`, `{ lease: … }`), and reconcile work logs through
// jobLogger() so that every line about a job carries its key. Messages follow the Kubernetes
// convention: capitalized, past tense for what was done ("Created Deployment", "Became leader").
import { type DestinationStream, type Logger, pino } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: LogLevel;
  /** Default: stdout (synchronous writes, so nothing is lost on exit). */
  destination?: DestinationStream;
  /** Bindings on every line, e.g. `{ component: 'operator' }`. */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      // `level: "info"` rather than pino's numbers: readable, and what log pipelines expect.
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A child logger for one job: every line carries `job: "<namespace>/<name>"`. */
export function jobLogger(logger: Logger, key: string): Logger {
  return logger.child({ job: key });
}

/** A logger that drops everything (the default of components given none). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
