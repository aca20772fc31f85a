/**
 * The link's stream parser (xmpp-link.ts `StanzaParser`) makes what @xmpp/xml's own parser
 * makes: the same root, the same elements (names, attributes, children, text) and the same
 * errors, whatever the input and however it is cut into reads.
 */
import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { StanzaParser } from '../../../src/adapters/xmpp-link.js';

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='gw.test'>";

const DOCUMENTS = [
  "<message from='alice@example.org/phone' to='#chan%irc.example.org@gw.test' type='groupchat' id='g1'><body>hello &amp; &lt;welcome&gt; &#x263A; &#233;</body></message>",
  '<presence from="a@b/c" to="#x%n@gw.test/nick"><x xmlns="http://jabber.org/protocol/muc"><history maxstanzas="0"/></x></presence>',
  "<iq type='get' id='1' to='gw.test' from='a@b/c'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
  "<message to='x@gw.test' from='a@b/c'><body><![CDATA[<not markup> & ]]></body><!-- a comment --><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
  "<message to='x@gw.test' from='a@b/c' xml:lang='en' constructor='c' toString='t'><body a='1' b=\"2\">text<b/>tail</body></message>",
  '<message to="x@gw.test"><body>one</body></message>\n  <message to="y@gw.test"><body>two</body><body>three</body></message>',
  '<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error></stream:stream>',
  '<message to="x"><body>unclosed</message>',
];

interface Seen {
  events: string[];
  error: string | undefined;
}

/** Feeds `reads` to a parser and records what it reports, as text. */
function run(parser: InstanceType<typeof xml.Parser>, reads: string[]): Seen {
  const seen: Seen = { events: [], error: undefined };
  const describeElement = (el: Element): string => `${el.toString()} parent=${el.parent?.name ?? 'none'}`;
  parser.on('start', (el) => seen.events.push(`start ${el.name} ${JSON.stringify(el.attrs)}`));
  parser.on('element', (el) => seen.events.push(`element ${describeElement(el)} ${JSON.stringify(el.attrs)}`));
  (parser as unknown as { on(e: 'end', cb: (el: Element) => void): void }).on('end', (el) => seen.events.push(`end ${el.name}`));
  parser.on('error', (err) => seen.events.push(`error ${err.message}`));
  try {
    for (const r of reads) parser.write(r);
  } catch (err) {
    seen.error = (err as Error).message;
  }
  return seen;
}

/** `text` cut at every `step`th character. */
function cut(text: string, step: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += step) out.push(text.slice(i, i + step));
  return out;
}

describe('StanzaParser', () => {
  for (const [i, doc] of DOCUMENTS.entries()) {
    it(`reports what @xmpp/xml's parser reports, in one read and cut into pieces (document ${i + 1})`, () => {
      const text = HEADER + doc;
      for (const step of [text.length, 1, 2, 7, 64]) {
        const ours = run(new StanzaParser(), cut(text, step));
        const theirs = run(new xml.Parser(), cut(text, step));
        expect(ours).toEqual(theirs);
        // (Read a character or two at a time, ltx reports nothing after the `<?xml?>` prolog, both parsers alike.)
        if (step === text.length) expect(ours.events.length).toBeGreaterThan(1);
      }
    });
  }

  it('throws where @xmpp/xml throws: a reference to a character XML forbids', () => {
    const text = `${HEADER}<message to="x"><body>bad &#1; char</body></message>`;
    const ours = run(new StanzaParser(), [text]);
    expect(ours).toEqual(run(new xml.Parser(), [text]));
    expect(ours.error).toMatch(/Illegal XML character/);
  });

  it('gives each element an attributes object of its own', () => {
    const parser = new StanzaParser();
    const elements: Element[] = [];
    parser.on('element', (el) => elements.push(el));
    parser.write(`${HEADER}<message to="a" id="1"><body/></message><message to="b" id="2"><body/></message>`);
    expect(elements.map((el) => el.attrs)).toEqual([{ to: 'a', id: '1' }, { to: 'b', id: '2' }]);
    expect(elements[0]!.attrs).not.toBe(elements[1]!.attrs);
    expect(elements[0]!.getChild('body')!.attrs).toEqual({});
  });
});
