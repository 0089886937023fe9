import { causeChain } from './cause-chain.js';

/** Why a connection to Kafka or PostgreSQL failed: a stable code for logs and metrics. */
export type ConnectionFailureCode =
  | 'tls_host_name_mismatch'
  | 'tls_unknown_ca'
  | 'tls_certificate_invalid'
  | 'tls_not_supported'
  | 'tls_required'
  | 'tls_handshake_failed'
  | 'authentication_failed'
  | 'sasl_mechanism_unsupported'
  | 'connection_refused'
  | 'host_not_found'
  | 'connection_timeout';

/** Codes that a person must fix (a setting, a certificate, a password): retrying cannot help. */
const permanentCodes: ReadonlySet<ConnectionFailureCode> = new Set([
  'tls_host_name_mismatch',
  'tls_unknown_ca',
  'tls_certificate_invalid',
  'tls_not_supported',
  'tls_required',
  'authentication_failed',
  'sasl_mechanism_unsupported',
]);

/** What a connection was configured with, in the words of the settings a user can change. */
export interface ConnectionSettings {
  /** Who answered: "Kafka broker", "PostgreSQL". */
  readonly server: string;
  /** host:port tried, when the error does not say. */
  readonly address: string;
  /** The setting that says where: KAFKA_BROKERS, DATABASE_URL. */
  readonly addressSetting: string;
  /** Whether TLS is on, and the setting that turns it on (KAFKA_SSL_ENABLED, DATABASE_SSL_MODE). */
  readonly tls: { readonly enabled: boolean; readonly setting: string };
  /** The setting that names the trusted CA and its value ('' for the system CAs). */
  readonly ca: { readonly setting: string; readonly file: string };
  /** The credential settings to check when the server refuses them, e.g. `KAFKA_SASL_USERNAME "app" and KAFKA_SASL_PASSWORD`. */
  readonly credentials: string;
  /** The setting that picks how to authenticate, and its value, when there is one (KAFKA_SASL_MECHANISM). */
  readonly mechanism?: { readonly setting: string; readonly value: string };
}

/**
 * A connection failed for a reason this service can name: which server, what went wrong in words, and
 * the setting to look at. Its message never holds a secret.
 */
export class ConnectionFailure extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: ConnectionFailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectionFailure';
    this.retryable = !permanentCodes.has(code);
  }
}

// OpenSSL's verification results that mean "no trusted CA signed this chain".
const unknownCaCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);
const invalidCertificateCodes = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_PURPOSE']);

type Fields = Record<string, unknown>;

function text(fields: Fields, name: string): string | undefined {
  const value = fields[name];
  return typeof value === 'string' ? value : undefined;
}

/** host:port from a Node socket error, else the configured address. */
function addressOf(fields: Fields, settings: ConnectionSettings): string {
  const host = text(fields, 'address') ?? text(fields, 'host');
  const port = fields.port;
  if (host !== undefined && (typeof port === 'number' || typeof port === 'string')) return `${host}:${port}`;
  // kafkajs's connection errors say which broker as host:port.
  return text(fields, 'broker') ?? settings.address;
}

function hostOf(address: string): string {
  return address.replace(/:\d+$/, '');
}

function trustedCas({ ca }: ConnectionSettings): string {
  return ca.file === '' ? `the system CAs (${ca.setting} is empty)` : `${ca.setting} (${ca.file})`;
}

/** The names a certificate is issued for, from Node's parsed peer certificate. */
function certificateNames(fields: Fields): string {
  const cert = fields.cert;
  const names = typeof cert === 'object' && cert !== null && 'subjectaltname' in cert ? String(cert.subjectaltname) : '';
  return names === '' ? '' : ` (it names ${names})`;
}

function describeTls(code: string, fields: Fields, settings: ConnectionSettings): ConnectionFailure | undefined {
  const at = `${settings.server} ${addressOf(fields, settings)}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const host = text(fields, 'host') ?? hostOf(addressOf(fields, settings));
    return new ConnectionFailure(
      'tls_host_name_mismatch',
      `${at}: host name mismatch: its certificate is not issued for ${host}${certificateNames(fields)}; connect by a name the certificate lists (${settings.addressSetting})`,
    );
  }
  if (unknownCaCodes.has(code)) {
    return new ConnectionFailure('tls_unknown_ca', `${at}: unknown CA: its certificate is not signed by a CA in ${trustedCas(settings)}; set ${settings.ca.setting} to the PEM file of the CA that signed it`);
  }
  if (invalidCertificateCodes.has(code)) {
    return new ConnectionFailure('tls_certificate_invalid', `${at}: its certificate is not valid (${code.toLowerCase().replaceAll('_', ' ')})`);
  }
  return undefined;
}

function describeSocket(code: string, fields: Fields, settings: ConnectionSettings): ConnectionFailure | undefined {
  const address = addressOf(fields, settings);
  const at = `${settings.server} ${address}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionFailure('connection_refused', `${at}: connection refused: nothing listens there (${settings.addressSetting})`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionFailure('host_not_found', `${settings.server} ${settings.address}: host not found: ${text(fields, 'hostname') ?? address} does not resolve (${settings.addressSetting})`);
    case 'ETIMEDOUT':
      return new ConnectionFailure('connection_timeout', `${at}: connection timed out (${settings.addressSetting})`);
    case 'ECONNRESET':
      return settings.tls.enabled
        ? new ConnectionFailure('tls_handshake_failed', `${at}: the server closed the connection during the TLS handshake: is it a TLS listener? (${settings.addressSetting}, ${settings.tls.setting})`)
        : undefined;
    default:
      return undefined;
  }
}

/** kafkajs's authentication errors (it is CommonJS, so they are told apart by name and type). */
function describeKafkaAuthentication(fields: Fields, settings: ConnectionSettings): ConnectionFailure | undefined {
  const mechanism = settings.mechanism === undefined ? '' : ` with ${settings.mechanism.setting}=${settings.mechanism.value}`;
  if (fields.name === 'KafkaJSSASLAuthenticationError' || fields.type === 'SASL_AUTHENTICATION_FAILED') {
    return new ConnectionFailure('authentication_failed', `${settings.server} ${settings.address}: authentication failed${mechanism}: check ${settings.credentials}`);
  }
  if (fields.type === 'UNSUPPORTED_SASL_MECHANISM') {
    return new ConnectionFailure('sasl_mechanism_unsupported', `${settings.server} ${settings.address}: the listener does not enable the SASL mechanism asked for${mechanism}`);
  }
  return undefined;
}

/** PostgreSQL's refusals (SQLSTATE class 28) and pg's own TLS negotiation errors. */
function describePostgres(fields: Fields, settings: ConnectionSettings): ConnectionFailure | undefined {
  const message = text(fields, 'message') ?? '';
  const at = `${settings.server} ${settings.address}`;
  if (fields.code === '28P01') return new ConnectionFailure('authentication_failed', `${at}: authentication failed: ${message}; check ${settings.credentials}`);
  if (fields.code === '28000') {
    if (message.includes('no encryption')) {
      return new ConnectionFailure('tls_required', `${at}: the server accepts this user only over TLS (pg_hba.conf: ${message}); set ${settings.tls.setting}=verify-full`);
    }
    return new ConnectionFailure('authentication_failed', `${at}: the server refused the login (pg_hba.conf: ${message}); check ${settings.credentials}`);
  }
  if (message === 'The server does not support SSL connections') {
    return new ConnectionFailure('tls_not_supported', `${at}: the server does not offer TLS, but ${settings.tls.setting} asks for it`);
  }
  return undefined;
}

/**
 * Names what went wrong when connecting, from the error and everything it wraps (kafkajs nests the
 * socket's error several levels deep): a host name mismatch, an unknown CA, refused credentials, a
 * refused connection... Undefined for anything else, which callers report as they did before.
 */
export function diagnoseConnectionFailure(error: unknown, settings: ConnectionSettings): ConnectionFailure | undefined {
  for (const link of causeChain(error)) {
    if (link instanceof ConnectionFailure) return link;
    const fields = link as Fields;
    const code = text(fields, 'code');
    const failure =
      (code === undefined ? undefined : (describeTls(code, fields, settings) ?? describeSocket(code, fields, settings))) ??
      describeKafkaAuthentication(fields, settings) ??
      describePostgres(fields, settings);
    if (failure !== undefined) return failure;
  }
  return undefined;
}

/** Runs `work`; a failure this module can name is rethrown as a ConnectionFailure, anything else as it was. */
export async function diagnosingFailures<T>(settings: ConnectionSettings, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw diagnoseConnectionFailure(error, settings) ?? error;
  }
}
