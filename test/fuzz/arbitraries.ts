/**
 * fast-check arbitraries for hostile input: IRC lines as a hostile server (or
 * an IRC user relayed through it) could send them, and stanzas as the XMPP
 * server could route them to us. Everything generated is plain JSON data, so a
 * shrunk counterexample can be stored in corpus.json and replayed as it is.
 *
 * Bias: the strings mix ordinary text with what breaks things: C0 and C1
 * controls, DEL, U+FFFE/U+FFFF, lone surrogates, astral characters, the IRC
 * delimiters (space, `:`, `@`, `!`, `;`, `\`), XEP-0106 escapes (`\20`), the
 * address separators (`%`, `@`, `/`) and the XML specials (`<&"'`, `]]>`).
 */
import fc from 'fast-check';

// ------------------------------------------------------------------ strings

const SPECIAL_CHARS = [
  '\x00', '\x01', '\x02', '\x03', '\x07', '\x0b', '\x0f', '\x1b', '\x1f', '\t', '\r', '\n', '\x7f', '\x85', '\x9f',
  '\uFFFE', '\uFFFF', '\uFFFD', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\u200B', '\u202E', '\uFEFF', '😀', '\u{10FFFF}',
  ' ', ':', '@', '!', ';', '\\', '=', '%', '/', '#', '&', '<', '>', '"', "'", '+', '~', ',', '*', '?', '.',
  'é', 'ß', 'İ', '[', ']', '{', '}', '|', '^',
];

/** One UTF-16 unit or code point: mostly plain letters, often something hostile. */
const hostileUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcxyzABC0129-_') },
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL_CHARS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((n) => String.fromCharCode(n)) },
);

export const hostileString = (maxLength = 24): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: hostileUnit, maxLength }) },
    { weight: 1, arbitrary: fc.constantFrom('', ' ', ':', ']]>', '\\20', '\\5c', '%', '@', '/', 'a b', '\r\nQUIT :x', '\x01ACTION x\x01', '/me waves') },
  );

/** Text without space (a middle IRC parameter), possibly empty or odd. */
const token = (maxLength = 16): fc.Arbitrary<string> => hostileString(maxLength).map((s) => s.replace(/ /g, ''));

// ------------------------------------------------------------------ IRC lines

export const CHANNELS = ['#c', '#C', '#chan', '&local', '#ünï', '#a%b', '#x\\20y'];
/** `$me` is replaced by the runner with the nick the connection registered with. */
export const NICKS = ['$me', '$me', 'alice', 'Alice', 'bob', 'carol', 'NickServ', '[x]', 'a^b', 'me'];

const COMMANDS = [
  '001', '002', '004', '005', '321', '322', '323', '324', '329', '331', '332', '333', '353', '366', '367', '368', '372', '375', '376',
  '401', '403', '404', '405', '421', '422', '432', '433', '436', '437', '442', '451', '461', '471', '473', '474', '475', '477', '482',
  '263', '416', '481', '900', '901', '902', '903', '904', '905', '906', '907', '908',
  'JOIN', 'PART', 'KICK', 'QUIT', 'NICK', 'PRIVMSG', 'NOTICE', 'TAGMSG', 'MODE', 'TOPIC', 'INVITE', 'ERROR', 'PING', 'PONG', 'CAP',
  'AUTHENTICATE', 'BATCH', 'AWAY', 'ACCOUNT', 'CHGHOST', 'SETNAME', 'FAIL', 'WARN', 'NOTE',
];

const command: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...COMMANDS) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0')) },
  { weight: 1, arbitrary: fc.constantFrom('privmsg', 'Join', 'X', 'ZZZ', '12', '1234', 'PRIV MSG') },
  { weight: 1, arbitrary: token(8) },
);

/** A middle parameter: a channel, nick, numeric-ish value or junk. */
const middle: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...CHANNELS) },
  { weight: 3, arbitrary: fc.constantFrom(...NICKS) },
  { weight: 1, arbitrary: fc.constantFrom('*', '=', '@', '+o', '-v+b', '+k', 'LS', 'ACK', 'NAK', 'NEW', 'DEL', '0', '99999999999', '-1') },
  { weight: 3, arbitrary: token() },
);

/** NAMES-like and ISUPPORT-like trailing texts, and plain hostile text. */
const trailing: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileString(60) },
  { weight: 1, arbitrary: fc.array(fc.tuple(fc.constantFrom('', '@', '+', '~', '&', '%', '@+', '!'), fc.oneof(fc.constantFrom(...NICKS), token(12))), { maxLength: 6 }).map((es) => es.map(([p, n]) => p + n).join(' ')) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom('PREFIX=(ov)@+', 'PREFIX=(qaohv)~&@%+', 'PREFIX=', 'PREFIX=(o)', 'CHANTYPES=#', 'CHANTYPES=', 'CASEMAPPING=ascii', 'CASEMAPPING=rfc1459', 'CASEMAPPING=strict-rfc1459', 'CASEMAPPING=bogus', 'CHANMODES=beI,k,l,imnpst', 'CHANMODES=,,,', 'NICKLEN=1', 'NETWORK=Evil\x01Net', 'MONITOR', 'UTF8ONLY'), { maxLength: 5 }).map((ts) => ts.join(' ')) },
  { weight: 1, arbitrary: fc.constantFrom('sasl multi-prefix message-tags echo-message batch server-time', 'sasl=PLAIN,EXTERNAL', '*', '') },
);

const tagKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('msgid', 'time', 'batch', 'account', 'label', '+typing', '+draft/reply', 'jabirc.invalid/raw', 'draft/multiline-concat') },
  { weight: 1, arbitrary: token(10) },
);
const tagValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: hostileString(20).map((s) => s.replace(/[ ;]/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom('2024-01-02T03:04:05.678Z', '1970-01-01T00:00:00Z', 'not-a-date', '9999-99-99T99:99:99Z', 'aGVsbG8=', '!!!', '\\s\\:\\\\\\r\\n', '\\') },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64')) },
);
const tags: fc.Arbitrary<string> = fc
  .array(fc.tuple(tagKey, fc.option(tagValue, { nil: undefined })), { minLength: 1, maxLength: 4 })
  .map((ts) => `@${ts.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(';')}`);

const source: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('irc.local', 'irc.example.net', 'services.') },
  { weight: 4, arbitrary: fc.tuple(fc.oneof(fc.constantFrom(...NICKS), token(12)), token(8), token(12)).map(([n, u, h]) => `${n}!${u}@${h}`) },
  { weight: 1, arbitrary: token(20) },
);

/** One line as the IRC adapter hands it to the core: no CR/LF framing left, anything else possible. */
export const ircLine: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .record({
        tags: fc.option(tags, { nil: undefined }),
        source: fc.option(source, { nil: undefined }),
        command,
        params: fc.array(middle, { maxLength: 5 }),
        trailing: fc.option(trailing, { nil: undefined }),
        gap: fc.constantFrom(' ', ' ', ' ', '  '),
      })
      .map(({ tags: t, source: s, command: c, params, trailing: tr, gap }) =>
        [t, s === undefined ? undefined : `:${s}`, c, ...params, tr === undefined ? undefined : `:${tr}`].filter((x) => x !== undefined).join(gap),
      ),
  },
  // Raw bytes as the adapter decodes them (UTF-8, else windows-1252, RAW_BYTES_TAG added).
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 80 }).map(bytesToLine) },
  { weight: 1, arbitrary: hostileString(80) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', ':', '@', '@ ', ': PRIVMSG', ':x', '@a=b :c', `:irc.local 353 me = #c :${'n '.repeat(300)}`, 'x'.repeat(9000), `@${'t'.repeat(9000)} PING x`) },
);

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const WINDOWS_1252 = new TextDecoder('windows-1252');

/** What adapters/irc-pool.ts makes of bytes between two LFs (the final CR removed). */
export function bytesToLine(bytes: Uint8Array): string {
  let body = bytes;
  if (body.length > 0 && body[body.length - 1] === 0x0d) body = body.subarray(0, -1);
  try {
    return STRICT_UTF8.decode(body);
  } catch {
    const text = WINDOWS_1252.decode(body);
    const tag = `@jabirc.invalid/raw=${Buffer.from(body).toString('base64')}`;
    return text.startsWith('@') ? `${tag};${text.slice(1)}` : `${tag} ${text}`;
  }
}

// ------------------------------------------------------------------ stanzas

/** A stanza as plain data; `children` are elements or text. */
export interface ElementData {
  name: string;
  attrs: Record<string, string>;
  children: Array<ElementData | string>;
}

export const GW = 'irc.example.org';
export const NET = 'irc.example.net';
export const OTHER_NET = 'irc.other.net';
export const USERS = ['alice@example.org/laptop', 'alice@example.org/phone', 'bob@example.org/x', 'admin@example.org/a', 'mallory@evil.example/m'];

const NAMESPACES = [
  'http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'urn:xmpp:ping', 'jabber:iq:version',
  'jabber:iq:register', 'jabber:iq:gateway', 'http://jabber.org/protocol/commands', 'http://jabber.org/protocol/muc',
  'http://jabber.org/protocol/muc#user', 'http://jabber.org/protocol/muc#admin', 'http://jabber.org/protocol/muc#owner',
  'http://jabber.org/protocol/rsm', 'jabber:x:data', 'urn:xmpp:sid:0', 'http://jabber.org/protocol/chatstates', 'urn:xmpp:delay', 'jabber:x:conference',
];
const ELEMENT_NAMES = [
  'query', 'ping', 'command', 'x', 'item', 'set', 'max', 'after', 'before', 'field', 'value', 'username', 'password', 'remove',
  'body', 'subject', 'thread', 'nick', 'reason', 'actor', 'password', 'history', 'invite', 'decline', 'destroy', 'status', 'show',
  'priority', 'error', 'text', 'active', 'composing', 'origin-id', 'delay', 'actions', 'next', 'prev', 'complete', 'note',
];
const ATTR_NAMES = ['xmlns', 'node', 'action', 'sessionid', 'var', 'type', 'label', 'jid', 'nick', 'role', 'affiliation', 'code', 'id', 'by', 'seconds', 'maxstanzas', 'xml:lang', 'name'];
const FIELD_VARS = ['FORM_TYPE', 'username', 'nick', 'password', 'sasl_account', 'sasl_password', 'nickserv_password', 'after_connect', 'encoding', 'port', 'tls', 'verify_certificate', 'realname', 'persistent', 'key', 'network', 'channel'];
const NODES = ['', 'configure', 'room', 'settings', 'forget', 'connections', 'disconnect', 'broadcast', 'http://jabber.org/protocol/commands', 'bogus'];

const xmlName: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ELEMENT_NAMES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9._-]{0,8}$/) },
  { weight: 1, arbitrary: fc.constantFrom('x:y', 'é', 'a.b', '_', 'stream:error') },
);

const attrValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: hostileString(30) },
  { weight: 2, arbitrary: fc.constantFrom(...NAMESPACES, ...NODES, ...FIELD_VARS, 'get', 'set', 'result', 'error', 'submit', 'cancel', 'execute', 'complete', 'none', 'moderator', 'outcast', 'member', 'kick', '0', '-1', '1000000', '110', '201') },
);

/** A JID-like string, often a gateway address (room, occupant, IRC user, network entity), sometimes junk. */
export const address: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(GW, `${NET}@${GW}`, `${OTHER_NET}@${GW}`, `unknown.net@${GW}`, `${GW}/res`) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.oneof(fc.constantFrom(...CHANNELS), token(12)), fc.constantFrom(NET, OTHER_NET, 'unknown.net', ''), fc.option(fc.oneof(fc.constantFrom(...NICKS), hostileString(16)), { nil: undefined }))
      .map(([c, n, r]) => `${c}${n ? `%${n}` : ''}@${GW}${r === undefined ? '' : `/${r}`}`),
  },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(fc.constantFrom(...NICKS), token(12)), fc.constantFrom(NET, OTHER_NET)).map(([n, net]) => `${n}%${net}@${GW}`) },
  { weight: 1, arbitrary: fc.tuple(hostileString(20), fc.constantFrom(GW, `${GW}.`, 'IRC.EXAMPLE.ORG')).map(([l, d]) => `${l}@${d}`) },
  { weight: 1, arbitrary: hostileString(30) },
);

const sender: fc.Arbitrary<string> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...USERS) },
  { weight: 1, arbitrary: fc.constantFrom('alice@example.org', 'ALICE@Example.ORG/laptop', 'example.org', 'x@example.org/', '@example.org/a') },
  { weight: 1, arbitrary: hostileString(20) },
);

const leafText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: hostileString(40) },
  { weight: 1, arbitrary: fc.constantFrom('/me waves', '/ME x', 'hi\r\nQUIT :bye', 'PRIVMSG #x :y', '\x01VERSION\x01', 'x'.repeat(600), 'é'.repeat(300), '😀'.repeat(200)) },
);

const { payload } = fc.letrec<{ payload: ElementData; node: ElementData | string }>((tie) => ({
  payload: fc
    .record({
      name: xmlName,
      attrs: fc.dictionary(fc.constantFrom(...ATTR_NAMES), attrValue, { maxKeys: 4 }),
      children: fc.array(tie('node'), { maxLength: 4, depthIdentifier: 'payload' }),
    })
    .map((e) => e as ElementData),
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafText, tie('payload')),
}));

/** Payloads the core serves, as element name and namespace. */
const KNOWN_PAYLOADS: Array<[string, string]> = [
  ['query', 'http://jabber.org/protocol/disco#info'], ['query', 'http://jabber.org/protocol/disco#items'], ['ping', 'urn:xmpp:ping'],
  ['query', 'jabber:iq:version'], ['query', 'jabber:iq:register'], ['query', 'jabber:iq:gateway'], ['command', 'http://jabber.org/protocol/commands'],
  ['query', 'http://jabber.org/protocol/muc#admin'], ['query', 'http://jabber.org/protocol/muc#owner'], ['x', 'http://jabber.org/protocol/muc'],
];

/** A namespaced child the core knows (or a near miss), filled with random content. */
const knownPayload: fc.Arbitrary<ElementData> = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KNOWN_PAYLOADS) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('query', 'ping', 'command', 'x', 'body', 'subject'), fc.constantFrom(...NAMESPACES)) }),
    payload,
    fc.constantFrom(...NODES),
    fc.constantFrom('', 'execute', 'cancel', 'complete', 'next'),
  )
  .map(([[name, xmlns], inner, node, action]) => [name, xmlns, inner, node, action] as const)
  .map(([name, xmlns, inner, node, action]) => {
    const attrs: Record<string, string> = { xmlns };
    if (name === 'command') {
      if (node) attrs.node = node;
      if (action) attrs.action = action;
    }
    return { name, attrs, children: inner.children };
  });

const dataForm: fc.Arbitrary<ElementData> = fc
  .array(fc.tuple(fc.constantFrom(...FIELD_VARS), fc.array(leafText, { maxLength: 3 })), { maxLength: 6 })
  .map((fields) => ({
    name: 'x',
    attrs: { xmlns: 'jabber:x:data', type: 'submit' },
    children: fields.map(([v, values]) => ({ name: 'field', attrs: { var: v }, children: values.map((t) => ({ name: 'value', attrs: {}, children: [t] })) })),
  }));

/** A stanza as the XMPP server would route it to the component (id made unique by the runner). */
export const stanza: fc.Arbitrary<ElementData> = fc
  .record({
    name: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('iq', 'message', 'presence') }, { weight: 1, arbitrary: fc.constantFrom('handshake', 'foo') }),
    type: fc.option(fc.constantFrom('get', 'set', 'result', 'error', 'chat', 'groupchat', 'normal', 'headline', 'unavailable', 'subscribe', 'subscribed', 'unsubscribe', 'probe', 'bogus', ''), { nil: undefined }),
    from: sender,
    to: address,
    id: fc.option(fc.constantFrom('', 'same', '\x01'), { nil: undefined }),
    children: fc.array(fc.oneof({ weight: 3, arbitrary: knownPayload }, { weight: 1, arbitrary: dataForm }, { weight: 1, arbitrary: payload }), { maxLength: 3 }),
  })
  .map(({ name, type, from, to, id, children }) => {
    const attrs: Record<string, string> = { from, to };
    if (type !== undefined) attrs.type = type;
    if (id !== undefined) attrs.id = id;
    return { name, attrs, children };
  });

/** An iq get/set the core serves: disco, version, ping, registration, ad-hoc, MUC admin/owner. */
export const iqRequest: fc.Arbitrary<ElementData> = fc
  .record({
    type: fc.constantFrom('get', 'set'),
    from: fc.constantFrom(...USERS),
    to: fc.oneof({ weight: 2, arbitrary: fc.constantFrom(GW, `${NET}@${GW}`, `#c%${NET}@${GW}`, `#c%${NET}@${GW}/bob`, `bob%${NET}@${GW}`, `${OTHER_NET}@${GW}`) }, { weight: 1, arbitrary: address }),
    child: fc.oneof({ weight: 3, arbitrary: knownPayload }, { weight: 2, arbitrary: dataForm.map((form) => ({ name: 'query', attrs: { xmlns: 'jabber:iq:register' }, children: [form] })) }, { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...NODES), fc.constantFrom('execute', 'next', 'complete', 'cancel', ''), fc.option(fc.constantFrom('s1', 'gen-1', 'gen-2', 'gen-3'), { nil: undefined }), dataForm).map(([node, action, sessionid, form]) => ({ name: 'command', attrs: { xmlns: 'http://jabber.org/protocol/commands', node, ...(action ? { action } : {}), ...(sessionid ? { sessionid } : {}) }, children: [form] })) }, { weight: 1, arbitrary: fc.tuple(fc.constantFrom('http://jabber.org/protocol/muc#admin', 'http://jabber.org/protocol/muc#owner'), fc.constantFrom('bob', 'carol', '$me', ''), fc.constantFrom('none', 'visitor', 'participant', 'moderator', 'outcast', 'member', 'admin', 'owner', ''), fc.oneof(hostileString(20), fc.integer({ min: 100, max: 700 }).map((n) => 'r'.repeat(n)))).map(([xmlns, nick, role, reason]) => ({ name: 'query', attrs: { xmlns }, children: [{ name: 'item', attrs: { nick, role, affiliation: role }, children: [{ name: 'reason', attrs: {}, children: [reason] }] }] })) }),
  })
  .map(({ type, from, to, child }) => ({ name: 'iq', attrs: { type, from, to }, children: [child] }));

// ------------------------------------------------------------------ core sessions

/** One input to the core; indices pick among what the core has asked for so far (connections, timers). */
export type CoreAction =
  | { kind: 'stanza'; stanza: ElementData }
  | { kind: 'join'; user: number; channel: string; network: string; nick: string }
  | { kind: 'say'; user: number; channel: string; network: string; body: string; type: string }
  | { kind: 'registered'; conn: number; nick: string }
  | { kind: 'line'; conn: number; line: string }
  | { kind: 'closed'; conn: number; reason: string; refused: boolean }
  | { kind: 'timer'; timer: number }
  | { kind: 'list'; user: number; network: string; max: number | undefined }
  /** The server's answer to LIST on a connection: 321, one 322 per entry, 323. */
  | { kind: 'listReply'; conn: number; entries: Array<[string, string, string]> }
  /** A join carried through: presence, registration, 005, the server's JOIN echo, NAMES and 366. */
  | { kind: 'handshake'; user: number; channel: string; nick: string; isupport: string; names: string; topic: string | undefined };

const network = fc.constantFrom(NET, NET, OTHER_NET, 'unknown.net');

export const coreAction: fc.Arbitrary<CoreAction> = fc.oneof(
  { weight: 3, arbitrary: stanza.map((s) => ({ kind: 'stanza' as const, stanza: s })) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('join' as const), user: fc.nat(4), channel: fc.oneof(fc.constantFrom(...CHANNELS), token(10)), network, nick: fc.oneof(fc.constantFrom(...NICKS), hostileString(12)) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('say' as const),
      user: fc.nat(4),
      // `$joined`: the channel of this user's last handshake, so most messages reach IRC.
      channel: fc.oneof(
        { weight: 3, arbitrary: fc.constant('$joined') },
        { weight: 1, arbitrary: fc.constantFrom(...CHANNELS) },
        { weight: 1, arbitrary: fc.constantFrom(...NICKS) },
        // Nicks as long as a server may allow (NICKLEN is the server's choice).
        { weight: 1, arbitrary: fc.integer({ min: 30, max: 500 }).map((n) => 'n'.repeat(n)) },
      ),
      network,
      body: leafText,
      type: fc.constantFrom('groupchat', 'groupchat', 'chat', 'normal'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('listReply' as const), conn: fc.nat(7), entries: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...CHANNELS), hostileString(12), fc.constantFrom(' #sp', ':x', '#', '')), fc.constantFrom('0', '3', '-1', 'x', '99999999999999999999', ''), hostileString(30)), { maxLength: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('stanza' as const), stanza: iqRequest }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('registered' as const), conn: fc.nat(7), nick: fc.oneof(fc.constantFrom(...NICKS), token(12)) }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('line' as const), conn: fc.nat(7), line: ircLine }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('closed' as const), conn: fc.nat(7), reason: hostileString(40), refused: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('timer' as const), timer: fc.nat(15) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const), user: fc.nat(4), network, max: fc.option(fc.integer({ min: -1, max: 30 }), { nil: undefined }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('handshake' as const),
      user: fc.nat(4),
      channel: fc.constantFrom(...CHANNELS),
      nick: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('alice', 'bob', 'Me', 'x_y') }, { weight: 1, arbitrary: token(12) }),
      isupport: fc.constantFrom('PREFIX=(qaohv)~&@%+ CHANTYPES=#& CASEMAPPING=rfc1459', 'PREFIX=(ov)@+ CASEMAPPING=ascii', 'CASEMAPPING=strict-rfc1459 CHANMODES=beI,k,l,imnpst', ''),
      names: fc.array(fc.tuple(fc.constantFrom('', '@', '+', '~', '@+'), fc.oneof(fc.constantFrom('bob', 'carol', 'Alice', 'NickServ'), token(12))), { maxLength: 5 }).map((es) => es.map(([p, n]) => p + n).join(' ')),
      topic: fc.option(hostileString(40), { nil: undefined }),
    }),
  },
);

export const coreSession: fc.Arbitrary<CoreAction[]> = fc.array(coreAction, { minLength: 1, maxLength: 40 });
