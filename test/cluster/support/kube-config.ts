import { KubeConfig } from '@kubernetes/client-node';
import { clusterSessionEnv } from './cluster-session-env.js';

/** The admin kubeconfig of the cluster session, for API clients in the test process. */
export function kubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(clusterSessionEnv().kubeconfig);
  return config;
}
