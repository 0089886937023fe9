import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { StartupRetry } from '../../src/retry/startup-retry.js';
import { SchemaVersionError } from '../../src/db/schema-version.js';

const retry = { initialDelayMs: 10, maxDelayMs: 40 };
const silent = pino({ level: 'silent' });

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
}

describe('StartupRetry', () => {
  it('tries the steps again, from the first, until all succeed; says why it waits meanwhile', async () => {
    const startup = new StartupRetry(retry, silent);
    const calls: string[] = [];
    let databaseFailures = 3;
    const reasons: (string | undefined)[] = [];
    const started = await startup.run([
      {
        name: 'database',
        run: async () => {
          calls.push('database');
          reasons.push(startup.waitingFor());
          if (databaseFailures-- > 0) throw refused();
        },
      },
      { name: 'kafka', run: async () => void calls.push('kafka') },
    ]);
    assert.equal(started, true);
    assert.deepEqual(calls, ['database', 'database', 'database', 'database', 'kafka']);
    assert.deepEqual(reasons, [
      'starting',
      'database: connect ECONNREFUSED 127.0.0.1:5432; retrying in 10 ms',
      'database: connect ECONNREFUSED 127.0.0.1:5432; retrying in 20 ms',
      'database: connect ECONNREFUSED 127.0.0.1:5432; retrying in 40 ms',
    ]);
    assert.equal(startup.waitingFor(), undefined, 'nothing to wait for once started');
  });

  it('gives up at once on an error no restart can fix, such as a schema this build does not run on', async () => {
    const startup = new StartupRetry(retry, silent);
    let tries = 0;
    await assert.rejects(
      startup.run([{ name: 'database', run: async () => { tries += 1; throw new SchemaVersionError({ compatible: false, reason: 'no migration has run', buildLevel: 1, schemaLevel: 0, pending: ['m'], ahead: [] }); } }]),
      SchemaVersionError,
    );
    assert.equal(tries, 1);
  });

  it('ends the wait when stopped, without starting', async () => {
    const startup = new StartupRetry({ initialDelayMs: 60_000, maxDelayMs: 60_000 }, silent);
    let kafkaStarted = false;
    const running = startup.run([
      { name: 'database', run: async () => { throw refused(); } },
      { name: 'kafka', run: async () => void (kafkaStarted = true) },
    ]);
    setImmediate(() => startup.stop());
    assert.equal(await running, false);
    assert.equal(kafkaStarted, false);
  });
});
