import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

/** The problems `load` (by default the application's loadConfig) reports for `env`; fails unless it refuses it. */
export function configProblems(env: Record<string, string>, load: (env: Record<string, string>) => unknown = loadConfig): readonly string[] {
  try {
    load(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}
