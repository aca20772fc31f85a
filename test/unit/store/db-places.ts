/** The two kinds of database every store test runs on: in memory, and a file (with WAL). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../../src/store/database.js';

export const DB_PLACES: Array<[string, () => Db]> = [
  [':memory:', () => openDatabase(':memory:').db],
  ['a file', () => openDatabase(join(mkdtempSync(join(tmpdir(), 'jabirc-store-')), 'j.sqlite')).db],
];
