import { createConsumerMetrics } from '../../src/metrics/consumer-metrics.js';
import { createScalerMetrics } from '../../src/metrics/scaler-metrics.js';

/** Every metric name the consumer and the scaler register, with the series a histogram exposes. */
export async function exportedMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const registry of [createConsumerMetrics().registry, createScalerMetrics().registry]) {
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name);
      if (metric.type.toString() === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    }
  }
  return names;
}

/** The names of our own and of Node's process metrics a PromQL expression uses. */
export function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(?:todo_history|process|nodejs)_[a-z_]+/g)].map((match) => match[0]);
}
