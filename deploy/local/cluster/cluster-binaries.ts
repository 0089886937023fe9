import { ensureGoTool, type GoTool } from '../tools/go-tools.js';

const CLUSTER_TOOLS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl', 'crictl', 'coredns', 'helm', 'registry', 'skaffold'] as const;

export type ClusterBinaries = Readonly<Record<(typeof CLUSTER_TOOLS)[number], string>>;

/** Every binary the cluster and its tests run, built from the Go module proxy once and then cached by version. */
export async function ensureClusterBinaries(): Promise<ClusterBinaries> {
  const paths: Partial<Record<GoTool, string>> = {};
  // One at a time: each build already uses every core.
  for (const tool of CLUSTER_TOOLS) paths[tool] = await ensureGoTool(tool);
  return paths as ClusterBinaries;
}
