/**
 * The last-resort handlers: an exception nothing caught, or a rejected promise
 * nobody awaited, is logged as one fatal JSON line and the process exits with
 * code 3, instead of Node printing a stack to stderr and dying silently as far as
 * the log is concerned (issue 8 §5).
 *
 * Why exit, not keep running: such an error left some state half-updated at a
 * place nobody expected to throw (Node's documentation: it "is not safe to resume
 * normal operation after 'uncaughtException'"), and we cannot prove which. Every
 * path a peer can reach is guarded where it enters (the XMPP link's parser and
 * writer, the IRC adapter's socket events, the runtime's core calls), so reaching
 * this handler means a bug of ours; a supervisor restarts the process, and
 * persistent channels come back by themselves. Before exiting, `cleanup` runs
 * (closing the database cleanly), bounded by its own try/catch; a second fatal
 * error while that runs exits at once.
 */
import type { Logger } from './log.js';

/** Exit code after an uncaught exception or unhandled rejection. */
export const EXIT_CRASHED = 3;

interface ProcessLike {
  on(event: 'uncaughtException', listener: (err: unknown) => void): unknown;
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  exit(code: number): never | void;
}

export function installLastResortHandlers(proc: ProcessLike, log: Logger, cleanup: () => void): void {
  let dying = false;
  const die = (what: 'uncaught exception' | 'unhandled rejection', err: unknown): void => {
    if (dying) {
      proc.exit(EXIT_CRASHED);
      return;
    }
    dying = true;
    try {
      log.fatal({ err: err instanceof Error ? err : { message: String(err) } }, `${what}: a bug in Jabirc; exiting`);
    } catch {
      process.stderr.write(`jabirc: ${what}: ${String(err)}\n`);
    }
    try {
      cleanup();
    } catch {
      // Exiting anyway; the database survives an unclean close (WAL).
    }
    proc.exit(EXIT_CRASHED);
  };
  proc.on('uncaughtException', (err) => die('uncaught exception', err));
  proc.on('unhandledRejection', (reason) => die('unhandled rejection', reason));
}
