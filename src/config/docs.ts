/**
 * Renders the configuration reference from the schema.
 *
 * Why: the README's option table must never drift from what the code accepts. It is
 * generated here from the same zod schema that validates the file, and a test checks
 * that the README contains exactly this text (`npm run build && node dist/src/main.js
 * config-docs` prints it).
 */
import { configJsonSchema, envVariable, type JsonSchema } from './env.js';

function typeName(s: JsonSchema): string {
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.type === 'array' && s.items) return `array of ${typeName(s.items)}`;
  if (s.type === 'integer') return 'integer';
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? 'any';
}

function defaultText(s: JsonSchema, required: boolean): string {
  if (s.default !== undefined) return `\`${JSON.stringify(s.default)}\``;
  return required ? 'required' : '—';
}

/** `keys` is the key path, or null inside a table of tables, whose keys have no variable of their own. */
function rows(schema: JsonSchema, prefix: string, keys: string[] | null, out: string[]): void {
  const required = new Set(schema.required ?? []);
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    const sub = keys && [...keys, key];
    const variable = sub ? `\`${envVariable(sub)}\`` : '—';
    if (child.type === 'object' && child.properties) {
      out.push(`| **\`[${path}]\`** | table | | | ${child.description ?? ''} |`);
      rows(child, path, sub, out);
    } else if (child.type === 'object' && typeof child.additionalProperties === 'object') {
      out.push(`| \`${path}\` | table of tables | \`{}\` | ${variable} | ${child.description ?? ''} |`);
      rows(child.additionalProperties, `${path}.<name>`, null, out);
    } else {
      out.push(`| \`${path}\` | ${typeName(child)} | ${defaultText(child, required.has(key))} | ${variable} | ${child.description ?? ''} |`);
    }
  }
}

const ENVIRONMENT_RULE = `Every key can also be set by the environment variable in the table, which wins over the file (an empty one counts as unset): \`JABIRC_\` and the key's path upper-cased with \`_\` for dots. Its text is read as the key's type: a string as is, a number in decimal, a boolean as \`true\` or \`false\`, an array as a TOML array (\`["a.org", "b.org"]\`) or, for strings, a comma-separated list (\`a.org,b.org\`). \`JABIRC_IRC_NETWORKS\` takes a TOML inline table that replaces the whole \`[irc.networks]\` of the file, e.g. \`{ "irc.libera.chat" = {}, localhost = { port = 6667, tls = false } }\`; the keys inside it have no variable of their own. An unknown \`JABIRC_…\` variable is an error, except \`JABIRC_CONFIG\` (the file), \`JABIRC_SECRET_KEY\` and \`JABIRC_DIR\` (a checkout, for tools such as the gwbench profile). Without \`--config\` or \`JABIRC_CONFIG\`, a missing \`/etc/jabirc/config.toml\` is read as an empty file, so the environment alone can configure the gateway.`;

/** The Markdown table of every option, in schema order. */
export function renderConfigReference(): string {
  const out = [ENVIRONMENT_RULE, '', '| key | type | default | environment | meaning |', '| --- | --- | --- | --- | --- |'];
  rows(configJsonSchema(), '', [], out);
  return out.join('\n') + '\n';
}
