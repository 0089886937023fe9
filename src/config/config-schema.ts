import type convict from 'convict';
import type { Schema } from 'convict';

/** How to reach Kafka: shared by every Kafka client of this product. */
export interface KafkaConnectionConfig {
  brokers: string[];
  clientId: string;
  ssl: { enabled: boolean; caFile: string; certFile: string; keyFile: string; rejectUnauthorized: boolean };
  sasl: { mechanism: KafkaSaslMechanism; username: string; password: string };
}

export interface RetryConfig {
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Every setting of the consumer. Each key is read from the environment variable named by `env`. */
export interface AppConfig {
  kafka: KafkaConnectionConfig & {
    topic: string;
    groupId: string;
    dlqTopic: string;
    fromBeginning: boolean;
    sessionTimeoutMs: number;
    heartbeatIntervalMs: number;
    maxBytesPerPartition: number;
    partitionsConsumedConcurrently: number;
  };
  database: {
    url: string;
    password: string;
    sslMode: DatabaseSslMode;
    sslCaFile: string;
    sslCertFile: string;
    sslKeyFile: string;
    timescaledb: TimescaledbMode;
    poolSize: number;
    insertChunkRows: number;
    maxDaysPerTransaction: number;
    connectTimeoutMs: number;
    statementTimeoutMs: number;
    lockTimeoutMs: number;
  };
  events: { maxBytes: number; maxDepth: number; maxTimeSkewDays: number };
  timescaledb: TimescaledbPolicyConfig;
  retry: RetryConfig;
  shutdown: { graceMs: number };
  http: { port: number };
  health: { stallTimeoutMs: number; stuckPartitionTimeoutMs: number; readinessRebalanceGraceMs: number; lagPollIntervalMs: number };
  log: { level: LogLevel };
}

/** The data lifecycle of the hypertable that `migrate` sets up; each in whole days, 0 for off. */
export interface TimescaledbPolicyConfig {
  compressAfterDays: number;
  dropRawAfterDays: number;
  summaryRefreshDays: number;
}

export const kafkaSaslMechanisms = ['none', 'plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];

export const databaseSslModes = ['disable', 'require', 'verify-full'] as const;
export type DatabaseSslMode = (typeof databaseSslModes)[number];

export const timescaledbModes = ['auto', 'required', 'off'] as const;
export type TimescaledbMode = (typeof timescaledbModes)[number];

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

/** Connection settings every Kafka client of this product shares: the consumer and the scaler. */
export const kafkaConnectionSchema: Schema<KafkaConnectionConfig> = {
  brokers: {
    doc: 'Kafka bootstrap brokers, comma-separated host:port.',
    format: 'broker-list',
    default: ['localhost:9092'],
    env: 'KAFKA_BROKERS',
  },
  clientId: {
    doc: 'Client id this service reports to Kafka.',
    format: 'non-empty-string',
    default: 'todo-history',
    env: 'KAFKA_CLIENT_ID',
  },
  ssl: {
    enabled: {
      doc: 'Connect to Kafka over TLS.',
      format: 'boolean-flag',
      default: false,
      env: 'KAFKA_SSL_ENABLED',
    },
    caFile: {
      doc: 'PEM file with the CA that signed the brokers\' certificates; empty uses the system CAs.',
      format: 'pem-file',
      default: '',
      env: 'KAFKA_SSL_CA_FILE',
    },
    certFile: {
      doc: 'PEM file with this client\'s certificate, for brokers that ask for mutual TLS; empty sends none. Needs KAFKA_SSL_KEY_FILE.',
      format: 'pem-file',
      default: '',
      env: 'KAFKA_SSL_CERT_FILE',
    },
    keyFile: {
      doc: 'PEM file with the private key of KAFKA_SSL_CERT_FILE (unencrypted).',
      format: 'pem-file',
      default: '',
      env: 'KAFKA_SSL_KEY_FILE',
    },
    rejectUnauthorized: {
      doc: 'Reject broker certificates that do not verify.',
      format: 'boolean-flag',
      default: true,
      env: 'KAFKA_SSL_REJECT_UNAUTHORIZED',
    },
  },
  sasl: {
    mechanism: {
      doc: 'SASL mechanism for Kafka, or none.',
      format: [...kafkaSaslMechanisms],
      default: 'none',
      env: 'KAFKA_SASL_MECHANISM',
    },
    username: {
      doc: 'SASL user name (required unless the mechanism is none).',
      format: String,
      default: '',
      env: 'KAFKA_SASL_USERNAME',
    },
    password: {
      doc: 'SASL password (required unless the mechanism is none); or a file named by KAFKA_SASL_PASSWORD_FILE.',
      format: String,
      default: '',
      env: 'KAFKA_SASL_PASSWORD',
      sensitive: true,
    },
  },
};

export const topicSchema: convict.SchemaObj<string> = {
  doc: 'Topic the todo application publishes its events to.',
  format: 'topic-name',
  default: 'todo-history-events',
  env: 'KAFKA_TOPIC',
};

export const httpPortSchema: convict.SchemaObj<number> = {
  doc: 'Port of the HTTP server that answers /livez, /readyz and /metrics.',
  format: 'bounded-int',
  min: 1,
  max: 65_535,
  default: 8_080,
  env: 'HTTP_PORT',
};

export const logLevelSchema: convict.SchemaObj<LogLevel> = {
  doc: 'Least severe log level written.',
  format: [...logLevels],
  default: 'info',
  env: 'LOG_LEVEL',
};

/** Backoff of a failed step (a batch write, a dead-letter publish, a reconcile): doubles up to a cap. */
export const retrySchema: Schema<RetryConfig> = {
  initialDelayMs: {
    doc: 'First wait before a failed step is retried (a batch write or dead-letter publish; a scaler reconcile), in milliseconds; it doubles per failure.',
    format: 'bounded-int',
    min: 10,
    max: 600_000,
    default: 2_000,
    env: 'RETRY_INITIAL_DELAY_MS',
  },
  maxDelayMs: {
    doc: 'Longest wait between retries, in milliseconds.',
    format: 'bounded-int',
    min: 10,
    max: 3_600_000,
    default: 60_000,
    env: 'RETRY_MAX_DELAY_MS',
  },
};

/** Read by `migrate` only, which turns them into TimescaleDB jobs; the consumer ignores them. */
export const timescaledbPolicySchema: Schema<TimescaledbPolicyConfig> = {
  compressAfterDays: {
    doc:
      'Compress the chunks of todo_event_logs once their days are this many days old (a TimescaleDB compression policy, set by migrate); ' +
      '0: no policy (chunks compressed before stay compressed). Needs a hypertable.',
    format: 'bounded-int',
    min: 0,
    max: 36_500,
    default: 0,
    env: 'TIMESCALEDB_COMPRESS_AFTER_DAYS',
  },
  dropRawAfterDays: {
    doc:
      'Drop the chunks of todo_event_logs once their days are this many days old (a TimescaleDB retention policy, set by migrate); ' +
      'the daily summaries keep those days. 0: rows are kept for ever. Needs a hypertable and TIMESCALEDB_SUMMARY_REFRESH_DAYS below it.',
    format: 'bounded-int',
    min: 0,
    max: 36_500,
    default: 0,
    env: 'TIMESCALEDB_DROP_RAW_AFTER_DAYS',
  },
  summaryRefreshDays: {
    doc:
      "How many days back the daily summaries' refresh recounts days from the rows: an event stored later than that after its day " +
      'is kept but not counted in the summaries. 0: the whole history, which rules out TIMESCALEDB_DROP_RAW_AFTER_DAYS ' +
      '(a refresh over dropped days would count them from no rows); otherwise at least 3 (the refresh leaves out the newest day ' +
      'and covers at least two).',
    format: 'bounded-int',
    min: 0,
    max: 36_500,
    default: 0,
    env: 'TIMESCALEDB_SUMMARY_REFRESH_DAYS',
  },
};

/**
 * The convict schema. It is the one source of truth for environment variable names: the Helm chart's
 * checks read it too, so the chart and the app cannot drift apart.
 */
export const configSchema: Schema<AppConfig> = {
  kafka: {
    ...kafkaConnectionSchema,
    topic: topicSchema,
    groupId: {
      doc: 'Consumer group; the default is the Go consumer\'s, so this service takes over its committed offsets.',
      format: 'non-empty-string',
      default: 'todo-consumer-group-go',
      env: 'KAFKA_GROUP_ID',
    },
    dlqTopic: {
      doc: 'Dead-letter topic that receives messages which cannot be stored, with the reason in headers.',
      format: 'topic-name',
      default: 'todo-history-events.dlq',
      env: 'KAFKA_DLQ_TOPIC',
    },
    fromBeginning: {
      doc: 'Where a group with no committed offset starts: true reads the whole topic, false only new events.',
      format: 'boolean-flag',
      default: true,
      env: 'KAFKA_FROM_BEGINNING',
    },
    sessionTimeoutMs: {
      doc: 'Consumer group session timeout in milliseconds.',
      format: 'bounded-int',
      min: 6_000,
      max: 300_000,
      default: 30_000,
      env: 'KAFKA_SESSION_TIMEOUT_MS',
    },
    heartbeatIntervalMs: {
      doc: 'Consumer group heartbeat interval in milliseconds (well below the session timeout). kafkajs heartbeats between batches only, so this is also how late a member notices a rebalance, which holds up the whole group meanwhile.',
      format: 'bounded-int',
      min: 100,
      max: 60_000,
      default: 500,
      env: 'KAFKA_HEARTBEAT_INTERVAL_MS',
    },
    maxBytesPerPartition: {
      doc: 'Most bytes fetched from one partition per request; bounds the size of a batch.',
      format: 'bounded-int',
      min: 1_024,
      max: 64 * 1_048_576,
      default: 1_048_576,
      env: 'KAFKA_MAX_BYTES_PER_PARTITION',
    },
    partitionsConsumedConcurrently: {
      doc: 'How many partitions one replica writes at the same time (each uses one database connection).',
      format: 'bounded-int',
      min: 1,
      max: 64,
      default: 3,
      env: 'KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY',
    },
  },
  database: {
    url: {
      doc: 'PostgreSQL connection URL; or a file named by DATABASE_URL_FILE.',
      format: 'postgres-url',
      default: 'postgres://postgres@localhost:5432/todo_history',
      env: 'DATABASE_URL',
      sensitive: true,
    },
    password: {
      doc: 'PostgreSQL password, overriding any in the URL; or a file named by DATABASE_PASSWORD_FILE.',
      format: String,
      default: '',
      env: 'DATABASE_PASSWORD',
      sensitive: true,
    },
    sslMode: {
      doc: 'TLS to PostgreSQL: disable, require (encrypt, no verification) or verify-full; an sslmode in DATABASE_URL sets it too.',
      format: [...databaseSslModes],
      default: 'disable',
      env: 'DATABASE_SSL_MODE',
    },
    sslCaFile: {
      doc: 'PEM file with the CA of the PostgreSQL server, for verify-full; empty uses the system CAs.',
      format: 'pem-file',
      default: '',
      env: 'DATABASE_SSL_CA_FILE',
    },
    sslCertFile: {
      doc: 'PEM file with a client certificate for PostgreSQL (pg_hba.conf `cert` or `clientcert=verify-full`); empty sends none. Needs DATABASE_SSL_KEY_FILE.',
      format: 'pem-file',
      default: '',
      env: 'DATABASE_SSL_CERT_FILE',
    },
    sslKeyFile: {
      doc: 'PEM file with the private key of DATABASE_SSL_CERT_FILE (unencrypted).',
      format: 'pem-file',
      default: '',
      env: 'DATABASE_SSL_KEY_FILE',
    },
    timescaledb: {
      doc: 'Whether migrate makes todo_event_logs a TimescaleDB hypertable: auto (when the extension can be created), required (fail otherwise) or off.',
      format: [...timescaledbModes],
      default: 'auto',
      env: 'DATABASE_TIMESCALEDB',
    },
    poolSize: {
      doc: 'Most connections in the pool; at least KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY.',
      format: 'bounded-int',
      min: 1,
      max: 200,
      default: 5,
      env: 'DATABASE_POOL_SIZE',
    },
    insertChunkRows: {
      doc: 'Most rows in one INSERT statement; a batch larger than this is written in several, in one transaction.',
      format: 'bounded-int',
      min: 1,
      max: 100_000,
      default: 5_000,
      env: 'DATABASE_INSERT_CHUNK_ROWS',
    },
    maxDaysPerTransaction: {
      doc:
        'Most distinct days (TimescaleDB chunks) one transaction stores rows on; a batch spanning more is stored in several ' +
        "transactions, each advancing the partition's offset over its part. A new chunk takes about 20 locks of PostgreSQL's " +
        'shared lock table until its transaction ends: at the defaults (max_locks_per_transaction 64, max_connections 100) ' +
        'one transaction alone could create about 1,270, so 100 leaves room for a dozen writers doing it at once.',
      format: 'bounded-int',
      min: 1,
      max: 10_000,
      default: 100,
      env: 'DATABASE_MAX_DAYS_PER_TRANSACTION',
    },
    connectTimeoutMs: {
      doc: 'How long to wait for a new database connection, in milliseconds.',
      format: 'bounded-int',
      min: 100,
      max: 120_000,
      default: 5_000,
      env: 'DATABASE_CONNECT_TIMEOUT_MS',
    },
    statementTimeoutMs: {
      doc: 'Server-side timeout of one statement, in milliseconds; 0 sets none (the server\'s default applies).',
      format: 'bounded-int',
      min: 0,
      max: 86_400_000,
      default: 30_000,
      env: 'DATABASE_STATEMENT_TIMEOUT_MS',
    },
    lockTimeoutMs: {
      doc: 'Server-side limit on waiting for a lock, in milliseconds; 0 sets none (the server\'s default applies). The migration Job sets one, so that a migration queued behind a lock fails and retries instead of blocking every writer behind it.',
      format: 'bounded-int',
      min: 0,
      max: 3_600_000,
      default: 0,
      env: 'DATABASE_LOCK_TIMEOUT_MS',
    },
  },
  events: {
    maxBytes: {
      doc: 'Largest message value stored, in bytes; a larger one is dead-lettered as too_large.',
      format: 'bounded-int',
      min: 1_024,
      max: 64 * 1_048_576,
      default: 1_048_576,
      env: 'EVENT_MAX_BYTES',
    },
    maxDepth: {
      doc: 'Deepest nesting of JSON objects and arrays stored; a deeper message is dead-lettered as too_deep.',
      format: 'bounded-int',
      min: 2,
      max: 1_000,
      default: 64,
      env: 'EVENT_MAX_DEPTH',
    },
    maxTimeSkewDays: {
      doc:
        "Most days an event's time may lie from its Kafka record's timestamp; a time further away is treated as invalid " +
        '(the next valid time is stored, the given one kept in event_data). 0: no limit, as a backfill of history needs; ' +
        'on TimescaleDB each distinct far day is a chunk of its own.',
      format: 'bounded-int',
      min: 0,
      max: 3_650_000,
      default: 0,
      env: 'EVENT_MAX_TIME_SKEW_DAYS',
    },
  },
  timescaledb: timescaledbPolicySchema,
  retry: retrySchema,
  shutdown: {
    graceMs: {
      doc: 'On SIGTERM, how long the batch in flight may take to finish before the process exits anyway, in milliseconds; keep it below the pod\'s terminationGracePeriodSeconds.',
      format: 'bounded-int',
      min: 1_000,
      max: 600_000,
      default: 20_000,
      env: 'SHUTDOWN_GRACE_MS',
    },
  },
  http: { port: httpPortSchema },
  health: {
    stallTimeoutMs: {
      doc: '/livez fails when partitions have unread events and no batch was stored for this long (outside a database backoff), in milliseconds.',
      format: 'bounded-int',
      min: 1_000,
      max: 3_600_000,
      default: 120_000,
      env: 'LIVENESS_STALL_TIMEOUT_MS',
    },
    stuckPartitionTimeoutMs: {
      doc: 'A partition whose batch has kept failing this long is reported stuck (error log, metric, /readyz 503), in milliseconds.',
      format: 'bounded-int',
      min: 1_000,
      max: 86_400_000,
      default: 300_000,
      env: 'STUCK_PARTITION_TIMEOUT_MS',
    },
    readinessRebalanceGraceMs: {
      doc: '/readyz fails once the consumer has been out of its group this long (a rebalance, a lost coordinator), in milliseconds; a shorter rebalance keeps it ready.',
      format: 'bounded-int',
      min: 0,
      max: 600_000,
      default: 30_000,
      env: 'READINESS_REBALANCE_GRACE_MS',
    },
    lagPollIntervalMs: {
      doc: 'How often the consumer lag of the assigned partitions is measured, in milliseconds.',
      format: 'bounded-int',
      min: 500,
      max: 600_000,
      default: 10_000,
      env: 'LAG_POLL_INTERVAL_MS',
    },
  },
  log: { level: logLevelSchema },
};
