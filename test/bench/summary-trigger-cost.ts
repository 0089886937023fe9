import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { loadBuildMigrations } from '../../src/db/migration-catalog.js';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** ms per 1,000 rows of an insert statement: its own work, and the summaries' insert trigger's. */
export interface TriggerCost {
  statementMs: number;
  triggerMs: number;
}

const hourlyMigration = '2026-12-06T00-04-00_hourly-activity-summaries';

interface ExplainRow {
  'QUERY PLAN': [{ 'Execution Time': number; Triggers?: { 'Trigger Name': string; Time: number }[] }];
}

/** One statement of 1,000 rows shaped like the benchmark's stream, timed by EXPLAIN ANALYZE. */
async function insertThousand(db: Kysely<Database>, first: number): Promise<TriggerCost> {
  const words = sql`ARRAY['login','billing','search','export','onboarding','dashboard','api','mobile','email','cache','report','audit']`;
  const { rows } = await sql<ExplainRow>`EXPLAIN (ANALYZE, FORMAT JSON)
    INSERT INTO todo_event_logs (timestamp, event_type, entity, entity_id, group_id, group_name, task_id, task_name)
    SELECT TIMESTAMPTZ '2025-11-01 00:00:00+00' + i * INTERVAL '37 milliseconds', 'updated', 'Task', 'task', 'group-' || g,
           'Team ' || (${words})[1 + floor(random() * 12)::int] || ' ' || g, 'task', 'name'
    FROM (SELECT i, floor(random() * 500)::int AS g FROM generate_series(${first}::bigint, ${first + 999}::bigint) AS i) drawn`.execute(db);
  const plan = rows[0]?.['QUERY PLAN'][0];
  const trigger = plan?.Triggers?.find((fired) => fired['Trigger Name'] === 'todo_history_count_inserted_rows');
  if (plan === undefined || trigger === undefined) throw new Error('EXPLAIN ANALYZE showed no summary trigger');
  return { statementMs: plan['Execution Time'] - trigger.Time, triggerMs: trigger.Time };
}

/**
 * The insert trigger's cost with the per-day summary only (the schema before the hourly migration) and with
 * both, measured inside the server (EXPLAIN ANALYZE), `statements` statements of 1,000 rows alternating
 * between the two databases, so a busy machine slows both alike.
 */
export async function summaryTriggerCost(serverUrl: string, statements: number): Promise<Record<'per day' | 'per day and hour', TriggerCost>> {
  const dailyOnly = await createTestDatabase({ server: serverUrl, migrated: false });
  const both = await createTestDatabase({ server: serverUrl });
  const databases: [keyof Awaited<ReturnType<typeof summaryTriggerCost>>, TestDatabase][] = [['per day', dailyOnly], ['per day and hour', both]];
  try {
    const outcome = await migrate(dailyOnly.db, 'latest', (await loadBuildMigrations()).filter((migration) => migration.name < hourlyMigration));
    if (outcome.kind !== 'ran' || outcome.result.error !== undefined) throw new Error('migrating to the per-day summaries failed');
    const totals = { 'per day': { statementMs: 0, triggerMs: 0 }, 'per day and hour': { statementMs: 0, triggerMs: 0 } };
    for (let statement = 0; statement < statements; statement += 1) {
      for (const [name, database] of databases) {
        const cost = await insertThousand(database.db, statement * 1000);
        totals[name].statementMs += cost.statementMs / statements;
        totals[name].triggerMs += cost.triggerMs / statements;
      }
    }
    return totals;
  } finally {
    for (const [, database] of databases) await database.drop();
  }
}
