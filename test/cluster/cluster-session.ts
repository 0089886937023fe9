import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureClusterBinaries } from '../../deploy/local/cluster/cluster-binaries.js';
import { NODE_IP, POD_SUBNET } from '../../deploy/local/cluster/cluster-network.js';
import { startLocalCluster } from '../../deploy/local/cluster/local-cluster.js';
import { startLocalServices } from '../../deploy/local/services/local-services.js';
import { describeError } from '../../deploy/local/system/log-tail.js';
import { refuseOtherNodeMajor } from '../support/test-node-version.js';
import { toEnvironment } from './support/cluster-session-env.js';

// Started through nsenter in the network namespace: the Node it was given must still be the tests' one.
refuseOtherNodeMajor('npm run test:cluster');

/**
 * Runs inside the cluster's network namespace (started by run-cluster-tests.js): Kafka and PostgreSQL
 * listening on the node IP for the pods, the cluster, then the cluster test files; stops it all.
 * Arguments: pause image, application image, upgrade image (one more migration), their archives, then
 * optional test files.
 */
const [pauseImage = '', image = '', upgradeImage = '', pauseArchive = '', imageArchive = '', upgradeImageArchive = '', ...requested] = process.argv.slice(2);
const distCluster = fileURLToPath(new URL('.', import.meta.url));
const targets = requested.length > 0 ? requested : (await readdir(distCluster)).filter((file) => file.endsWith('.test.js')).map((file) => join(distCluster, file));
const log = (line: string): void => {
  process.stdout.write(`test:cluster: ${line}\n`);
};

const started = Date.now();
const [servicesStart, clusterStart] = await Promise.allSettled([
  startLocalServices({
    env: {},
    kafka: { advertisedHost: NODE_IP },
    // Commit timestamps give produce-to-row latency (helm-upgrade-readiness prints it).
    postgres: { settings: { listen_addresses: `127.0.0.1,${NODE_IP}`, track_commit_timestamp: 'on' }, passwordClients: [POD_SUBNET] },
  }),
  ensureClusterBinaries().then((binaries) => startLocalCluster({ binaries, pauseImage, imageArchives: [pauseArchive, imageArchive, upgradeImageArchive] })),
]);
if (servicesStart.status === 'rejected' || clusterStart.status === 'rejected') {
  // Whichever did start is stopped properly, so that the host state the kubelet changed is put back.
  await Promise.allSettled([servicesStart, clusterStart].map((start) => (start.status === 'fulfilled' ? start.value.stop() : undefined)));
  for (const start of [servicesStart, clusterStart]) if (start.status === 'rejected') process.stderr.write(`test:cluster: ${describeError(start.reason)}\n`);
  process.exit(1);
}
const services = servicesStart.value;
const cluster = clusterStart.value;
log(`cluster, Kafka and PostgreSQL up in ${((Date.now() - started) / 1000).toFixed(0)} s; cluster processes use ${((await cluster.memoryBytes()) / 2 ** 20).toFixed(0)} MiB`);

const podDatabaseUrl = new URL(services.databaseUrl);
podDatabaseUrl.hostname = NODE_IP;
const env = toEnvironment({
  kubeconfig: cluster.adminKubeconfig,
  kubectl: cluster.binaries.kubectl,
  helm: cluster.binaries.helm,
  crictl: cluster.binaries.crictl,
  skaffold: cluster.binaries.skaffold,
  registry: cluster.registry,
  containerdSocket: cluster.containerdSocket,
  image,
  upgradeImage,
  nodeIp: NODE_IP,
  kafkaBrokers: services.kafkaBrokers,
  databaseUrl: services.databaseUrl,
  podDatabaseUrl: podDatabaseUrl.toString(),
});
let exitCode = 1;
try {
  const testsStarted = Date.now();
  exitCode = await new Promise<number>((resolve) => {
    const runner = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=1', ...targets], { stdio: 'inherit', env: { ...process.env, ...env } });
    runner.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
  log(`tests ran in ${((Date.now() - testsStarted) / 1000).toFixed(0)} s; cluster processes then used ${((await cluster.memoryBytes()) / 2 ** 20).toFixed(0)} MiB`);
} finally {
  for (const stopped of await Promise.allSettled([cluster.stop(), services.stop()])) {
    if (stopped.status === 'rejected') {
      process.stderr.write(`test:cluster: ${describeError(stopped.reason)}\n`);
      exitCode = exitCode === 0 ? 1 : exitCode;
    }
  }
}
process.exit(exitCode);
