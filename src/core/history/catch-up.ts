/**
 * Catch-up from the IRC server (issue 10 §4): after Jabirc joins or rejoins a channel, ask
 * a server that offers IRCv3 chathistory for what was said since the newest archived line,
 * page by page, bounded. Pure: it says which CHATHISTORY command to send next; the bridge
 * sends it, records each line of the reply batch through `Archive.record` (with the line's
 * server-time and msgid, so a line already archived is not stored twice) and does not show
 * them as live messages.
 *
 * Rules kept (IRCv3 chathistory, https://ircv3.net/specs/extensions/chathistory):
 * - Only with the `draft/chathistory` (work in progress) or `chathistory` capability
 *   acknowledged; a server that has it SHOULD NOT replay history on join by itself.
 * - The first request is `CHATHISTORY AFTER <channel> timestamp=<t> <limit>` with t the
 *   newest archived line's time less CATCH_UP_FUZZ_MS (the spec's FUZZ_INTERVAL: clocks
 *   of linked servers differ; the overlap is deduplicated by msgid), but never before the
 *   retention period. A timestamp, not a msgid: the newest archived id may be one Jabirc
 *   made up for a line without msgid.
 * - Each further page is `AFTER … msgid=<last msgid of the previous batch>`. Catch-up
 *   stops at a batch shorter than asked, a batch whose last line has no msgid (no way to
 *   go on exactly), or CATCH_UP_MAX_LINES lines in all.
 * - `<limit>` is CATCH_UP_PAGE, or less when the server's ISUPPORT `CHATHISTORY=<n>`
 *   says so (0 means no maximum).
 * - Nothing archived for the channel: no catch-up (nobody could read what came before
 *   their span anyway).
 */
import { formatDateTime } from './datetime.js';

export const CATCH_UP_FUZZ_MS = 10_000;
export const CATCH_UP_PAGE = 100;
export const CATCH_UP_MAX_LINES = 1_000;

/** The capability to request for chathistory, when the server offers one. */
export function chathistoryCap(offered: Iterable<string>): 'chathistory' | 'draft/chathistory' | undefined {
  const caps = new Set(offered);
  if (caps.has('chathistory')) return 'chathistory';
  if (caps.has('draft/chathistory')) return 'draft/chathistory';
  return undefined;
}

/** The server's maximum per request from ISUPPORT `CHATHISTORY=<n>`; undefined when it gives none. */
export function chathistoryServerMax(isupportValue: string | undefined): number | undefined {
  return isupportValue !== undefined && /^\d{1,9}$/.test(isupportValue) ? Number(isupportValue) : undefined;
}

export interface CatchUp {
  readonly channel: string;
  /** Lines received so far. */
  readonly received: number;
  /** The limit of the request in flight. */
  readonly asked: number;
  readonly pageSize: number;
}

/** The IRC command parameters to send, and the state to keep until its batch ends. */
export interface CatchUpStep {
  readonly state: CatchUp;
  readonly command: readonly string[];
}

export interface CatchUpStart {
  readonly channel: string;
  /** `Archive.newest(network, channel)`. */
  readonly newest: { readonly at: number } | undefined;
  readonly now: number;
  readonly retentionMs: number;
  /** `chathistoryServerMax` of the server's ISUPPORT. */
  readonly serverMax?: number;
}

export function startCatchUp(s: CatchUpStart): CatchUpStep | undefined {
  if (s.newest === undefined) return undefined;
  const pageSize = s.serverMax !== undefined && s.serverMax > 0 ? Math.min(CATCH_UP_PAGE, s.serverMax) : CATCH_UP_PAGE;
  const from = Math.max(s.newest.at - CATCH_UP_FUZZ_MS, s.now - s.retentionMs);
  const asked = Math.min(pageSize, CATCH_UP_MAX_LINES);
  return {
    state: { channel: s.channel, received: 0, asked, pageSize },
    command: ['CHATHISTORY', 'AFTER', s.channel, `timestamp=${formatDateTime(from)}`, String(asked)],
  };
}

/** After a reply batch (`count` lines, the last with msgid `lastMsgid`): the next request, or undefined when done. */
export function continueCatchUp(state: CatchUp, batch: { readonly count: number; readonly lastMsgid?: string }): CatchUpStep | undefined {
  const received = state.received + batch.count;
  if (batch.count < state.asked || batch.lastMsgid === undefined || received >= CATCH_UP_MAX_LINES) return undefined;
  const asked = Math.min(state.pageSize, CATCH_UP_MAX_LINES - received);
  return {
    state: { ...state, received, asked },
    command: ['CHATHISTORY', 'AFTER', state.channel, `msgid=${batch.lastMsgid}`, String(asked)],
  };
}
