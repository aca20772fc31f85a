// The gateway as it ships: `npm run build` compiles with tsc, then bundles the entry point
// dist/src/main.js in place with rolldown (issue 11 §3, base RSS). Jabirc's own modules and
// its two ECMAScript-module dependencies (zod, smol-toml) become one module: V8 keeps one
// module record and one source instead of ~200, and zod's 50 locales, which every public
// zod entry imports, are left out as never used (zod's `sideEffects: false`; English stays,
// zod registers it in its type constructor). The CommonJS packages (pino, irc-framework,
// better-sqlite3, @xmpp, ipaddr.js, prom-client) stay in node_modules, loaded at run time as
// before; so does every other file under dist (the benches and tests import those).
// Dynamic imports stay separate files (main-*.js), loaded when used.
const BUNDLED = ['zod', 'smol-toml'];

export default {
  input: 'dist/src/main.js',
  platform: 'node',
  external: (id) => !id.startsWith('.') && !id.startsWith('/') && !BUNDLED.some((p) => id === p || id.startsWith(`${p}/`)),
  output: { dir: 'dist/src', entryFileNames: 'main.js', chunkFileNames: 'main-[name].js', format: 'esm', sourcemap: true },
};
