/**
 * A network's channels (IRC LIST, RFC 2812 §3.2.6) as the disco#items of `net@gw`
 * (XEP-0030 §4), paged per XEP-0059.
 *
 * Why its own module: LIST is the one request whose answer arrives over many lines and
 * may be shared by several disco requests; the cache, the bounds and the paging are its
 * own small state machine (Session.list):
 *   none → fetching (LIST sent, requests wait, timer armed) → done (cached for
 *   LIST_CACHE_MS) → fetching again; any failure answers every waiting request.
 *
 * Rules: every waiting request is answered (result, error, or timeout); at most
 * MAX_LIST_ITEMS entries are kept and MAX_LIST_WAITING requests wait.
 */
import xml, { type Element } from '@xmpp/xml';
import { isValidChannelName } from '../address.js';
import { StanzaError } from '../errors.js';
import { discoItemsPayload } from '../gateway-entity.js';
import type { FullJid } from '../jid.js';
import { NS_RSM } from '../namespaces.js';
import type { Session } from '../session.js';
import { errorReply, iqResult } from '../stanza.js';
import type { BridgeContext } from './context.js';

/** A channel list is fetched from IRC at most this often per session. */
const LIST_CACHE_MS = 60_000;
/** Bound on the channels kept from one LIST (large networks have tens of thousands). */
const MAX_LIST_ITEMS = 20_000;
/** Disco requests that may wait for one LIST at once. */
const MAX_LIST_WAITING = 16;
/** Items in a disco#items page without RSM, and the most a client may ask for. */
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

type ListRequest = { iq: Element; set: Element | undefined };

/** disco#items on `net@gw`: from the cache, or after a LIST. */
export function listChannels(ctx: BridgeContext, iq: Element, query: Element, from: FullJid, network: string): void {
  const s = ctx.registry.get(ctx.userOf(from), network);
  if (!s || s.state !== 'registered') {
    throw new StanzaError('recipient-unavailable', `not connected to ${network}: join a room there first, then list its channels`);
  }
  const request = { iq, set: query.getChild('set', NS_RSM) };
  const fresh = s.list && s.list.done && ctx.o.now() - s.list.at < LIST_CACHE_MS;
  if (fresh) {
    answerList(ctx, s, request);
    return;
  }
  if (!s.list || s.list.done) {
    s.list = { at: ctx.o.now(), done: false, items: [], waiting: [] };
    ctx.sendLine(s, 'LIST', []);
    ctx.setTimer(ctx.listTimerId(s), ctx.o.joinTimeoutMs);
  }
  if (s.list.waiting.length >= MAX_LIST_WAITING) {
    throw new StanzaError('resource-constraint', 'the channel list is already being fetched; try again shortly');
  }
  s.list.waiting.push(request);
}

/** RPL_LIST (322): one channel; one whose name cannot be a room JID is left out. */
export function listEntry(ctx: BridgeContext, s: Session, p: readonly string[]): void {
  const name = p[1];
  if (!s.list || s.list.done || name === undefined || s.list.items.length >= MAX_LIST_ITEMS) return;
  if (!isValidChannelName(name, s.support.chantypes) || !canBeRoomJid(ctx, s, name)) {
    ctx.log.debug({ network: s.network }, 'left a LIST entry out: its name cannot be a room JID');
    return;
  }
  s.list.items.push({ name, users: Number(p[2] ?? 0) || 0, topic: ctx.text(p[3] ?? '') });
}

function canBeRoomJid(ctx: BridgeContext, s: Session, name: string): boolean {
  try {
    ctx.roomJid(s, name);
    return true;
  } catch {
    return false; // XEP-0106 cannot escape it (a leading space, say)
  }
}

/** RPL_LISTEND (323): sort by size and answer every waiting request. */
export function listEnd(ctx: BridgeContext, s: Session): void {
  if (!s.list || s.list.done) return;
  s.list.done = true;
  // The cache goes when it goes stale: a large list is not kept for the session's life.
  ctx.setTimer(ctx.listTimerId(s), LIST_CACHE_MS);
  s.list.items.sort((a, b) => b.users - a.users || (a.name < b.name ? -1 : 1));
  for (const r of s.list.waiting.splice(0)) answerList(ctx, s, r);
}

/** Every waiting channel-list request gets an error; the list is fetched afresh next time. */
export function failList(ctx: BridgeContext, s: Session, err: StanzaError): void {
  for (const r of s.list?.waiting.splice(0) ?? []) ctx.send(errorReply(r.iq, err));
  if (s.list && !s.list.done) s.list = undefined;
  ctx.clearTimer(ctx.listTimerId(s));
}

/** The list timer: a fetch that did not finish fails; a finished list is dropped. */
export function listTimer(ctx: BridgeContext, s: Session): void {
  if (s.list?.done) s.list = undefined;
  else failList(ctx, s, new StanzaError('remote-server-timeout', `${s.network} did not finish the channel list in time`));
}

/** Whether a LIST is being fetched (so that 263/416/481 are about it). */
export function listPending(s: Session): boolean {
  return s.list !== undefined && !s.list.done;
}

function answerList(ctx: BridgeContext, s: Session, request: ListRequest): void {
  const items = s.list?.items ?? [];
  // Without RSM a page of DEFAULT_PAGE, with the RSM set telling the count (XEP-0059 §2.6
  // lets a responder page what was not asked to be): never 20,000 items in one stanza.
  const max = Math.max(0, Math.min(Number(request.set?.getChildText('max') ?? DEFAULT_PAGE) || 0, MAX_PAGE));
  const after = request.set?.getChildText('after');
  let start = 0;
  if (after) {
    const i = items.findIndex((it) => it.name === after);
    if (i === -1) {
      ctx.send(errorReply(request.iq, new StanzaError('item-not-found', 'no such page')));
      return;
    }
    start = i + 1;
  }
  const page = items.slice(start, start + max);
  const payload = discoItemsPayload(
    page.map((it) => ({ jid: ctx.roomJid(s, it.name), name: it.topic ? `${it.name} (${it.users}) — ${it.topic}` : `${it.name} (${it.users})` })),
  );
  if (request.set || items.length > page.length) {
    payload.append(
      xml(
        'set',
        { xmlns: NS_RSM },
        page.length > 0 ? xml('first', { index: String(start) }, page[0]!.name) : null,
        page.length > 0 ? xml('last', {}, page[page.length - 1]!.name) : null,
        xml('count', {}, String(items.length)),
      ),
    );
  }
  ctx.send(iqResult(request.iq, payload));
}
