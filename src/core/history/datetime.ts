/**
 * XEP-0082 DateTime, the only time format of MAM (XEP-0313 §4.1.2), discussion history
 * (XEP-0045 §7.2.14 `since`) and delayed delivery (XEP-0203 `stamp`).
 *
 * Rules: `CCYY-MM-DDThh:mm:ss[.sss…]TZD` with TZD `Z` or `±hh:mm` (XEP-0082 §3.2);
 * anything else, or a date that does not exist (2026-02-30, 24:00:00), is refused
 * (undefined), never guessed. Fractions beyond milliseconds are truncated. Output is UTC
 * with milliseconds, which XEP-0082 allows.
 */

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** ms since the epoch, or undefined when `s` is not a XEP-0082 DateTime. */
export function parseDateTime(s: string): number | undefined {
  const m = DATETIME.exec(s);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, sec, frac, tz] = m as unknown as [string, string, string, string, string, string, string, string | undefined, string];
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec), ms);
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== Number(y) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    check.getUTCHours() !== Number(h) ||
    check.getUTCMinutes() !== Number(mi) ||
    check.getUTCSeconds() !== Number(sec)
  ) {
    return undefined;
  }
  if (tz === 'Z') return utc;
  const sign = tz[0] === '-' ? -1 : 1;
  const offH = Number(tz.slice(1, 3));
  const offM = Number(tz.slice(4, 6));
  if (offH > 23 || offM > 59) return undefined;
  return utc - sign * (offH * 60 + offM) * 60_000;
}

/** The XEP-0082 DateTime of `ms` (UTC, with milliseconds). */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}
