import path from 'node:path';
import { goModuleSourceDir } from './go-module-source.js';
import { KEDA_VERSION, PROMETHEUS_OPERATOR_VERSION } from './tool-versions.js';

/** The CustomResourceDefinition files of the kinds the chart renders beside the built-in ones. */
export interface ChartCrdFiles {
  serviceMonitors: string;
  prometheusRules: string;
  scaledObjects: string;
}

/**
 * The projects' own CRD manifests, from their Go modules (the module proxy serves the whole repository):
 * once downloaded into the Go module cache they are read from there, also where no network reaches.
 */
export async function ensureChartCrdFiles(): Promise<ChartCrdFiles> {
  const operator = await goModuleSourceDir('github.com/prometheus-operator/prometheus-operator', PROMETHEUS_OPERATOR_VERSION);
  const keda = await goModuleSourceDir('github.com/kedacore/keda/v2', KEDA_VERSION);
  const operatorCrds = path.join(operator, 'example', 'prometheus-operator-crd');
  return {
    serviceMonitors: path.join(operatorCrds, 'monitoring.coreos.com_servicemonitors.yaml'),
    prometheusRules: path.join(operatorCrds, 'monitoring.coreos.com_prometheusrules.yaml'),
    scaledObjects: path.join(keda, 'config', 'crd', 'bases', 'keda.sh_scaledobjects.yaml'),
  };
}
