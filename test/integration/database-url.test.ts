import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../deploy/local/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** The test database's URL with its credentials moved into the query string, as libpq allows. */
function withCredentialsInQuery(url: string, password: string): string {
  const parsed = new URL(url);
  const user = parsed.username;
  parsed.username = '';
  parsed.password = '';
  parsed.search = new URLSearchParams({ user, password }).toString();
  return parsed.toString();
}

describe('DATABASE_URL with its credentials in the query string', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase();
  });

  after(() => database.drop());

  it('connects as the user with the password the query string names, and never logs the password', async () => {
    const password = decodeURIComponent(new URL(database.url).password);
    const { code, output } = await runCli(['migrate', 'check'], { DATABASE_URL: withCredentialsInQuery(database.url, password), LOG_LEVEL: 'debug' });
    assert.equal(code, 0, output);
    assert.match(output, /"compatible": true/);
  });

  it('uses the query string\'s password: a wrong one is refused by the server, in one line without a stack', async () => {
    const { code, output } = await runCli(['migrate', 'check'], { DATABASE_URL: withCredentialsInQuery(database.url, 'wrong-password-7c1e') });
    assert.equal(code, 1, output);
    assert.match(output, /password authentication failed for user \\"postgres\\"/);
    assert.ok(!output.includes('wrong-password-7c1e'), 'the password is not logged');
    assert.ok(!/^\s+at /m.test(output) && !output.includes('\\n    at '), `no stack trace: ${output}`);
  });
});
