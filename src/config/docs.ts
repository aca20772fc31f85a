/**
 * Renders the configuration reference from the schema.
 *
 * Why: the README's option table must never drift from what the code accepts. It is
 * generated here from the same zod schema that validates the file, and a test checks
 * that the README contains exactly this text (`npm run build && node dist/src/main.js
 * config-docs` prints it).
 */
import { z } from 'zod';
import { configSchema } from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  required?: string[];
}

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

function rows(schema: JsonSchema, prefix: string, out: string[]): void {
  const required = new Set(schema.required ?? []);
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (child.type === 'object' && child.properties) {
      out.push(`| **\`[${path}]\`** | table | | ${child.description ?? ''} |`);
      rows(child, path, out);
    } else if (child.type === 'object' && typeof child.additionalProperties === 'object') {
      out.push(`| \`${path}\` | table of tables | \`{}\` | ${child.description ?? ''} |`);
      rows(child.additionalProperties, `${path}.<name>`, out);
    } else {
      out.push(`| \`${path}\` | ${typeName(child)} | ${defaultText(child, required.has(key))} | ${child.description ?? ''} |`);
    }
  }
}

/** The Markdown table of every option, in schema order. */
export function renderConfigReference(): string {
  const json = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const out = ['| key | type | default | meaning |', '| --- | --- | --- | --- |'];
  rows(json, '', out);
  return out.join('\n') + '\n';
}
