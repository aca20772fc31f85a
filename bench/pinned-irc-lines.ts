/**
 * Whether what the core keeps from IRC lines pins the lines it was cut from (issue 11 §3).
 * In V8 a substring of 13 or more characters is a view into its parent string, so a kept
 * capability name, CHANMODES group, topic, away text or nick keeps its whole line alive,
 * IRCv3 tags included. irc-pool.ts decodes each line into a string of its own, so at worst a
 * line (not a socket read) is pinned, for as long as the value is kept.
 *
 * The bench registers USERS sessions as a Libera-like server would (CAP ACK, 005 with
 * CHANMODES, a tagged JOIN echo, NAMES with userhost-in-names, a tagged topic, then an AWAY
 * from every member), each user in its own channel of MEMBERS, and prints the V8 heap kept
 * per session after a full GC. Lines of realistic length: the figure is what each session
 * holds, bytes of pinned lines included.
 *   npm run build && node --expose-gc dist/bench/pinned-irc-lines.js [USERS=2000] [MEMBERS=10]
 */
import { writeHeapSnapshot } from 'node:v8';
import xml from '@xmpp/xml';
import { World, GW, NET, USER_DOMAIN } from './world.js';
import { connKey } from '../src/core/effects.js';

const users = Number(process.argv[2] ?? 2000);
const members = Number(process.argv[3] ?? 10);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const SERVER = 'copper.libera.chat';
const CAPS = 'account-notify away-notify chghost extended-join invite-notify message-tags multi-prefix server-time userhost-in-names cap-notify account-tag';
const ISUPPORT =
  'ACCOUNTEXTBAN=a WHOX KNOCK CHANTYPES=# EXCEPTS INVEX CHANMODES=eIbq,k,flj,CFLMPQRSTcgimnprstuz CHANLIMIT=#:250 PREFIX=(ov)@+ MAXLIST=bqeI:100 MODES=4 NETWORK=Libera.Chat STATUSMSG=@+ CALLERID=g CASEMAPPING=rfc1459';
const time = (i: number): string => `@time=2026-12-01T22:${String(i % 60).padStart(2, '0')}:00.000Z;msgid=${'m'.repeat(20)}${i}`;

const world = new World();
const drive = (i: number): void => {
  const nick = `u${i}`;
  const channel = `#jabirc-bench-channel-${i}`;
  const key = connKey(`${nick}@${USER_DOMAIN}`, NET);
  const others = Array.from({ length: members - 1 }, (_, k) => `member_${i}_${k}`);
  world.core.onStanza(
    xml('presence', { from: `${nick}@${USER_DOMAIN}/r0`, to: `${channel}%${NET}@${GW}/${nick}` }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })),
  );
  world.core.onIrcLine(key, `:${SERVER} CAP ${nick} ACK :${CAPS}`);
  world.core.onIrcEvent(key, { kind: 'registered', nick });
  world.core.onIrcLine(key, `:${SERVER} 005 ${nick} ${ISUPPORT} :are supported by this server`);
  world.core.onIrcLine(key, `${time(i)};account=${nick} :${nick}!~${nick}@gateway/web/jabirc/ip.192.0.2.${i % 250} JOIN ${channel} ${nick} :Jabirc user`);
  const names = others.map((o) => `${o}!~${o}@user/${o}/x-${'h'.repeat(12)}`);
  world.core.onIrcLine(key, `:${SERVER} 353 ${nick} = ${channel} :@${nick}!~${nick}@gateway/web/jabirc/x ${names.join(' ')}`);
  world.core.onIrcLine(key, `:${SERVER} 366 ${nick} ${channel} :End of /NAMES list.`);
  world.core.onIrcLine(key, `${time(i)} :${SERVER} 332 ${nick} ${channel} :Channel ${i} of the bench | be nice | https://example.org/a/rather/long/topic/url/${i}`);
  for (const o of others) world.core.onIrcLine(key, `${time(i)};account=${o} :${o}!~${o}@user/${o}/x-${'h'.repeat(12)} AWAY :Gone for lunch, back in an hour or so (${o})`);
};

drive(0); // the first session's one-off allocations (shared tables, compiled code) are not counted
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 1; i <= users; i++) drive(i);
gc();
const after = process.memoryUsage().heapUsed;
if (world.bridge.sessionCount !== users + 1) throw new Error(`expected ${users + 1} sessions, the bridge has ${world.bridge.sessionCount}`);
if (process.env.SNAPSHOT) writeHeapSnapshot(process.env.SNAPSHOT);
console.log(`${users} sessions of ${members} members: ${((after - before) / users / 1024).toFixed(2)} kB of heap kept per session`);
