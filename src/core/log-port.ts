/**
 * The logging port of the core: the subset of pino's API the core may call.
 * The core imports no logger library; the composition root passes a pino child in.
 */
export interface LogFn {
  (obj: object, msg: string): void;
  (msg: string): void;
}
export interface CoreLog {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  child(bindings: Record<string, unknown>): CoreLog;
}

/** A logger that drops everything, for tests that do not look at logs. */
export const silentLog: CoreLog = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  trace() {},
  child() {
    return silentLog;
  },
};
