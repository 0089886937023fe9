import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureClusterBinaries } from '../../deploy/local/cluster/cluster-binaries.js';
import { ensureClusterPackages } from '../../deploy/local/cluster/debian-packages.js';
import { createNetworkNamespace } from '../../deploy/local/cluster/network-namespace.js';
import { buildApplicationImage, buildApplicationImageWithExtraMigration } from '../../deploy/local/image/application-image.js';
import { ensurePauseImage } from '../../deploy/local/image/pause-image.js';
import { databaseStandIn, ensureServiceStandIn } from '../../deploy/local/image/service-stand-ins.js';
import { saveImage } from '../../deploy/local/image/podman.js';
import { ensureChartCrdFiles } from '../../deploy/local/tools/custom-resource-definitions.js';
import { ensureKafkaJars } from '../../deploy/local/services/kafka-jars.js';
import { findOrInstallPostgresBinaries } from '../../deploy/local/services/postgres-binaries.js';
import { resolveCacheDir } from '../../deploy/local/system/cache-dir.js';
import { withFileLock } from '../../deploy/local/system/file-lock.js';
import { refuseOtherNodeMajor } from '../support/test-node-version.js';

/**
 * `npm run test:cluster`: prepares everything that needs the package registries (Debian packages, the
 * Go-built binaries, the Kafka jars, the images), then runs cluster-session.js inside a network
 * namespace of its own, from which nothing can leave the machine. Extra arguments: test files.
 */
const NAMESPACE = 'todo-history-cluster';
const APPLICATION_IMAGE = 'localhost/todo-history:cluster-test';
/** The same build plus one additive migration: what the schema-rollback test upgrades to and rolls back from. */
const UPGRADE_IMAGE = 'localhost/todo-history:cluster-test-extra-migration';

refuseOtherNodeMajor('npm run test:cluster');
if (process.platform !== 'linux' || process.getuid?.() !== 0) {
  process.stderr.write('test:cluster needs root on Linux (it creates a network namespace and runs containerd and a kubelet): not run.\n');
  process.exit(2);
}

const started = Date.now();
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(0)} s`;
const log = (line: string): void => {
  process.stdout.write(`test:cluster: ${line}\n`);
};

await ensureClusterPackages();
let phase = Date.now();
await ensureClusterBinaries();
await ensureKafkaJars();
// Inside the namespace apt could not reach its mirror, nor the Go module proxy (the custom resources' CRDs).
await findOrInstallPostgresBinaries();
await ensureChartCrdFiles();
log(`binaries ready in ${seconds(phase)}`);

/**
 * Builds the images and saves each one as soon as it is built: the tags are shared with every other
 * checkout's run on the machine, and one built while this run waits for the cluster lock would otherwise
 * be the one this run tests.
 */
async function buildAndSaveImages(archives: { pause: string; application: string; upgrade: string }): Promise<{ pause: string; application: string; upgrade: string }> {
  let since = Date.now();
  const pauseImage = await ensurePauseImage();
  await saveImage(pauseImage, archives.pause);
  const image = await buildApplicationImage(APPLICATION_IMAGE);
  await saveImage(image.reference, archives.application);
  log(`image ${image.reference} built in ${seconds(since)}: ${(image.sizeBytes / 1e6).toFixed(0)} MB`);
  since = Date.now();
  const upgradeImage = await buildApplicationImageWithExtraMigration(UPGRADE_IMAGE);
  await saveImage(upgradeImage.reference, archives.upgrade);
  log(`image ${upgradeImage.reference} built in ${seconds(since)}`);
  return { pause: pauseImage, application: image.reference, upgrade: upgradeImage.reference };
}

const archiveDir = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-images-'));
const archives = { pause: path.join(archiveDir, 'pause.tar'), application: path.join(archiveDir, 'application.tar'), upgrade: path.join(archiveDir, 'application-extra-migration.tar') };
let exitCode: number;
try {
  const images = await buildAndSaveImages(archives);
  phase = Date.now();
  // skaffold tags these inside the namespace, where the Debian mirror they are built from cannot be reached.
  const standIns = [await ensureServiceStandIn('kafka'), await ensureServiceStandIn('timescaledb')];
  log(`stand-ins ${standIns.join(', ')} ready in ${seconds(phase)}`);
  const database = await databaseStandIn();
  log(database.kind === 'timescaledb'
    ? `the timescale/timescaledb stand-in runs TimescaleDB ${database.version}, built from ${database.source}`
    : `the timescale/timescaledb stand-in is plain PostgreSQL: ${database.missingSource} is absent`);
  exitCode = await withFileLock(path.join(resolveCacheDir(), 'locks', NAMESPACE), async () => {
    const namespace = await createNetworkNamespace(NAMESPACE);
    try {
      const session = fileURLToPath(new URL('cluster-session.js', import.meta.url));
      const args = [`--net=${namespace.path}`, '--', process.execPath, '--enable-source-maps', session, images.pause, images.application, images.upgrade, archives.pause, archives.application, archives.upgrade, ...process.argv.slice(2)];
      return await new Promise<number>((resolve) => {
        const child = spawn('nsenter', args, { stdio: 'inherit' });
        child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
      });
    } finally {
      await namespace.delete();
    }
  }, 60 * 60_000);
} finally {
  await fs.rm(archiveDir, { recursive: true, force: true });
}
log(`finished in ${seconds(started)}`);
process.exit(exitCode);
