import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { helm, repoRoot } from '../support/kubernetes/helm-chart.js';
import { findObject, parseManifests, type ConfigMap, type Deployment, type KubeObject } from '../support/kubernetes/manifests.js';
import { CLUSTER_TESTED_BLOCKS, deploymentCommandBlocks, deploymentDocuments } from '../support/deployment-docs.js';
import { inlineCode, shellCommands, shellWords } from '../support/readme-commands.js';

// The first run may build helm from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;

/** Flags of `helm install|upgrade` that act on a cluster and mean nothing to `helm template`. */
const releaseOnlyFlags = new Set(['--install', '--reuse-values', '--wait', '--atomic', '--create-namespace']);
const releaseOnlyFlagsWithValue = new Set(['--timeout']);

interface HelmRelease {
  /** The README's command, for messages. */
  command: string;
  release: string;
  chart: string;
  /** Every flag but the release-only ones, in order. */
  flags: string[];
  reuseValues: boolean;
}

/** `helm install NAME CHART …` and `helm upgrade [--install] NAME CHART …`, taken apart. */
function helmRelease(words: readonly string[]): HelmRelease {
  const positional: string[] = [];
  const flags: string[] = [];
  for (let index = 2; index < words.length; index++) {
    const word = words[index] ?? '';
    if (releaseOnlyFlags.has(word)) continue;
    if (releaseOnlyFlagsWithValue.has(word)) {
      index++;
    } else if (word.startsWith('-')) {
      flags.push(word, words[++index] ?? '');
    } else {
      positional.push(word);
    }
  }
  const [release = '', chart = ''] = positional;
  assert.equal(positional.length, 2, `release and chart of: ${words.join(' ')}`);
  return { command: words.join(' '), release, chart, flags, reuseValues: words.includes('--reuse-values') };
}

/**
 * `helm template` with the README command's values. An upgrade with --reuse-values keeps what the release was
 * installed with: the flags of the README's install of the same release go first. That is helm's merge only
 * while both commands use the same kinds of flag: within one command helm applies all --values, then all
 * --set-json, then all --set, then all --set-string, whatever their order, so an upgrade's --set-json would
 * lose to an install's --set here although it wins on a cluster.
 */
async function renderAsInstalled(command: HelmRelease, installed: readonly HelmRelease[], extraFlags: readonly string[] = []): Promise<KubeObject[]> {
  const previous = command.reuseValues ? installed.filter((other) => other.release === command.release && other !== command).flatMap((other) => other.flags) : [];
  const result = await helm(['template', command.release, path.join(repoRoot, command.chart), ...previous, ...command.flags, ...extraFlags]);
  assert.equal(result.exitCode, 0, `${command.command} ${extraFlags.join(' ')}\n${result.stderr}`);
  return parseManifests(result.stdout);
}

const settingsOf = (objects: readonly KubeObject[], release: string): Record<string, string> => findObject<ConfigMap>(objects, 'ConfigMap', `${release}-todo-history`).data ?? {};

/** The README's deploy section and the deployment docs it links, as one document. */
const readme = (await deploymentDocuments()).map((document) => document.markdown).join('\n');

describe('Helm chart: the README\'s commands, as written', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  const releases = shellCommands(readme)
    .filter((words) => words[0] === 'helm' && (words[1] === 'install' || words[1] === 'upgrade'))
    .map(helmRelease);
  const install = releases.find((command) => !command.reuseValues);

  it('marks every command block of the deployment docs for the cluster test that runs it (test/cluster/readme-commands.test.ts)', async () => {
    const blocks = await deploymentCommandBlocks();
    for (const block of blocks) assert.ok(block.marker !== undefined, `${block.source}: a command block without a <!-- test:cluster MODE NAME --> mark: ${block.commands[0] ?? ''}`);
    assert.deepEqual(blocks.map((block) => block.marker), CLUSTER_TESTED_BLOCKS);
  });

  it('finds the install and the MSK example in the README', () => {
    assert.deepEqual(releases.map((command) => [command.release, command.chart, command.reuseValues]), [
      ['history', 'helm/todo-history', false],
      ['history', 'helm/todo-history', true],
    ]);
  });

  it('renders the install: a list of brokers, the partitions as replicas', async () => {
    assert.ok(install);
    const objects = await renderAsInstalled(install, releases);
    assert.equal(settingsOf(objects, 'history')['KAFKA_BROKERS'], 'kafka-0.kafka:9092,kafka-1.kafka:9092');
    const consumer = findObject<Deployment>(objects, 'Deployment', 'history-todo-history');
    assert.equal((consumer.spec as unknown as { replicas: number }).replicas, 6);
    assert.equal(consumer.spec.template.spec.containers[0]?.image, 'registry.example.com/todo-history:0.1.0');
  });

  it('renders the MSK example on top of the install, as --reuse-values does', async () => {
    const msk = releases.find((command) => command.reuseValues);
    assert.ok(msk);
    const settings = settingsOf(await renderAsInstalled(msk, releases), 'history');
    assert.deepEqual(
      [settings['KAFKA_BROKERS'], settings['KAFKA_SSL_ENABLED'], settings['KAFKA_SASL_MECHANISM'], settings['DATABASE_SSL_MODE'], settings['DATABASE_SSL_CA_FILE']],
      ['b-1.msk.example:9096,b-2.msk.example:9096', 'true', 'scram-sha-512', 'verify-full', '/etc/todo-history/database-ca/ca.crt'],
    );
  });

  it('renders every `--set` fragment the README suggests, added to the install', async () => {
    assert.ok(install);
    // A fragment is a `--set…` span with a value; `--set-file` alone names the flag.
    const fragments = inlineCode(readme).filter((code) => /^--set(-json|-string)? \S+=/.test(code));
    assert.ok(fragments.length >= 5, fragments.join('\n'));
    for (const fragment of fragments) {
      const { flags } = helmRelease(['helm', 'install', 'history', 'helm/todo-history', ...shellWords(fragment)]);
      await renderAsInstalled(install, releases, flags);
    }
  });
});
