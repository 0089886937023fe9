/** Pinned tool versions; each one is part of the binary cache key. */
export const HELM_VERSION = 'v3.22.0';
export const KUBECONFORM_VERSION = 'v0.8.0';
/** chart-testing (`ct lint`); the Go module proxy lists no versions of it, but serves this one by name. */
export const CHART_TESTING_VERSION = 'v3.14.0';
/** The Python linters `ct lint` runs (PyPI), installed into a cached virtual environment. */
export const YAMLLINT_VERSION = '1.38.0';
export const YAMALE_VERSION = '6.1.0';
/** Generates the chart's README from values.yaml. */
export const HELM_DOCS_VERSION = 'v1.14.2';
export const SKAFFOLD_VERSION = 'v2.24.0';
export const ETCD_VERSION = 'v3.7.3';
export const CRICTL_VERSION = 'v1.37.0';
export const COREDNS_VERSION = 'v1.15.0';
/** The CNCF distribution registry: the local registry skaffold pushes to and containerd pulls from. */
export const REGISTRY_VERSION = 'v3.1.2';
/** Prometheus 3.x publishes its Go module as v0.<minor>.<patch>: v0.316.0 is Prometheus 3.16.0. */
export const PROMETHEUS_MODULE_VERSION = 'v0.316.0';
/** The custom resources the chart can render: Prometheus Operator's (ServiceMonitor, PrometheusRule) and KEDA's (ScaledObject). */
export const PROMETHEUS_OPERATOR_VERSION = 'v0.85.0';
export const KEDA_VERSION = 'v2.21.0';
export const KUBERNETES_VERSION = 'v1.37.2';
/** The k8s.io staging modules (k8s.io/api, k8s.io/apiserver, ...) are published as v0.<minor>.<patch>. */
export const KUBERNETES_STAGING_VERSION = 'v0.37.2';
/** Kubernetes minor version that helm reports as its default capabilities (matches helm's client-go v0.37). */
export const HELM_KUBERNETES_MINOR = '37';
