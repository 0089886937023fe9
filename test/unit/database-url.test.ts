import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.js';
import { redactConfig } from '../../src/config/redact-config.js';
import { connectionConfig } from '../../src/db/create-database.js';
import { configProblems } from '../support/config-problems.js';

const problemsOf = (env: Record<string, string>): readonly string[] => configProblems(env);

function connectionFor(env: Record<string, string>) {
  const { host, port, user, password, database, ssl } = connectionConfig(loadConfig(env).database, 'test');
  return { host, port, user, password, database, ssl };
}

describe('DATABASE_URL', () => {
  it('connects with the user, password, host, port, database and sslmode of its query string', () => {
    assert.deepEqual(connectionFor({ DATABASE_URL: 'postgres://db.internal/history?user=app&password=p%40ss%20word&port=6543&sslmode=require' }), {
      host: 'db.internal',
      port: 6543,
      user: 'app',
      password: 'p@ss word',
      database: 'history',
      ssl: { rejectUnauthorized: false },
    });
    assert.deepEqual(connectionFor({ DATABASE_URL: 'postgresql:///?host=/var/run/postgresql&dbname=history' }), {
      host: '/var/run/postgresql',
      port: 5432,
      user: 'postgres',
      password: '',
      database: 'history',
      ssl: false,
    });
  });

  it('takes the same settings from the URL itself, percent-decoded, and DATABASE_PASSWORD over both', () => {
    assert.deepEqual(connectionFor({ DATABASE_URL: 'postgres://app:p%2Fw@[::1]:6000/history' }), {
      host: '::1', port: 6000, user: 'app', password: 'p/w', database: 'history', ssl: false,
    });
    assert.equal(connectionFor({ DATABASE_URL: 'postgres://h/db?password=url-pw', DATABASE_PASSWORD: 'env-pw' }).password, 'env-pw');
  });

  it('puts the URL\'s sslmode in effect, and refuses a DATABASE_SSL_MODE that says otherwise', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://h/db?sslmode=verify-full' }).database.sslMode, 'verify-full');
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://h/db?sslmode=require', DATABASE_SSL_MODE: 'require' }).database.sslMode, 'require');
    assert.deepEqual(problemsOf({ DATABASE_URL: 'postgres://h/db?sslmode=require', DATABASE_SSL_MODE: 'disable' }), [
      'database.sslMode (DATABASE_SSL_MODE): differs from the sslmode in DATABASE_URL; set only one of them',
    ]);
  });

  it('refuses what it cannot honour, naming DATABASE_URL and the parameter but never a value', () => {
    const cases: [string, RegExp][] = [
      ['postgres://h/db?sslrootcert=/ca.pem&password=hunter2', /query parameter "sslrootcert" is not supported \(supported: user, password, host, port, dbname, sslmode\)/],
      ['postgres://app:hunter2@h/db?user=other', /gives user twice, differently/],
      ['postgres://app:hunter2@h/db?password=hunter3', /gives password twice, differently/],
      ['postgres://h/db?port=99999&password=hunter2', /port must be an integer from 1 to 65535/],
      ['postgres://h/db?sslmode=prefer&password=hunter2', /sslmode must be one of disable, require, verify-full/],
      ['postgres://h/db?user=a&user=b&password=hunter2', /query parameter "user" is given more than once/],
      ['postgres://h/?password=hunter2', /no database name/],
      ['postgres:///db?password=hunter2', /no host/],
    ];
    for (const [url, expected] of cases) {
      const problems = problemsOf({ DATABASE_URL: url });
      assert.equal(problems.length, 1, `${url}: ${problems.join(' | ')}`);
      assert.match(problems[0] ?? '', /^database\.url \(DATABASE_URL\): /);
      assert.match(problems[0] ?? '', expected);
      assert.ok(!problems.join('\n').includes('hunter'), `${url}: a problem shows a secret`);
    }
  });

  it('is logged with every password redacted: in the user info, in the query string, and the settings', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://app:hunter2@h/db?password=hunter2&sslmode=require',
      DATABASE_PASSWORD: 'hunter3',
    });
    const logged = JSON.stringify(redactConfig(config));
    assert.ok(!logged.includes('hunter'), logged);
    assert.equal(redactConfig(config).database.url, 'postgres://app:%5Bredacted%5D@h/db?password=%5Bredacted%5D&sslmode=require');
  });
});
