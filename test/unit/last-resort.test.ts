import { spawnSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT_CRASHED, installLastResortHandlers } from '../../src/last-resort.js';
import { createLogger } from '../../src/log.js';

// The spawned process runs the built modules, as main.ts does (`npm test` builds first).
const LOG = fileURLToPath(new URL('../../dist/src/log.js', import.meta.url));
const LAST_RESORT = fileURLToPath(new URL('../../dist/src/last-resort.js', import.meta.url));

/** Runs `body` in a fresh Node with the handlers installed; the same code main.ts runs. */
function crash(body: string): { status: number | null; lines: Array<Record<string, unknown>>; stderr: string } {
  const script = `
    const { createLogger } = await import(${JSON.stringify(LOG)});
    const { installLastResortHandlers } = await import(${JSON.stringify(LAST_RESORT)});
    const { log } = createLogger('info');
    installLastResortHandlers(process, log, () => console.log(JSON.stringify({ level: 30, msg: 'cleanup ran' })));
    ${body}
  `;
  if (!existsSync(LAST_RESORT)) throw new Error(`${LAST_RESORT} is missing: run \`npm run build\` first`);
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, lines, stderr: r.stderr };
}

describe('last-resort handlers (issue 8 §5)', () => {
  it('exits once even when cleanup itself throws, and at once on a second fatal error', () => {
    const proc = Object.assign(new EventEmitter(), { exit: (code: number) => void codes.push(code) });
    const codes: number[] = [];
    const lines: string[] = [];
    const { log } = createLogger('info', { write: (l: string) => void lines.push(l) });
    installLastResortHandlers(proc, log, () => {
      throw new Error('cleanup failed');
    });
    proc.emit('uncaughtException', new Error('first'));
    proc.emit('unhandledRejection', new Error('second'));
    expect(codes).toEqual([EXIT_CRASHED, EXIT_CRASHED]);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 60, err: { message: 'first' } });
  });

  it('logs an uncaught exception as one fatal JSON line, cleans up, and exits 3', () => {
    const r = crash(`setTimeout(() => { throw new Error('boom from a timer'); }, 1);`);
    expect(r.status).toBe(3);
    expect(r.lines[0]).toMatchObject({ level: 60, msg: 'uncaught exception: a bug in Jabirc; exiting', err: { message: 'boom from a timer' } });
    expect(r.lines[1]).toMatchObject({ msg: 'cleanup ran' });
    expect(r.stderr).not.toContain('boom');
  });

  it('treats an unhandled rejection the same way, whatever was thrown', () => {
    const r = crash(`Promise.reject('not even an Error');`);
    expect(r.status).toBe(3);
    expect(r.lines[0]).toMatchObject({ level: 60, msg: 'unhandled rejection: a bug in Jabirc; exiting', err: { message: 'not even an Error' } });
  });
});
