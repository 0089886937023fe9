import { ApiException } from '@kubernetes/client-node';
import { causeChain } from '../connection/cause-chain.js';
import { ConnectionFailure } from '../connection/connection-failure.js';

/** What the scaler was doing when it failed: a label of the errors metric. */
export type ScalerOperation = 'lease' | 'partitions' | 'read_scale' | 'patch_scale' | 'record_event';

/** Why it failed: a stable code, the other label of the errors metric. */
export type ScalerErrorKind =
  | 'kafka_unreachable'
  | 'kafka_rejected'
  | 'topic_not_found'
  | 'kafka_error'
  | 'api_unreachable'
  | 'api_forbidden'
  | 'api_not_found'
  | 'api_conflict'
  | 'api_rejected'
  | 'internal';

/** Kinds an outage explains, so waiting fixes them; the others need a person (RBAC, a missing object). */
const transientKinds: ReadonlySet<ScalerErrorKind> = new Set(['kafka_unreachable', 'api_unreachable', 'api_conflict']);

/** A step of a reconcile or of leader election that failed; nothing was changed by it. */
export class ScalerError extends Error {
  constructor(
    readonly operation: ScalerOperation,
    readonly code: ScalerErrorKind,
    cause: unknown,
  ) {
    super(`${operation} failed (${code}): ${describeCause(cause)}`, { cause });
    this.name = 'ScalerError';
  }

  /** True when the same step may succeed later without anyone fixing anything. */
  get transient(): boolean {
    return transientKinds.has(this.code);
  }
}

/** A step that did not finish within its time budget. */
const kafkaConnectionErrors = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSNumberOfRetriesExceeded',
  'TimeoutError',
]);

function field(error: unknown, name: 'name' | 'type'): unknown {
  return typeof error === 'object' && error !== null && name in error ? (error as Record<string, unknown>)[name] : undefined;
}

/** Classifies a kafkajs failure (kafkajs is CommonJS, so its error classes are told apart by name). */
export function kafkaErrorKind(error: unknown): ScalerErrorKind {
  const chain = causeChain(error);
  // A certificate or credentials the broker or this client refused; a refused connection is an outage.
  const connectionFailure = chain.find((e) => e instanceof ConnectionFailure);
  if (connectionFailure !== undefined) return connectionFailure.retryable ? 'kafka_unreachable' : 'kafka_rejected';
  if (chain.some((e) => field(e, 'type') === 'UNKNOWN_TOPIC_OR_PARTITION')) return 'topic_not_found';
  if (chain.some((e) => kafkaConnectionErrors.has(String(field(e, 'name'))))) return 'kafka_unreachable';
  return 'kafka_error';
}

/** Classifies a failed Kubernetes API call by its HTTP status; no status means no answer at all. */
export function kubeErrorKind(error: unknown): ScalerErrorKind {
  if (error instanceof ApiException) {
    const status = Number(error.code);
    if (status === 401 || status === 403) return 'api_forbidden';
    if (status === 404) return 'api_not_found';
    if (status === 409) return 'api_conflict';
    if (status === 429 || status >= 500) return 'api_unreachable';
    return 'api_rejected';
  }
  if (networkFailure(error) !== undefined) return 'api_unreachable';
  // An aborted request, or our own deadline.
  const name = String(field(error, 'name'));
  return ['AbortError', 'TimeoutError'].includes(name) ? 'api_unreachable' : 'internal';
}

/**
 * What made a request get no answer at all, when that is what happened: undici's fetch reports every
 * network, DNS and TLS failure as a TypeError whose `cause` carries the socket's `code` (ECONNREFUSED,
 * ENOTFOUND, UND_ERR_SOCKET, DEPTH_ZERO_SELF_SIGNED_CERT, …). A TypeError of a bug has no such cause.
 */
function networkFailure(error: unknown): Error | undefined {
  if (!(error instanceof TypeError) || !(error.cause instanceof Error)) return undefined;
  return typeof (error.cause as { code?: unknown }).code === 'string' ? error.cause : undefined;
}

/** The `message` of a Kubernetes Status body, which the client hands over as JSON text. */
function statusMessage(body: unknown): string {
  try {
    const status: unknown = typeof body === 'string' ? JSON.parse(body) : body;
    return typeof status === 'object' && status !== null && 'message' in status ? String(status.message) : '';
  } catch {
    return '';
  }
}

/** One line: ApiException's own message carries the whole response, headers included. */
function describeCause(cause: unknown): string {
  if (cause instanceof ApiException) {
    const message = statusMessage(cause.body);
    return `HTTP ${String(cause.code)}${message === '' ? '' : `: ${message}`}`;
  }
  // undici's own message is only "fetch failed": the reason is in its cause.
  const network = networkFailure(cause);
  if (network !== undefined) return network.message;
  return cause instanceof Error ? cause.message : String(cause);
}

/**
 * Log fields for a failure: its operation, kind and one-line message (pino's `err` would repeat the
 * cause's message and print kafkajs' or the HTTP client's stack); the stack only for a bug.
 */
export function failureFields(error: ScalerError): Record<string, unknown> {
  return { operation: error.operation, kind: error.code, error: error.message, ...(error.code === 'internal' ? { err: error.cause } : {}) };
}
