import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { renderChart, repoRoot } from '../support/kubernetes/helm-chart.js';
import { findObject, type Deployment, type KubeObject } from '../support/kubernetes/manifests.js';

// The first run may build helm from source.
const TOOL_BUILD_TIMEOUT_MS = 30 * 60_000;

/** An object a GitOps tool is told to leave alone, and the fields it leaves. */
interface IgnoredFields {
  kind: string;
  name: string;
  paths: string[];
}

/** What docs/gitops.md tells a tool: the release, its values, and what to ignore. */
interface GitOpsExample {
  tool: 'Argo CD' | 'Flux';
  release: string;
  namespace: string;
  values: Record<string, unknown>;
  ignored: IgnoredFields[];
  syncOptions: string[];
}

interface ArgoApplication {
  kind: 'Application';
  spec: {
    destination: { namespace: string };
    source: { path: string; helm: { releaseName: string; valuesObject: Record<string, unknown> } };
    ignoreDifferences: { kind: string; name: string; jsonPointers: string[] }[];
    syncPolicy: { syncOptions: string[] };
  };
}

interface FluxHelmRelease {
  kind: 'HelmRelease';
  metadata: { namespace: string };
  spec: { releaseName: string; values: Record<string, unknown>; driftDetection: { ignore: { paths: string[]; target: { kind: string; name: string } }[] } };
}

function example(document: ArgoApplication | FluxHelmRelease): GitOpsExample {
  if (document.kind === 'Application') {
    const { spec } = document;
    assert.equal(spec.source.path, 'helm/todo-history');
    return {
      tool: 'Argo CD',
      release: spec.source.helm.releaseName,
      namespace: spec.destination.namespace,
      values: spec.source.helm.valuesObject,
      ignored: spec.ignoreDifferences.map(({ kind, name, jsonPointers }) => ({ kind, name, paths: jsonPointers })),
      syncOptions: spec.syncPolicy.syncOptions,
    };
  }
  const { spec, metadata } = document;
  return {
    tool: 'Flux',
    release: spec.releaseName,
    namespace: metadata.namespace,
    values: spec.values,
    ignored: spec.driftDetection.ignore.map(({ paths, target }) => ({ kind: target.kind, name: target.name, paths })),
    syncOptions: [],
  };
}

const guide = await readFile(path.join(repoRoot, 'docs', 'gitops.md'), 'utf8');
const examples = [...guide.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((match) => example(parse(match[1] ?? '') as ArgoApplication | FluxHelmRelease));

/** The chart rendered with an example's values as Argo CD renders it: `helm template`, no cluster, so `lookup` finds nothing. */
const render = (gitops: GitOpsExample, values: Record<string, unknown> = gitops.values): Promise<KubeObject[]> =>
  renderChart({ release: gitops.release, namespace: gitops.namespace, setJson: values, testImage: false });

describe('docs/gitops.md: the Argo CD and Flux examples, rendered as Argo CD renders', { timeout: TOOL_BUILD_TIMEOUT_MS }, () => {
  it('finds two Argo CD Applications (scaler, KEDA) and a Flux HelmRelease', () => {
    assert.deepEqual(examples.map((gitops) => [gitops.tool, 'scaler' in gitops.values ? 'scaler' : 'keda']), [['Argo CD', 'scaler'], ['Argo CD', 'keda'], ['Flux', 'scaler']]);
  });

  for (const [index, gitops] of examples.entries()) {
    describe(`example ${index + 1} (${gitops.tool})`, () => {
      it('renders the consumer Deployment with replicas, the partition count and never 1', async () => {
        const deployment = findObject<Deployment>(await render(gitops), 'Deployment', `${gitops.release}-todo-history`);
        const partitions = (gitops.values as { kafka: { topic: { partitions: number } } }).kafka.topic.partitions;
        assert.ok(partitions > 1);
        assert.equal(deployment.spec.replicas, partitions);
      });

      it('ignores the replicas of the Deployment the chart renders, and only fields of objects it renders', async () => {
        const objects = await render(gitops);
        assert.ok(gitops.ignored.some((entry) => entry.kind === 'Deployment' && entry.name === `${gitops.release}-todo-history` && entry.paths.includes('/spec/replicas')));
        for (const entry of gitops.ignored) findObject(objects, entry.kind, entry.name);
        if (objects.some((object) => object.kind === 'Lease')) {
          assert.ok(gitops.ignored.some((entry) => entry.kind === 'Lease' && entry.paths.includes('/spec')), 'the scaler\'s Lease is ignored');
        }
        if (gitops.tool === 'Argo CD') assert.ok(gitops.syncOptions.includes('RespectIgnoreDifferences=true'));
      });
    });
  }

  it('needs initialReplicas with KEDA: without it the rendered Deployment has no replicas, which a sync over a count deletes', async () => {
    const keda = examples.find((gitops) => 'keda' in gitops.values);
    assert.ok(keda);
    const { initialReplicas, ...withoutInitial } = keda.values;
    assert.equal(typeof initialReplicas, 'number');
    const deployment = findObject<Deployment>(await render(keda, withoutInitial), 'Deployment', `${keda.release}-todo-history`);
    assert.equal('replicas' in deployment.spec, false);
  });
});
