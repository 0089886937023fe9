import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { configKeys } from '../../src/config/config-keys.js';

it('documents every environment variable in the configuration table of docs/configuration.md, and no other', () => {
  const table = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  const documented = [...table.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
  assert.deepEqual([...documented].sort(), configKeys.map((key) => key.env).sort());
});
