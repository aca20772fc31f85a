/**
 * What Jabirc takes from biboumi 9 (louiz/biboumi, the XMPP ⇄ IRC gateway most users
 * move from), and why it leaves the rest: its setting names, its defaults, its port
 * lists. One module, read by the `configure` ad-hoc aliases (adhoc.ts) and by
 * `jabirc import-biboumi` (store/biboumi-import.ts), so that a submitted biboumi form and
 * an imported biboumi database are judged by the same words.
 *
 * Biboumi's settings (its ad-hoc forms' field vars; the database columns of the same name
 * without `_`, e.g. `tlsports_`) and where they go in Jabirc:
 *
 * | biboumi                     | Jabirc                                                  |
 * | --------------------------- | ------------------------------------------------------- |
 * | `nick` `username` `realname`| the identity (defaults on `gw`, a network on `net@gw`)  |
 * | `sasl_password`             | SASL password; the account is the nick, as in biboumi   |
 * | `pass`                      | server password (PASS)                                  |
 * | `after_connect_commands`    | after-connect commands                                  |
 * | `tls_ports`, `ports`        | one port and TLS: see {@link portsFromBiboumi}          |
 * | `verify_cert`               | verify the server certificate                           |
 * | `encoding_in`               | the fallback encoding (network or room)                 |
 * | `persistent` (room)         | the room stays joined                                   |
 * | everything else             | not taken, for the reason in {@link NOT_TAKEN}          |
 *
 * Rules:
 * - Biboumi tries every TLS port in order, then every plain port (irc_client.cpp pushes
 *   them on a stack); Jabirc connects on one port. So the first TLS port wins, else the
 *   first plain one, and the others are named as unused. Biboumi's own defaults (plain
 *   6667, TLS 6697 and 6670) are no choice of the user: they mean "the operator's
 *   settings" here, so they set nothing.
 * - A value equal to biboumi's default is no choice of the user either: the import does
 *   not report it as left out (see {@link BIBOUMI_DEFAULTS}).
 * Pure: no IO.
 */

/** Why a biboumi setting is not taken, by its form field var. */
export const NOT_TAKEN = {
  encoding_out: 'Jabirc always sends UTF-8',
  record_history: 'history is configured by the operator',
  max_history_length: 'history is configured by the operator',
  throttle_limit: "flood control is the operator's",
  fingerprint: 'Jabirc pins no certificate: it verifies against the system CAs, or not at all (verify_cert)',
  address: "where a network is reached is the operator's setting ([irc.networks] host)",
  /** `persistent` on `gw`: biboumi's "make all channels persistent". */
  persistent_all: "Jabirc has no all-channels default: set persistent in each room's configure",
  /** A per-network setting submitted on `gw` or on a room. */
  network_only: 'a per-network setting: use configure on the network (net@gw)',
  /** `persistent` submitted on a network. */
  room_only: "a per-room setting: use configure on the room (#channel%net@gw)",
} as const;

/** Biboumi 9's defaults (database.hpp): a column holding one is no choice of the user. */
export const BIBOUMI_DEFAULTS = {
  ports: ['6667'],
  tlsPorts: ['6697', '6670'],
  maxHistoryLength: 20,
  throttleLimit: 10,
  verifyCert: true,
  recordHistory: true,
} as const;

/** The settings biboumi keeps per IRC server (`configure` on `server@gw`), by form var. */
export const BIBOUMI_NETWORK_FIELDS: readonly string[] = [
  'nick',
  'username',
  'realname',
  'sasl_password',
  'pass',
  'after_connect_commands',
  'ports',
  'tls_ports',
  'verify_cert',
  'fingerprint',
  'address',
  'encoding_in',
  'encoding_out',
  'throttle_limit',
  'max_history_length',
];

/** A biboumi port list: a form's values, or a column's `;`-separated text ("6697;6670;"). */
export function splitBiboumiPorts(values: string | readonly string[]): string[] {
  const parts = typeof values === 'string' ? values.split(';') : values.flatMap((v) => v.split(';'));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

export type BiboumiPorts =
  /** `port`/`tls` undefined: the operator's settings apply. */
  | { kind: 'ports'; port?: number; tls?: boolean; unused: string[] }
  | { kind: 'error'; field: 'ports' | 'tls_ports'; text: string };

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Biboumi's port lists as Jabirc's one port and TLS flag (see the module header).
 * Both lists biboumi's defaults, or both empty: the operator's settings.
 */
export function portsFromBiboumi(plain: readonly string[], tls: readonly string[]): BiboumiPorts {
  for (const [field, list] of [['ports', plain], ['tls_ports', tls]] as const) {
    const bad = list.find((p) => !/^\d{1,5}$/.test(p) || Number(p) < 1 || Number(p) > 65535);
    if (bad !== undefined) return { kind: 'error', field, text: `"${bad.slice(0, 20)}" is not a port (1 to 65535)` };
  }
  if (sameList(plain, BIBOUMI_DEFAULTS.ports) && sameList(tls, BIBOUMI_DEFAULTS.tlsPorts)) return { kind: 'ports', unused: [] };
  const [first, ...rest] = [...tls.map((p) => ({ p, tls: true })), ...plain.map((p) => ({ p, tls: false }))];
  if (first === undefined) return { kind: 'ports', unused: [] };
  return { kind: 'ports', port: Number(first.p), tls: first.tls, unused: rest.map((r) => (r.tls ? `${r.p} (TLS)` : r.p)) };
}

/** The note naming unused ports, or undefined when none are. */
export function unusedPortsText(ports: BiboumiPorts): string | undefined {
  if (ports.kind !== 'ports' || ports.unused.length === 0) return undefined;
  const used = `${ports.port}${ports.tls ? ' with TLS' : ' without TLS'}`;
  return `Jabirc connects on one port (${used}); ${ports.unused.join(', ')} not used`;
}
