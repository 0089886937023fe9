import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { loadBuildMigrations } from '../../src/db/migration-catalog.js';
import { judgeSchema } from '../../src/db/schema-version.js';

describe('migration compatibility levels', () => {
  it('are declared by every migration and never go down from one migration to the next', async () => {
    const levels = (await loadBuildMigrations()).map((m) => m.compatibilityLevel);
    assert.ok(levels.length >= 3);
    assert.deepEqual(levels, [...levels].sort((a, b) => a - b));
  });

  it('run in a transaction each, except the two that commit as they go on a large adopted table', async () => {
    const outside = (await loadBuildMigrations()).filter((m) => m.runsInTransaction === false).map((m) => m.name);
    assert.deepEqual(outside, ['2026-11-28T00-01-00_add-kafka-coordinates', '2026-12-02T00-01-00_daily-activity-summaries', '2026-12-06T00-04-00_hourly-activity-summaries']);
  });

  it('import nothing but kysely: an executed migration must not change when the application does', () => {
    const folder = new URL('../../../migrations/', import.meta.url);
    const sources = readdirSync(folder).filter((file) => file.endsWith('.ts'));
    assert.ok(sources.length >= 3);
    for (const file of sources) {
      const imports = [...readFileSync(new URL(file, folder), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((match) => match[1]);
      assert.deepEqual([...new Set(imports)], ['kysely'], file);
    }
  });

  it('judge a schema by its highest level, and an unknown migration without a recorded level as incompatible', async () => {
    const build = await loadBuildMigrations();
    const all = new Map<string, number | undefined>(build.map((m) => [m.name, undefined]));
    assert.equal(judgeSchema(build, all).compatible, true, 'levels of the build\'s own migrations need no record');
    assert.equal(judgeSchema(build, new Map([...all, ['2099-x', 1]])).compatible, true);
    assert.match(judgeSchema(build, new Map([...all, ['2099-x', undefined]])).reason, /compatibility level is not recorded: 2099-x/);
    assert.match(judgeSchema(build, new Map([...all, ['2099-x', 2]])).reason, /compatibility level 2 \(2099-x\) but this build runs at level 1/);
    const [, ...withoutFirst] = build;
    assert.match(judgeSchema(build, new Map(withoutFirst.map((m) => [m.name, undefined]))).reason, /schema lacks migrations this build needs/);
  });
});
