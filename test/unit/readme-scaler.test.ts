import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { scalerConfigKeys } from '../../src/config/scaler-config-schema.js';

it('documents every SCALER_ variable in docs/scaler.md, and no other', () => {
  const section = readFileSync(new URL('../../../docs/scaler.md', import.meta.url), 'utf8');
  const documented = [...section.matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((match) => match[1]);
  const scalerOnly = scalerConfigKeys.map((key) => key.env).filter((env) => env.startsWith('SCALER_'));
  assert.deepEqual([...documented].sort(), [...scalerOnly].sort());
});
