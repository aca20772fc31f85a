/**
 * The README cannot drift: its configuration reference is exactly what the
 * schema renders, and its first two commands are the ones that bring up the
 * local setup and run every test (the ones `.ci/run` and newcomers rely on).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference } from '../../src/config/docs.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const START = '<!-- config-reference:start -->\n';
const END = '<!-- config-reference:end -->';

/** Contents of the fenced code blocks, in order. */
function fencedBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```[^\n]*\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

describe('README', () => {
  it('holds exactly the rendered configuration reference between the markers', () => {
    const start = README.indexOf(START);
    const end = README.indexOf(END);
    expect(start, `README.md lacks ${START.trim()}`).toBeGreaterThanOrEqual(0);
    expect(end, `README.md lacks ${END} after the start marker`).toBeGreaterThan(start);
    expect(README.indexOf(START, start + 1)).toBe(-1);
    const section = README.slice(start + START.length, end);
    // On failure: `npm run build && node dist/src/main.js config-docs` prints the text to paste.
    expect(section).toBe(renderConfigReference());
  });

  it('starts with the dev-up command, then the test command', () => {
    const [first, second] = fencedBlocks(README);
    expect(first?.trim()).toBe('bash scripts/dev-up.sh');
    expect(second?.trim()).toBe('npm test');
  });

  it('names the test command that package.json defines', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.test).toBe('npm run build && vitest run');
  });
});
