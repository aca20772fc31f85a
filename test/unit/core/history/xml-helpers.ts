/** Helpers of the history tests: XML from text, a room address, a store on `:memory:`. */
import xml, { type Element } from '@xmpp/xml';
import type { MamRoom } from '../../../../src/core/history/mam.js';
import { openDatabase } from '../../../../src/store/database.js';
import { SqliteArchiveStore } from '../../../../src/store/archive-store.js';

/** One element parsed from its XML text (as the XMPP link would hand it over). */
export function parse(text: string): Element {
  const parser = new xml.Parser();
  let out: Element | undefined;
  parser.on('element', (el) => {
    out = el;
  });
  parser.on('error', (err) => {
    throw err;
  });
  parser.write(`<stream xmlns="jabber:component:accept">${text}</stream>`);
  if (out === undefined) throw new Error(`no element in ${text}`);
  return out;
}

export const NET = 'irc.example.net';
export const ROOM_JID = '#chan%irc.example.net@irc.gw';
export const ROOM: MamRoom = {
  jid: ROOM_JID,
  occupantJid: (nick) => (nick === '' ? ROOM_JID : `${ROOM_JID}/${nick}`),
};

export function memoryArchive(): SqliteArchiveStore {
  return new SqliteArchiveStore(openDatabase(':memory:').db, { retentionDays: 30, maxPerChannel: 1000 });
}
