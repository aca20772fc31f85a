// The gateway as it ships: `npm run build` compiles with tsc, then bundles the entry point
// dist/src/main.js in place with rolldown (issue 11 §3, base RSS). Jabirc's own modules and
// its JavaScript dependencies become one module: V8 keeps one module record and one source
// instead of ~300, and zod's 50 locales, which every public zod entry imports, are left out
// as never used (zod's `sideEffects: false`; English stays, zod registers it in its type
// constructor).
// - The CommonJS packages (pino, irc-framework with its ~230 lodash files, @xmpp, ipaddr.js)
//   are bundled too: loaded from node_modules, each file was resolved, read, wrapped and
//   compiled on its own, and that start-up work was what grew V8's young generation to its
//   largest semi-space and got Node's path functions optimised by TurboFan (figures in the
//   commit). Their `cjsRequire('x')` calls (src/cjs-require.ts, which keeps the unbundled
//   tsc output off Node's CommonJS lexer) become plain `require('x')` here, so that rolldown
//   bundles what they load.
// - better-sqlite3's JavaScript is bundled too; its native addon is loaded from node_modules
//   (bindAddonByPath). Left there, its 13 files and the `bindings` lookup were the last
//   CommonJS modules loaded from disk at start-up, and resolving them was enough path
//   work for TurboFan to compile Node's normalizeString and isPosixPathSeparator: the
//   optimising compiler's pages of the node binary and its zone memory, ~3.8 MB of RSS for
//   the life of the process (figures in the commit). The archive worker still loads
//   better-sqlite3 from node_modules by path, in its own isolate, when it starts.
// - prom-client stays in node_modules: it is loaded only with [metrics] (a dynamic import,
//   so its own chunk main-*.js, loaded when used).
// - Output in ASCII, JSDoc comments dropped: V8 keeps a module's source as a string for
//   its whole life, two bytes a character if a single character is outside Latin-1 (an
//   em dash in a comment was enough).
// Every other file under dist (the benches and tests import those) is tsc's output as before.
const EXTERNAL = ['prom-client'];
/** better-sqlite3's native addon, loaded by the bundle's require() from node_modules (see bindAddonByPath). */
const SQLITE_ADDON = 'better-sqlite3/build/Release/better_sqlite3.node';

/**
 * better-sqlite3 finds its addon through the `bindings` package, which walks up from its
 * caller's file (read off a stack trace) and tries a dozen build directories; bundled, the
 * caller would be main.js. Its one call becomes a require() of the addon where
 * better-sqlite3's install puts it (prebuild-install and node-gyp both write build/Release).
 */
const bindAddonByPath = {
  name: 'bind-addon-by-path',
  transform(code, id) {
    if (!/[/\\]better-sqlite3[/\\]lib[/\\]database\.js$/.test(id)) return undefined;
    const call = "require('bindings')('better_sqlite3.node')";
    if (!code.includes(call)) throw new Error(`better-sqlite3's database.js no longer has ${call}: update ${bindAddonByPath.name}`);
    return { code: code.replace(call, `require(${JSON.stringify(SQLITE_ADDON)})`), map: null };
  },
};

/** `cjsRequire(` → `require   (`: the same length, so tsc's source map still holds column for column. */
const bundleCjsRequires = {
  name: 'bundle-cjs-requires',
  transform(code, id) {
    if (!id.includes('/dist/src/') || !code.includes('cjsRequire(')) return undefined;
    return { code: code.replace(/\bcjsRequire\(/g, 'require   ('), map: null };
  },
};

/**
 * The entry chunk's imports of Node's built-in modules as `require()`s:
 * an ECMAScript import of a built-in makes Node build its module facade, which reads every
 * export, getters included (node:crypto's `webcrypto` loads the Web Crypto modules, node:fs's
 * `promises` the promise API with readline). One line for one line, at the top of the chunk
 * before any code, so the source map's lines still hold and every binding exists before it
 * is used.
 * They share one require function, declared with the first of them: each createRequire
 * builds a Module and its node_modules lookup paths.
 */
const IMPORT_LINE = /^import (\{[^}]*\}|[\w$]+) from "(node:[\w/]+)";$/gm;
const requireImports = {
  name: 'require-imports',
  renderChunk(code, chunk) {
    if (!chunk.isEntry || !code.includes('import { createRequire } from "node:module";')) return null;
    let first = true;
    const out = code.replace(IMPORT_LINE, (line, names, id) => {
      if (id === 'node:module') return line;
      const made = first ? '__requireBuiltin = createRequire(import.meta.url), ' : '';
      first = false;
      return `const ${made}${names.replace(/ as /g, ': ')} = __requireBuiltin("${id}");`;
    });
    return { code: out, map: null };
  },
};

export default {
  input: 'dist/src/main.js',
  platform: 'node',
  external: (id) => id.startsWith('node:') || id === SQLITE_ADDON || EXTERNAL.some((p) => id === p || id.startsWith(`${p}/`)),
  plugins: [bundleCjsRequires, bindAddonByPath, requireImports],
  output: {
    dir: 'dist/src',
    entryFileNames: 'main.js',
    chunkFileNames: 'main-[name].js',
    format: 'esm',
    sourcemap: true,
    charset: 'ascii',
    comments: { legal: true, annotation: true, jsdoc: false },
  },
};
