/**
 * What the IRC server itself says to the user: the MOTD (RFC 2812 §5.1, 375/372/376/422),
 * collected and shown as one message from the network entity `net@gw`.
 *
 * Rules: at most MAX_MOTD_LINES lines are kept; a MOTD interrupted by a lost link is
 * still shown before the "Disconnected" notice.
 */
import type { Session } from '../../session.js';
import type { BridgeContext } from '../context.js';

const MAX_MOTD_LINES = 500;

export function motdStart(s: Session): void {
  s.motd = s.motd ?? [];
}

/** One MOTD line, or a server notice that arrives while the MOTD is being collected. */
export function motdLine(s: Session, text: string): void {
  if ((s.motd ??= []).length < MAX_MOTD_LINES) s.motd.push(text);
}

/** End of MOTD (376), or no MOTD (422, with its text as `fallback`). */
export function flushMotd(ctx: BridgeContext, s: Session, fallback: string | undefined): void {
  const lines = s.motd ?? [];
  if (fallback) lines.push(fallback);
  s.motd = undefined;
  if (lines.length > 0) ctx.networkNotice(s, lines.join('\n'));
}
