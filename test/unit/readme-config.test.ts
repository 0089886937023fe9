import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { configKeys } from '../../src/config/config-keys.js';

it('documents every environment variable in the README\'s configuration table, and no other', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const table = readme.slice(readme.indexOf('## Configuration'));
  const documented = [...table.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
  assert.deepEqual([...documented].sort(), configKeys.map((key) => key.env).sort());
});
