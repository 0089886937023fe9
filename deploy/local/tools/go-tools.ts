import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveCacheDir } from '../system/cache-dir.js';
import { withFileLock } from '../system/file-lock.js';
import { buildGoBinary, type GoBuildRecipe } from './go-module-build.js';
import {
  CHART_TESTING_VERSION,
  COREDNS_VERSION,
  CRICTL_VERSION,
  ETCD_VERSION,
  HELM_KUBERNETES_MINOR,
  HELM_DOCS_VERSION,
  HELM_VERSION,
  KUBECONFORM_VERSION,
  KUBERNETES_STAGING_VERSION,
  KUBERNETES_VERSION,
  PROMETHEUS_MODULE_VERSION,
  REGISTRY_VERSION,
  SKAFFOLD_VERSION,
} from './tool-versions.js';

export { ensureKubernetesSchemas } from './kubernetes-schemas.js';
export { ensureSkaffoldSchema } from './skaffold-schema.js';

/** The k8s.io/kubernetes commands, each built from the same module with the same version stamp. */
export type KubernetesCommand = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet' | 'kube-proxy' | 'kubectl';

export type GoTool = 'helm' | 'kubeconform' | 'skaffold' | 'etcd' | 'crictl' | 'coredns' | 'registry' | 'promtool' | 'prometheus' | 'ct' | 'helm-docs' | KubernetesCommand;

const KUBERNETES_MINOR = KUBERNETES_VERSION.split('.')[1] ?? '';

function kubernetesRecipe(command: KubernetesCommand): GoBuildRecipe {
  return {
    module: 'k8s.io/kubernetes',
    version: KUBERNETES_VERSION,
    mainPackage: `k8s.io/kubernetes/cmd/${command}`,
    localReplacementVersion: KUBERNETES_STAGING_VERSION,
    ldflags: [
      '-s',
      '-w',
      `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
      '-X k8s.io/component-base/version.gitMajor=1',
      `-X k8s.io/component-base/version.gitMinor=${KUBERNETES_MINOR}`,
      '-X k8s.io/component-base/version.gitTreeState=clean',
    ],
  };
}

export const GO_TOOL_RECIPES: Readonly<Record<GoTool, GoBuildRecipe>> = {
  helm: {
    module: 'helm.sh/helm/v3',
    version: HELM_VERSION,
    mainPackage: 'helm.sh/helm/v3/cmd/helm',
    ldflags: [
      '-s',
      '-w',
      `-X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
      // Without these helm claims Kubernetes v1.20 as its default capabilities (see helm's Makefile).
      '-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1',
      `-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${HELM_KUBERNETES_MINOR}`,
      '-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1',
      `-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${HELM_KUBERNETES_MINOR}`,
    ],
  },
  kubeconform: {
    module: 'github.com/yannh/kubeconform',
    version: KUBECONFORM_VERSION,
    mainPackage: 'github.com/yannh/kubeconform/cmd/kubeconform',
    ldflags: ['-s', '-w', `-X main.version=${KUBECONFORM_VERSION}`],
  },
  skaffold: {
    module: 'github.com/GoogleContainerTools/skaffold/v2',
    version: SKAFFOLD_VERSION,
    mainPackage: 'github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold',
    ldflags: ['-s', '-w', `-X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=${SKAFFOLD_VERSION}`],
    // The release build's Linux tags (skaffold's Makefile).
    tags: ['timetzdata', 'osusergo', 'netgo', 'static_build', 'release'],
  },
  etcd: {
    module: 'go.etcd.io/etcd/server/v3',
    version: ETCD_VERSION,
    mainPackage: 'go.etcd.io/etcd/server/v3',
    localReplacementVersion: ETCD_VERSION,
    ldflags: ['-s', '-w'],
  },
  crictl: {
    module: 'sigs.k8s.io/cri-tools',
    version: CRICTL_VERSION,
    mainPackage: 'sigs.k8s.io/cri-tools/cmd/crictl',
    ldflags: ['-s', '-w', `-X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_VERSION}`],
  },
  coredns: {
    module: 'github.com/coredns/coredns',
    version: COREDNS_VERSION,
    mainPackage: 'github.com/coredns/coredns',
    ldflags: ['-s', '-w'],
  },
  registry: {
    module: 'github.com/distribution/distribution/v3',
    version: REGISTRY_VERSION,
    mainPackage: 'github.com/distribution/distribution/v3/cmd/registry',
    ldflags: ['-s', '-w', `-X github.com/distribution/distribution/v3/version.version=${REGISTRY_VERSION}`],
  },
  // Tests the chart's alert rules (promtool test rules).
  promtool: {
    module: 'github.com/prometheus/prometheus',
    version: PROMETHEUS_MODULE_VERSION,
    mainPackage: 'github.com/prometheus/prometheus/cmd/promtool',
    ldflags: ['-s', '-w'],
    // Without the service discoveries' cloud SDKs (only `promtool check sd` uses them): a third of the build time.
    tags: ['remove_all_sd'],
  },
  // Scrapes a local run for the dashboard snapshot (npm run dashboard:snapshot).
  prometheus: {
    module: 'github.com/prometheus/prometheus',
    version: PROMETHEUS_MODULE_VERSION,
    mainPackage: 'github.com/prometheus/prometheus/cmd/prometheus',
    ldflags: ['-s', '-w'],
    tags: ['remove_all_sd'],
  },
  // chart-testing's `ct lint` of the chart (it runs helm, yamllint and yamale).
  ct: {
    module: 'github.com/helm/chart-testing/v3',
    version: CHART_TESTING_VERSION,
    mainPackage: 'github.com/helm/chart-testing/v3/ct',
    ldflags: ['-s', '-w', `-X github.com/helm/chart-testing/v3/ct/cmd.Version=${CHART_TESTING_VERSION}`],
  },
  // Writes helm/todo-history/README.md from values.yaml (npm run chart:readme).
  'helm-docs': {
    module: 'github.com/norwoodj/helm-docs',
    version: HELM_DOCS_VERSION,
    mainPackage: 'github.com/norwoodj/helm-docs/cmd/helm-docs',
    ldflags: ['-s', '-w', `-X main.version=${HELM_DOCS_VERSION.slice(1)}`],
  },
  'kube-apiserver': kubernetesRecipe('kube-apiserver'),
  'kube-controller-manager': kubernetesRecipe('kube-controller-manager'),
  'kube-scheduler': kubernetesRecipe('kube-scheduler'),
  kubelet: kubernetesRecipe('kubelet'),
  'kube-proxy': kubernetesRecipe('kube-proxy'),
  kubectl: kubernetesRecipe('kubectl'),
};

async function isExecutable(file: string): Promise<boolean> {
  try {
    await fs.access(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where the binary of `tool` at its pinned version lives once built. */
export function goToolBinaryPath(tool: GoTool): string {
  return path.join(resolveCacheDir(), 'bin', `${tool}-${GO_TOOL_RECIPES[tool].version}`, tool);
}

async function buildIntoCache(tool: GoTool): Promise<string> {
  const binary = goToolBinaryPath(tool);
  const recipe = GO_TOOL_RECIPES[tool];
  const key = `${tool}-${recipe.version}`;
  return withFileLock(path.join(resolveCacheDir(), 'locks', key), async () => {
    if (await isExecutable(binary)) return binary; // Another process built it while we waited.
    const partial = `${binary}.partial-${process.pid}`;
    await fs.mkdir(path.dirname(binary), { recursive: true });
    try {
      await buildGoBinary(recipe, path.join(resolveCacheDir(), 'go-build', key), partial);
      await fs.rename(partial, binary);
    } catch (error) {
      await fs.rm(partial, { force: true });
      throw new Error(`Building ${tool} ${recipe.version} from ${recipe.module} failed: ${(error as Error).message}`, { cause: error });
    }
    return binary;
  });
}

const pending = new Map<GoTool, Promise<string>>();

/**
 * Path to the cached binary of `tool`, building it from the Go module proxy on first
 * use (kube-apiserver takes many minutes on two cores; later calls are instant).
 */
export async function ensureGoTool(tool: GoTool): Promise<string> {
  const binary = goToolBinaryPath(tool);
  if (await isExecutable(binary)) return binary;
  let build = pending.get(tool);
  if (build === undefined) {
    build = buildIntoCache(tool).finally(() => pending.delete(tool));
    pending.set(tool, build);
  }
  return build;
}
