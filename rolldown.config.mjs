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
// - better-sqlite3 stays in node_modules: it finds its native addon from its own path, and
//   the archive worker loads it by path. prom-client stays too: it is loaded only with
//   [metrics] (a dynamic import, so its own chunk main-*.js, loaded when used).
// - Output in ASCII, JSDoc comments dropped: V8 keeps a module's source as a string for
//   its whole life, two bytes a character if a single character is outside Latin-1 (an
//   em dash in a comment was enough).
// Every other file under dist (the benches and tests import those) is tsc's output as before.
const EXTERNAL = ['better-sqlite3', 'prom-client'];

/** `cjsRequire(` → `require   (`: the same length, so tsc's source map still holds column for column. */
const bundleCjsRequires = {
  name: 'bundle-cjs-requires',
  transform(code, id) {
    if (!id.includes('/dist/src/') || !code.includes('cjsRequire(')) return undefined;
    return { code: code.replace(/\bcjsRequire\(/g, 'require   ('), map: null };
  },
};

/**
 * The entry chunk's imports of Node's built-in modules and of better-sqlite3 as `require()`s:
 * an ECMAScript import of a built-in makes Node build its module facade, which reads every
 * export, getters included (node:crypto's `webcrypto` loads the Web Crypto modules, node:fs's
 * `promises` the promise API with readline), and an import of a CommonJS package runs
 * Node's CommonJS lexer over it. One line for one line, at the top of the chunk before any
 * code, so the source map's lines still hold and every binding exists before it is used.
 */
const IMPORT_LINE = /^import (\{[^}]*\}|[\w$]+) from "((?:node:[\w/]+)|better-sqlite3)";$/gm;
const requireImports = {
  name: 'require-imports',
  renderChunk(code, chunk) {
    if (!chunk.isEntry || !code.includes('import { createRequire } from "node:module";')) return null;
    const out = code.replace(IMPORT_LINE, (line, names, id) =>
      id === 'node:module' ? line : `const ${names.replace(/ as /g, ': ')} = createRequire(import.meta.url)("${id}");`,
    );
    return { code: out, map: null };
  },
};

export default {
  input: 'dist/src/main.js',
  platform: 'node',
  external: (id) => id.startsWith('node:') || EXTERNAL.some((p) => id === p || id.startsWith(`${p}/`)),
  plugins: [bundleCjsRequires, requireImports],
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
