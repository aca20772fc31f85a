import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { MAX_CONTACTS_PER_NETWORK, SqliteContactStore } from '../../../src/store/contact-store.js';
import { SqliteIdentityStore } from '../../../src/store/identity-store.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { randomBytes } from 'node:crypto';

const ALICE = 'alice@example.org';
const NET = 'irc.example.net';

function setup() {
  const { db } = openDatabase(':memory:');
  return { db, contacts: new SqliteContactStore(db, { now: () => 1 }), ids: new SqliteIdentityStore(db, new SecretBox(randomBytes(32))) };
}

describe('SqliteContactStore', () => {
  it('adds, lists (as last given), folds and removes contacts per network', () => {
    const { contacts } = setup();
    contacts.add(ALICE, NET, 'Bob[1]');
    contacts.add(ALICE, NET, 'bob{1}'); // the same nick under rfc1459
    contacts.add(ALICE, 'irc.other.net', 'carol');
    expect(contacts.list(ALICE, NET)).toEqual(['bob{1}']);
    contacts.remove(ALICE, NET, 'BOB[1]');
    expect(contacts.list(ALICE, NET)).toEqual([]);
    expect(contacts.list(ALICE, 'irc.other.net')).toEqual(['carol']);
  });

  it('keeps nicks apart on an ascii network and refolds when the mapping is learned', () => {
    const { contacts } = setup();
    contacts.add(ALICE, NET, 'x[');
    contacts.useCaseMapping(NET, 'ascii');
    contacts.add(ALICE, NET, 'x{');
    expect(contacts.list(ALICE, NET).sort()).toEqual(['x[', 'x{']);
    contacts.useCaseMapping(NET, 'rfc1459');
    expect(contacts.list(ALICE, NET)).toHaveLength(1);
  });

  it('bounds the contacts of one network', () => {
    const { contacts } = setup();
    for (let i = 0; i < MAX_CONTACTS_PER_NETWORK + 5; i++) contacts.add(ALICE, NET, `n${i}`);
    expect(contacts.list(ALICE, NET)).toHaveLength(MAX_CONTACTS_PER_NETWORK);
  });

  it('goes with the user’s registration: the network’s on removing it, all on unregistering', () => {
    const { contacts, ids } = setup();
    ids.set(ALICE, NET, { nick: 'alice' });
    ids.set(ALICE, 'irc.other.net', { nick: 'alice' });
    contacts.add(ALICE, NET, 'bob');
    contacts.add(ALICE, 'irc.other.net', 'carol');
    ids.remove(ALICE, NET);
    expect(contacts.list(ALICE, NET)).toEqual([]);
    expect(contacts.list(ALICE, 'irc.other.net')).toEqual(['carol']);
    ids.remove(ALICE);
    expect(contacts.list(ALICE, 'irc.other.net')).toEqual([]);
  });
});
