import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { writeEventLogs } from '../../src/db/event-log-writer.js';
import { loadBuildMigrations } from '../../src/db/migration-catalog.js';
import { migrate } from '../../src/db/migrate.js';
import { getGroupsSummary } from '../../src/db/read-queries.js';
import type { TodoEventLogRow } from '../../src/events/todo-event-log-row.js';
import { scannedGroupsSummary } from '../support/scanned-summaries.js';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/test-database.js';

const pinningMigration = '2026-12-06T00-02-00_summary-functions-search-path';

function row(offset: number, groupId: string, timestamp: string): TodoEventLogRow {
  return {
    timestamp, eventType: 'created', entity: 'Task', entityId: `t${offset}`, groupId, groupName: null, taskId: `t${offset}`, taskName: null,
    changes: null, userName: null, workspace: null, eventData: null, kafka: { topic: 'search-path', partition: 0, offset: String(offset) },
  };
}

describe('the summary trigger functions (SECURITY DEFINER) and objects another role creates in their schema', () => {
  const attacker = `todo_attacker_${randomBytes(4).toString('hex')}`;
  let database: TestDatabase;

  /** Who ran the attacker's `=` or `array_agg`, with whose rights. */
  async function hijacks(): Promise<{ who: string; via: string }[]> {
    const { rows } = await sql<{ who: string; via: string }>`SELECT DISTINCT who, via FROM public.hijacked ORDER BY via`.execute(database.db);
    return rows;
  }

  /** Rows only bigint comparisons select: the attacker's `=` is for varchar, and must run only inside a trigger. */
  async function deleteOffsetsFrom(offset: number): Promise<void> {
    await sql`DELETE FROM todo_event_logs WHERE kafka_offset >= ${offset}::bigint`.execute(database.db);
  }

  before(async () => {
    database = await createTestDatabase({ migrated: false });
    const earlier = (await loadBuildMigrations()).filter((migration) => migration.name < pinningMigration);
    const outcome = await migrate(database.db, 'latest', earlier);
    assert.ok(outcome.kind === 'ran' && outcome.result.error === undefined);
    await writeEventLogs(database.db, [row(0, 'g1', '2025-11-10T10:00:00Z'), row(1, 'g1', '2025-11-10T11:00:00Z'), row(2, 'g2', '2025-11-11T10:00:00Z'), row(3, 'g2', '2025-11-12T10:00:00Z')], 100);
    // A role that may only create objects in the schema, as every role could before PostgreSQL 15.
    await sql.raw(`CREATE ROLE ${attacker} NOLOGIN; GRANT USAGE, CREATE ON SCHEMA public TO ${attacker}`).execute(database.db);
    await sql.raw(`
      SET ROLE ${attacker};
      CREATE TABLE public.hijacked (who text, via text);
      GRANT INSERT ON public.hijacked TO PUBLIC;
      CREATE FUNCTION public.hijack_equals(varchar, varchar) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.hijacked VALUES (current_user, '='); RETURN $1::text OPERATOR(pg_catalog.=) $2::text; END $$;
      CREATE OPERATOR public.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = public.hijack_equals);
      CREATE FUNCTION public.hijack_collect(varchar[], varchar) RETURNS varchar[] LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.hijacked VALUES (current_user, 'array_agg'); RETURN $1 OPERATOR(pg_catalog.||) $2; END $$;
      CREATE AGGREGATE public.array_agg(varchar) (SFUNC = public.hijack_collect, STYPE = varchar[]);
      RESET ROLE`).execute(database.db);
  });

  after(async () => {
    await database.drop();
    const client = new pg.Client({ connectionString: serverUrl() });
    await client.connect();
    await client.query(`DROP ROLE IF EXISTS ${attacker}`);
    await client.end();
  });

  it('ran the attacker\'s array_agg and = with the owner\'s rights before the functions\' search_path was pinned', async () => {
    await deleteOffsetsFrom(3);
    const { rows } = await sql<{ owner: string }>`SELECT current_user AS owner`.execute(database.db);
    assert.deepEqual(await hijacks(), [{ who: rows[0]?.owner, via: '=' }, { who: rows[0]?.owner, via: 'array_agg' }]);
  });

  it('resolves only built-ins once migrated: a DELETE, an UPDATE and an INSERT keep the summary exact and run none of it', async () => {
    const outcome = await migrate(database.db, 'latest');
    assert.ok(outcome.kind === 'ran' && outcome.result.error === undefined, String(outcome.kind === 'ran' ? outcome.result.error : outcome.kind));
    assert.deepEqual(outcome.result.results?.map((result) => result.migrationName), (await loadBuildMigrations()).map((migration) => migration.name).filter((name) => name >= pinningMigration));
    assert.equal(outcome.result.results?.[0]?.migrationName, pinningMigration);
    await sql`DELETE FROM public.hijacked`.execute(database.db);

    await writeEventLogs(database.db, [row(4, 'g2', '2025-11-12T11:00:00Z'), row(5, 'g3', '2025-11-13T10:00:00Z')], 100);
    await deleteOffsetsFrom(5);
    await sql`UPDATE todo_event_logs SET timestamp = timestamp + INTERVAL '1 day' WHERE kafka_offset = ${0}::bigint`.execute(database.db);
    assert.deepEqual(await hijacks(), []);
    assert.deepEqual(await getGroupsSummary(database.db), await scannedGroupsSummary(database.db, {}));
    const withinHours = { since: new Date('2025-11-10T10:30:00Z'), until: new Date('2025-11-13T10:30:00Z') };
    assert.deepEqual(await getGroupsSummary(database.db, withinHours), await scannedGroupsSummary(database.db, withinHours));

    const { rows } = await sql<{ config: string[] }>`
      SELECT proconfig AS config FROM pg_proc WHERE proname LIKE 'todo\\_history\\_%' ORDER BY proname`.execute(database.db);
    assert.equal(rows.length, 6, 'the five of the per-day summary and the hourly recount');
    assert.ok(rows.every((fn) => fn.config.join() === 'search_path=pg_catalog, pg_temp'), JSON.stringify(rows));
  });
});
