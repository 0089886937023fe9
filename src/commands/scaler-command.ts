import os from 'node:os';
import type { Logger } from 'pino';
import { redactScalerConfig } from '../config/redact-config.js';
import type { ScalerConfig } from '../config/scaler-config-schema.js';
import { closeHealthServer } from '../http/health-server.js';
import { serveProbes } from '../http/serve-probes.js';
import { createKafka } from '../kafka/create-kafka.js';
import { createScalerMetrics } from '../metrics/scaler-metrics.js';
import { DeploymentScale } from '../scaler/deployment-scale.js';
import { createKubeClients, type KubeClients } from '../scaler/kube-clients.js';
import { LeaderElector } from '../scaler/leader-elector.js';
import { LeaseStore } from '../scaler/lease-store.js';
import { PartitionCounter } from '../scaler/partition-counter.js';
import { Reconciler } from '../scaler/reconciler.js';
import { ScaleEventRecorder } from '../scaler/scale-event-recorder.js';
import { ScalerController } from '../scaler/scaler-controller.js';
import { systemClock } from '../scaler/clock.js';
import { loopAllowances, ScalerHealth } from '../scaler/scaler-health.js';
import { describeError } from '../process/describe-error.js';
import { stopOnUnexpectedErrors } from '../process/unexpected-errors.js';
import { exitCodes } from './exit-codes.js';
import { runUntilStopped } from './run-until-stopped.js';

/**
 * `todo-history scaler`: keeps the consumer Deployment's replicas equal to the topic's partition count
 * (within the minimum and maximum) while it leads, until SIGTERM or SIGINT. Stopping finishes the
 * reconcile in flight, then releases the Lease so another replica takes over at once; a second
 * signal exits at once.
 */
export async function scalerCommand(config: ScalerConfig, logger: Logger): Promise<number> {
  const { scaler, leaderElection } = config;
  const identity = leaderElection.identity === '' ? os.hostname() : leaderElection.identity;
  const leaseName = leaderElection.leaseName === '' ? `${scaler.deployment}-scaler` : leaderElection.leaseName;
  let kube: KubeClients;
  try {
    kube = createKubeClients(scaler.namespace);
  } catch (error) {
    logger.fatal({ reason: describeError(error) }, `cannot load a Kubernetes client configuration: ${describeError(error)}`);
    return exitCodes.failure;
  }
  logger.info({ config: redactScalerConfig(config), apiServer: kube.server, namespace: kube.namespace, identity, lease: leaseName }, 'starting scaler');

  const clock = systemClock;
  const now = clock.monotonicMs;
  const metrics = createScalerMetrics();
  const health = new ScalerHealth(loopAllowances(config), now());
  // One try per call and a request timeout within the reconcile budget: the loop does the retrying.
  const kafka = createKafka(config.kafka, logger, { retry: { retries: 0 }, requestTimeout: leaderElection.renewDeadlineMs });
  const partitions = new PartitionCounter(kafka, config.kafka, config.kafka.topic);
  const elector = new LeaderElector(
    new LeaseStore(kube.coordination, kube.namespace, leaseName),
    { identity, leaseDurationMs: leaderElection.leaseDurationMs, renewDeadlineMs: leaderElection.renewDeadlineMs, retryPeriodMs: leaderElection.retryPeriodMs },
    { logger, metrics, health, clock, random: Math.random },
  );
  const reconciler = new Reconciler({
    topic: config.kafka.topic,
    minReplicas: scaler.minReplicas,
    maxReplicas: scaler.maxReplicas,
    budgetMs: leaderElection.renewDeadlineMs,
    partitions,
    scale: new DeploymentScale(kube.apps, kube.namespace, scaler.deployment),
    events: new ScaleEventRecorder(kube.core, kube.namespace, scaler.deployment, identity),
    leadershipLeftMs: () => elector.leadershipLeftMs(),
    clock,
    logger,
    metrics,
  });
  const controller = new ScalerController({ reconciler, isLeader: () => elector.isLeader(), intervalMs: scaler.intervalMs, retry: config.retry, logger, metrics, health, clock });
  elector.onLeadershipChange((leading) => {
    if (leading) controller.wake();
  });

  const server = await serveProbes(config.http.port, { live: () => health.liveness(now()), ready: async () => health.readiness() }, metrics.registry, logger);
  if (server === undefined) return exitCodes.failure;

  // Past a lease duration another replica has taken over anyway; a stop that takes longer is stuck.
  const run = runUntilStopped('scaler', logger, leaderElection.leaseDurationMs, async () => {
    // The Lease is released only after the reconcile in flight has finished.
    await elector.stop(controller.stop());
    await partitions.close();
    await closeHealthServer(server);
  });
  stopOnUnexpectedErrors(logger, (reason) => run.stop(exitCodes.failure, reason));
  const crashed = (loop: string) => (error: unknown): void => {
    logger.fatal({ err: error }, `the ${loop} loop crashed`);
    run.stop(exitCodes.failure, `${loop} loop crashed`);
  };
  elector.run().catch(crashed('leader election'));
  controller.run().catch(crashed('reconcile'));
  logger.info({ port: config.http.port }, 'scaler running; probes and metrics served over HTTP');
  return run.exitCode;
}
