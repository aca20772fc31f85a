import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/store/database.js';
import {
  generateSecretKey,
  parseSecretKey,
  SecretBox,
  SecretBoxError,
  type SecretPlace,
} from '../../../src/store/secret-box.js';

const PLACE: SecretPlace = { table: 'identities', row: ['alice@example.org', 'irc.libera.chat'], column: 'sasl_password_sealed' };
const box = new SecretBox(randomBytes(32));

/** Replaces part `i` (1 iv, 2 tag, 3 ciphertext) of a sealed value, flipping one bit of it. */
function flip(sealed: string, i: number): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[i]!, 'base64');
  bytes[0] = bytes[0]! ^ 1;
  parts[i] = bytes.toString('base64');
  return parts.join(':');
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('SecretBox', () => {
  it.each(['hunter2', '', 'pässwörd ☃ with: colons', 'x'.repeat(5000)])('round-trips %j', (plain) => {
    const sealed = box.seal(plain, PLACE);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]*$/);
    expect(box.open(sealed, PLACE)).toBe(plain);
  });

  it('uses a fresh IV for every value', () => {
    const a = box.seal('same', PLACE);
    const b = box.seal('same', PLACE);
    expect(a).not.toBe(b);
    expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
  });

  it.each([
    ['IV', 1],
    ['tag', 2],
    ['ciphertext', 3],
  ])('detects a tampered %s', (_part, i) => {
    const sealed = box.seal('hunter2', PLACE);
    const err = errorOf(() => box.open(flip(sealed, i), PLACE));
    expect(err).toBeInstanceOf(SecretBoxError);
    expect(err.message).toContain('identities.sasl_password_sealed');
  });

  it.each<[string, SecretPlace]>([
    ['another user', { ...PLACE, row: ['mallory@example.org', 'irc.libera.chat'] }],
    ['another network', { ...PLACE, row: ['alice@example.org', 'irc.oftc.net'] }],
    ['another column', { ...PLACE, column: 'nickserv_password_sealed' }],
    ['another table', { ...PLACE, table: 'persistent_channels' }],
    ['a shifted row key', { ...PLACE, row: ['alice@example.org", "irc.libera.chat'] }],
  ])('refuses a ciphertext moved to %s', (_name, other) => {
    const sealed = box.seal('hunter2', PLACE);
    expect(() => box.open(sealed, other)).toThrow(SecretBoxError);
  });

  it('fails with a clear error naming the field under a wrong key, never an empty string', () => {
    const sealed = box.seal('hunter2', PLACE);
    const err = errorOf(() => new SecretBox(randomBytes(32)).open(sealed, PLACE));
    expect(err).toBeInstanceOf(SecretBoxError);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toBe(
      'cannot decrypt identities.sasl_password_sealed of ("alice@example.org", "irc.libera.chat"): wrong secret key, or the value was altered or moved from another row',
    );
  });

  it.each(['', 'hunter2', 'v2:a:b:c', 'v1:AAAA:AAAA:AAAA', 'v1:!!:??:**', 'v1:AAAAAAAAAAAAAAAA'])(
    'refuses the malformed value %j',
    (bad) => {
      expect(errorOf(() => box.open(bad, PLACE)).message).toMatch(/^cannot decrypt identities\.sasl_password_sealed .*: (unknown format|malformed value)/);
    },
  );

  it('parses only 32-byte base64 keys, without echoing them', () => {
    const key = generateSecretKey();
    expect(parseSecretKey(key)).toHaveLength(32);
    expect(parseSecretKey(`${key}\n`)).toHaveLength(32);
    for (const bad of ['', 'c2hvcnQ=', randomBytes(31).toString('base64'), randomBytes(33).toString('base64'), `${key.slice(0, -2)}-=`]) {
      const err = errorOf(() => parseSecretKey(bad));
      expect(err).toBeInstanceOf(SecretBoxError);
      if (bad !== '') expect(err.message).not.toContain(bad);
    }
    expect(() => new SecretBox(randomBytes(16))).toThrow(SecretBoxError);
  });
});
