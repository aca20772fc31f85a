import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/store/database.js';
import { instrumentStatements, type StatementKind } from '../../../src/store/instrument.js';
import { SqliteIdentityStore } from '../../../src/store/identity-store.js';
import { SecretBox } from '../../../src/store/secret-box.js';

describe('instrumentStatements', () => {
  it('times each statement call as a read or a write, results unchanged', () => {
    const { db } = openDatabase(':memory:');
    const seen: StatementKind[] = [];
    const timed = instrumentStatements(db, (kind, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      seen.push(kind);
    });
    timed.prepare('INSERT INTO users (jid, created_at) VALUES (?, ?)').run('a@b.c', 1);
    const count = timed.prepare('SELECT count(*) FROM users').pluck();
    expect(count.get()).toBe(1);
    expect(timed.prepare('SELECT jid FROM users').all()).toEqual([{ jid: 'a@b.c' }]);
    expect(seen).toEqual(['write', 'read', 'read']);
    // Transactions and pragmas go to the real database.
    timed.transaction(() => timed.prepare('DELETE FROM users').run())();
    expect(count.get()).toBe(0);
    expect(timed.pragma('user_version', { simple: true })).toBe(db.pragma('user_version', { simple: true }));
    expect(() => timed.prepare('SELECT * FROM nope')).toThrow(/no such table/);
  });

  it('serves a whole repository', () => {
    const { db } = openDatabase(':memory:');
    let calls = 0;
    const store = new SqliteIdentityStore(instrumentStatements(db, () => void calls++), new SecretBox(Buffer.alloc(32, 7)));
    store.set('a@b.c', 'n.example', { nick: 'alice' });
    expect(store.get('a@b.c', 'n.example')?.nick).toBe('alice');
    expect(calls).toBeGreaterThan(0);
  });
});
