import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { scalerConfigKeys } from '../../src/config/scaler-config-schema.js';

it('documents every SCALER_ variable in the README\'s Scaler section, and no other', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Scaler'), readme.indexOf('## Configuration'));
  const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
  const scalerOnly = scalerConfigKeys.map((key) => key.env).filter((env) => env.startsWith('SCALER_'));
  assert.deepEqual([...documented].sort(), [...scalerOnly].sort());
});
