import { readFileSync } from 'node:fs';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** The API clients the scaler uses, and the namespace it works in. */
export interface KubeClients {
  server: string;
  namespace: string;
  apps: AppsV1Api;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

/**
 * The namespace to work in: the configured one; else the pod's own (from its service account); else,
 * outside a cluster, the kubeconfig context's; else `default`.
 */
export function resolveNamespace(configured: string, serviceAccountNamespace: string | undefined, contextNamespace: string | undefined): string {
  for (const candidate of [configured, serviceAccountNamespace?.trim(), contextNamespace]) {
    if (candidate !== undefined && candidate !== '') return candidate;
  }
  return 'default';
}

function readServiceAccountNamespace(): string | undefined {
  try {
    return readFileSync(serviceAccountNamespaceFile, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Clients from `KUBECONFIG`, `~/.kube/config`, or the pod's service account, in that order
 * (`KubeConfig.loadFromDefault`).
 */
export function createKubeClients(configuredNamespace: string): KubeClients {
  const config = new KubeConfig();
  config.loadFromDefault();
  const context = config.getContextObject(config.getCurrentContext());
  return {
    server: config.getCurrentCluster()?.server ?? '',
    namespace: resolveNamespace(configuredNamespace, readServiceAccountNamespace(), context?.namespace),
    apps: config.makeApiClient(AppsV1Api),
    core: config.makeApiClient(CoreV1Api),
    coordination: config.makeApiClient(CoordinationV1Api),
  };
}
