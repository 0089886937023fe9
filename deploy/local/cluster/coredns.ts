import fs from 'node:fs/promises';
import path from 'node:path';
import { ManagedProcess } from '../tools/managed-process.js';
import { CLUSTER_DOMAIN, NODE_IP } from './cluster-network.js';

/** RBAC for CoreDNS's kubernetes plugin: what the upstream deployment's ClusterRole grants. */
export const COREDNS_RBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:coredns
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: system:coredns
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:coredns
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: system:coredns
`;

export const COREDNS_READY_URL = 'http://127.0.0.1:8181/ready';

/**
 * CoreDNS as a node process answering on the node IP (the pods' clusterDNS). It serves the cluster
 * domain only and forwards nothing: there is no resolver outside the namespace to forward to.
 */
export async function startCoreDns(binary: string, directory: string, kubeconfig: string): Promise<ManagedProcess> {
  const corefile = path.join(directory, 'Corefile');
  await fs.writeFile(corefile, `.:53 {
    bind ${NODE_IP}
    errors
    health 127.0.0.1:8180
    ready 127.0.0.1:8181
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
`);
  return new ManagedProcess('coredns', binary, ['-conf', corefile], path.join(directory, 'coredns.log'));
}
