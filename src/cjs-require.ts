/**
 * `require()` for the CommonJS packages the gateway loads at start-up (pino, irc-framework,
 * ipaddr.js), in place of `import`.
 *
 * Why: an `import` of a CommonJS file makes Node's ESM loader lex the whole file to guess
 * its named exports (cjs-module-lexer, in JavaScript), and lexing ipaddr.js (38 kB) and
 * irc-framework's client (28 kB) is enough work for V8 to compile the lexer with TurboFan
 * at start-up. `require()` skips the lexer: the value is the same `module.exports`, and the
 * gateway idles with less memory (issue 11 §3, base RSS; the figures are in the commit
 * that added this file). Types still come from `typeof import(…)`, which emits nothing.
 * In the shipped bundle these calls are plain `require()`s that rolldown bundles
 * (rolldown.config.mjs): nothing is lexed or resolved at run time there either.
 */
import { createRequire } from 'node:module';

export const cjsRequire = createRequire(import.meta.url) as <T>(id: string) => T;
