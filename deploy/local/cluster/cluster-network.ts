/** Addresses of the single-node cluster; all of them exist only inside its network namespace. */
export const NODE_NAME = 'todo-history-node';
export const NODE_IP = '10.250.0.1';
export const NODE_PREFIX_LENGTH = 24;
export const POD_SUBNET = '10.244.0.0/24';
export const SERVICE_SUBNET = '10.96.0.0/16';
/** The first address of the service range: the `kubernetes` Service. */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';
export const CLUSTER_DOMAIN = 'cluster.local';
export const APISERVER_PORT = 6443;
export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
export const KUBELET_PORT = 10250;
export const REGISTRY_PORT = 5000;
