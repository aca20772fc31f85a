/**
 * The core stays pure (STYLE.md "A pure core"): no file under src/core imports a Node
 * built-in (types aside), the IRC or XMPP connection libraries, the logger or SQLite.
 * Adapters do IO; the core returns effects.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CORE = fileURLToPath(new URL('../../../src/core/', import.meta.url));
const FORBIDDEN_PACKAGES = ['irc-framework', 'pino', 'better-sqlite3', '@xmpp/component-core', '@xmpp/component', '@xmpp/connection'];
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

/** Value imports of a module's source: `import … from 'x'`, `export … from 'x'`, `import('x')`, `require('x')`. */
function valueImports(source: string): string[] {
  const out: string[] = [];
  const statement = /^\s*(import|export)\s+(type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(statement)) if (!m[2]) out.push(m[3]!);
  for (const m of source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  for (const m of source.matchAll(/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

function forbidden(spec: string): boolean {
  return BUILTINS.has(spec) || spec.startsWith('node:') || FORBIDDEN_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`));
}

function coreFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? coreFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe('the core is pure', () => {
  it('finds the imports it must refuse (the check itself works)', () => {
    const sample = [
      "import { Socket } from 'node:net';",
      "import type { Buffer } from 'node:buffer';",
      "import Client from 'irc-framework';",
      "export { x } from 'pino';",
      "const db = require('better-sqlite3');",
      "import xml from '@xmpp/xml';",
    ].join('\n');
    expect(valueImports(sample).filter(forbidden)).toEqual(['node:net', 'irc-framework', 'pino', 'better-sqlite3']);
  });

  it('no file under src/core imports node:*, irc-framework, pino, better-sqlite3 or @xmpp/component-core', () => {
    const files = coreFiles(CORE);
    expect(files.length).toBeGreaterThan(20);
    const offences = files.flatMap((f) => valueImports(readFileSync(f, 'utf8')).filter(forbidden).map((spec) => `${path.relative(CORE, f)}: ${spec}`));
    expect(offences).toEqual([]);
  });
});
