import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { startCli, runCli, type CliProcess } from '../../deploy/local/cli-process.js';
import { findFreePort, findFreePorts } from '../../deploy/local/system/free-port.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { closeHealthServer, HttpPortError, startHealthServer } from '../../src/http/health-server.js';
import { getProbe } from '../support/probes.js';
import { hostileRequests, rawRequest } from '../support/raw-http.js';

const secret = 'query-string-secret-9f3a';

/** Nothing listens on these loopback ports: Kafka, PostgreSQL and the API server are all "down". */
async function unreachableEnv(): Promise<Record<string, string>> {
  const [kafkaPort, databasePort, apiPort] = await findFreePorts(3);
  const kubeconfig = join(await mkdtemp(join(tmpdir(), 'todo-history-kubeconfig-')), 'config');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: down, cluster: {server: "https://127.0.0.1:${apiPort}"}}]`,
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: down, context: {cluster: down, user: u, namespace: default}}]',
      'current-context: down',
      '',
    ].join('\n'),
  );
  return {
    KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    DATABASE_URL: `postgres://127.0.0.1:${databasePort}/todo_history?user=app&password=${secret}`,
    KUBECONFIG: kubeconfig,
    SCALER_DEPLOYMENT: 'todo-history',
    RETRY_INITIAL_DELAY_MS: '200',
    RETRY_MAX_DELAY_MS: '1000',
  };
}

function stackLines(output: string): string[] {
  return output.split('\n').filter((line) => /^\s+at |\\n\s+at /.test(line));
}

describe('the probe server', () => {
  let server: Server;
  let port: number;

  before(async () => {
    port = await findFreePort();
    server = await startHealthServer(port, 'HTTP_PORT', { live: () => ({ ok: true, reason: 'ok' }), ready: async () => ({ ok: true, reason: 'ok' }) }, new Registry());
  });

  after(() => closeHealthServer(server));

  for (const { bytes, status } of hostileRequests) {
    it(`answers ${JSON.stringify(bytes.split('\r\n')[0])} with ${status}`, async () => {
      assert.equal(await rawRequest(port, bytes), status);
      assert.equal((await getProbe(port, '/livez')).status, 200, 'and goes on serving');
    });
  }

  it('rejects a busy port with an error naming the setting', async () => {
    await assert.rejects(
      startHealthServer(port, 'HTTP_PORT', { live: () => ({ ok: true, reason: 'ok' }), ready: async () => ({ ok: true, reason: 'ok' }) }, new Registry()),
      (error: unknown) => error instanceof HttpPortError && error.code === 'http_port_unavailable' && /port \d+ \(HTTP_PORT\): the port is in use/.test(error.message),
    );
  });
});

for (const command of ['consume', 'scaler'] as const) {
  describe(`todo-history ${command} while nothing it needs answers`, () => {
    let cli: CliProcess;
    let port: number;

    before(async () => {
      port = await findFreePort();
      cli = startCli([command], { ...(await unreachableEnv()), HTTP_PORT: String(port) });
      await waitFor('the probes to be served', () => getProbe(port, '/livez'), (probe) => probe.status === 200, { timeoutMs: 20_000 });
    });

    after(async () => {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      await cli.exited;
    });

    it('serves its probes at once, and /readyz says why it is not ready', async () => {
      const ready = await getProbe(port, '/readyz');
      assert.equal(ready.status, 503);
      if (command === 'consume') assert.match(ready.body, /^starting: database: PostgreSQL 127\.0\.0\.1:\d+: connection refused: nothing listens there \(the host in DATABASE_URL\); retrying in \d+ ms/);
      else assert.match(ready.body, /leader election|no leader election round yet/);
    });

    it('survives every request it cannot route, answering each', async () => {
      for (const { bytes, status } of hostileRequests) assert.equal(await rawRequest(port, bytes), status);
      assert.equal((await getProbe(port, '/livez')).status, 200);
      assert.equal(cli.child.exitCode, null, 'the process is still running');
    });

    it('never logs the password from the URL\'s query string', () => {
      assert.ok(!cli.output().includes(secret), 'the secret is not in the output');
    });

    it('stops with exit 0 on SIGTERM, even before it has started', async () => {
      cli.child.kill('SIGTERM');
      assert.equal(await cli.exited, 0, cli.output());
    });
  });

  it(`todo-history ${command} exits 1 with one line naming HTTP_PORT when the port is busy`, async () => {
    const port = await findFreePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, resolve));
    try {
      const { code, output } = await runCli([command], { ...(await unreachableEnv()), HTTP_PORT: String(port) });
      assert.equal(code, 1, output);
      const mentions = output.split('\n').filter((line) => line.includes('HTTP_PORT'));
      assert.equal(mentions.length, 1, output);
      const line = JSON.parse(mentions[0] ?? '{}') as Record<string, unknown>;
      assert.equal(line.level, 'fatal');
      assert.match(String(line.msg), new RegExp(`cannot serve the probes on port ${port} \\(HTTP_PORT\\): the port is in use`));
      assert.deepEqual(stackLines(output), [], 'no stack trace');
      assert.ok(!output.includes('EADDRINUSE'), 'the error speaks of the setting, not the syscall');
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
}
