/**
 * A plain IRC user for integration tests: a raw TCP socket to the harness IRC server,
 * so tests see exactly the lines the server relays (nothing interpreted by a library).
 *
 * Rules: every line received is buffered and parsed with Jabirc's own parser;
 * `waitFor` matches buffered lines too and consumes what it matches. PING is answered.
 */
import { createConnection, type Socket } from 'node:net';
import { parseIrcLine, type IrcMessage } from '../../src/core/irc-message.js';

export interface IrcUser {
  nick: string;
  send(line: string): void;
  waitFor(pred: (m: IrcMessage) => boolean, timeoutMs?: number): Promise<IrcMessage>;
  /** Lines received and not consumed. */
  pending(): readonly IrcMessage[];
  /** Everything received, consumed or not, as raw lines. */
  raw(): readonly string[];
  stop(): Promise<void>;
}

export async function connectIrcUser(host: string, port: number, nick: string, caps: string[] = []): Promise<IrcUser> {
  const socket: Socket = createConnection({ host, port });
  socket.setEncoding('utf8');
  const buffered: IrcMessage[] = [];
  const all: string[] = [];
  const waiters: Array<{ pred: (m: IrcMessage) => boolean; resolve: (m: IrcMessage) => void }> = [];
  let partial = '';
  socket.on('data', (chunk: string) => {
    partial += chunk;
    let i: number;
    while ((i = partial.indexOf('\n')) !== -1) {
      const line = partial.slice(0, i).replace(/\r$/, '');
      partial = partial.slice(i + 1);
      all.push(line);
      const m = parseIrcLine(line);
      if (m.kind !== 'message') continue;
      if (m.command === 'PING') {
        socket.write(`PONG :${m.params[0] ?? ''}\r\n`);
        continue;
      }
      const w = waiters.findIndex((x) => x.pred(m));
      if (w !== -1) waiters.splice(w, 1)[0]!.resolve(m);
      else buffered.push(m);
    }
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const user: IrcUser = {
    nick,
    send(line) {
      socket.write(`${line}\r\n`);
    },
    waitFor(pred, timeoutMs = 15_000) {
      const i = buffered.findIndex(pred);
      if (i !== -1) return Promise.resolve(buffered.splice(i, 1)[0]!);
      return new Promise((resolve, reject) => {
        const entry = { pred, resolve: (m: IrcMessage) => (clearTimeout(t), resolve(m)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(entry), 1);
          reject(new Error(`IRC user ${nick}: no matching line within ${timeoutMs} ms; received:\n${all.slice(-30).join('\n')}`));
        }, timeoutMs);
        waiters.push(entry);
      });
    },
    pending: () => buffered,
    raw: () => all,
    async stop() {
      if (!socket.destroyed) {
        socket.write('QUIT :bye\r\n');
        socket.end();
        await new Promise((r) => setTimeout(r, 50));
        socket.destroy();
      }
    },
  };
  if (caps.length > 0) user.send(`CAP REQ :${caps.join(' ')}`);
  user.send(`NICK ${nick}`);
  user.send(`USER ${nick} 0 * :${nick}`);
  if (caps.length > 0) user.send('CAP END');
  await user.waitFor((m) => m.command === '001', 20_000);
  return user;
}
