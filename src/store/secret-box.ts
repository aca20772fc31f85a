/**
 * Encryption of stored secrets (IRC passwords, channel keys) at rest: AES-256-GCM.
 *
 * Why: a copy of the SQLite file (a backup, a volume snapshot) must not hand out the
 * users' IRC passwords (issue 4 §5). Only the key, kept apart from the file, opens them.
 *
 * Rules:
 * - Each value gets a fresh random 12-byte IV (NIST SP 800-38D §8.2.2) and a 16-byte tag.
 *   With random IVs one key may seal about 2^32 values; a gateway stores a handful per user.
 * - Sealed form, versioned so the scheme can change: `v1:<iv>:<tag>:<ciphertext>`, each part
 *   standard base64.
 * - The associated data binds a value to the place it is stored (table, row key, column),
 *   so a ciphertext copied into another user's row, another network or another column
 *   fails to open instead of handing one user's password to another. The place is encoded
 *   as a JSON array, which stays unambiguous whatever characters a JID or network holds
 *   (a plain `jid|network|field` join would not: `|` is legal in a JID localpart).
 * - Any failure to open (wrong key, tampered IV, tag, ciphertext or place, unknown version,
 *   malformed text) is a `SecretBoxError` that names the field; never an empty string.
 * - The key never leaves this object: no getter, no appearance in messages.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { StoreError } from './database.js';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export class SecretBoxError extends StoreError {
  override name = 'SecretBoxError';
}

/** Where a secret is stored; becomes the associated data and names the field in errors. */
export interface SecretPlace {
  readonly table: string;
  /** The row's key columns, e.g. `[jid, network]`. */
  readonly row: readonly string[];
  readonly column: string;
}

function describePlace(place: SecretPlace): string {
  return `${place.table}.${place.column} of (${place.row.map((r) => JSON.stringify(r)).join(', ')})`;
}

function associatedData(place: SecretPlace): Buffer {
  return Buffer.from(JSON.stringify([place.table, ...place.row, place.column]), 'utf8');
}

/** Decodes a configured key (base64 of 32 bytes); throws a message fit for the operator. */
export function parseSecretKey(base64: string): Buffer {
  const text = base64.trim();
  const key = BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (key === undefined || key.length !== SECRET_KEY_BYTES || key.toString('base64') !== text) {
    throw new SecretBoxError(
      `the secret key must be ${SECRET_KEY_BYTES} bytes in base64 (44 characters, e.g. from \`openssl rand -base64 32\`)`,
    );
  }
  return key;
}

/** A new random key, base64. */
export function generateSecretKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString('base64');
}

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== SECRET_KEY_BYTES) throw new SecretBoxError(`the secret key must be ${SECRET_KEY_BYTES} bytes`);
    this.#key = Buffer.from(key);
  }

  seal(plain: string, place: SecretPlace): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(place));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${VERSION}:${iv.toString('base64')}:${tag.toString('base64')}:${ct.toString('base64')}`;
  }

  open(sealed: string, place: SecretPlace): string {
    const parts = sealed.split(':');
    if (parts[0] !== VERSION) {
      throw new SecretBoxError(`cannot decrypt ${describePlace(place)}: unknown format (expected ${VERSION})`);
    }
    const [iv, tag, ct] = parts.slice(1).map((p) => (BASE64.test(p) ? Buffer.from(p, 'base64') : undefined));
    if (parts.length !== 4 || iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || ct === undefined) {
      throw new SecretBoxError(`cannot decrypt ${describePlace(place)}: malformed value`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(place));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretBoxError(
        `cannot decrypt ${describePlace(place)}: wrong secret key, or the value was altered or moved from another row`,
      );
    }
  }
}
