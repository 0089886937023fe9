import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderLog4jConfig } from '../services/kafka-broker-config.js';
import { DEFAULT_KAFKA_VERSION, ensureKafkaJars } from '../services/kafka-jars.js';
import { pathExists } from '../services/path-exists.js';
import { DEFAULT_TIMESCALEDB_VERSION, timescaledbSourcePath } from '../services/timescaledb-build.js';
import { ensureDebianMinbase } from './base-images.js';
import { buildImage, imageExists } from './podman.js';

/**
 * Stand-ins for the public images of deploy/k8s, which no registry reachable here serves. Each keeps the
 * paths, user and behaviour the manifests rely on, so the same manifests run on either:
 * - apache/kafka: Debian's Java 21 and the broker's and tools' jars from Maven Central under /opt/kafka/libs, with
 *   /opt/kafka/bin/kafka-storage.sh, kafka-server-start.sh, kafka-topics.sh and kafka-console-producer.sh;
 *   user appuser (1000).
 * - timescale/timescaledb: Debian's PostgreSQL 17 with TimescaleDB built from the release source the tests
 *   use (../shared/vendor), preloaded as the official image does, and an entrypoint that honours
 *   POSTGRES_PASSWORD, POSTGRES_DB and PGDATA like the official one, including its temporary init server
 *   that listens on the Unix socket only; user postgres (70). Without the source (a clone without
 *   ../shared) it is plain PostgreSQL 17, on which the application keeps a plain table.
 * Built once per version into podman's storage under the cache dir; building needs the Debian mirror.
 */
/** What Debian 13 (trixie, the minbase's suite) ships; Kafka 4 runs on Java 17 or newer. */
const POSTGRES_MAJOR_VERSION = '17';
const JAVA_PACKAGE = 'openjdk-21-jre-headless';

export type ServiceStandIn = 'kafka' | 'timescaledb';

const APT_INSTALL = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends';
const APT_CLEAN = 'apt-get clean && rm -rf /var/lib/apt/lists/*';

/** What Kafka's kafka-run-class.sh does, reduced to the variables the manifests set. */
const KAFKA_RUN_CLASS = `#!/bin/sh
# Stand-in for Kafka's bin/kafka-run-class.sh: CLASS ARGS..., honouring KAFKA_HEAP_OPTS and KAFKA_OPTS.
class="$1"; shift
exec java \${KAFKA_HEAP_OPTS:--Xmx256m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \\
  -Dlog4j2.configurationFile=\${KAFKA_LOG4J_CONFIG:-/opt/kafka/config/log4j2.properties} \${KAFKA_OPTS:-} \\
  -cp '/opt/kafka/libs/*' "$class" "$@"
`;

const KAFKA_TOOLS_LOG4J = `status = warn
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = stderr
`;

const KAFKA_COMMANDS: Readonly<Record<string, string>> = {
  'kafka-server-start.sh': 'kafka.Kafka',
  'kafka-storage.sh': 'kafka.tools.StorageTool',
  'kafka-topics.sh': 'org.apache.kafka.tools.TopicCommand',
  'kafka-console-producer.sh': 'org.apache.kafka.tools.ConsoleProducer',
};

async function buildKafkaStandIn(context: string, minbase: string, reference: string): Promise<void> {
  const { libsDir } = await ensureKafkaJars(DEFAULT_KAFKA_VERSION, undefined, { withTools: true });
  await fs.cp(libsDir, path.join(context, 'libs'), { recursive: true });
  await fs.mkdir(path.join(context, 'bin'));
  await fs.writeFile(path.join(context, 'bin', 'kafka-run-class.sh'), KAFKA_RUN_CLASS, { mode: 0o755 });
  for (const [command, mainClass] of Object.entries(KAFKA_COMMANDS)) {
    const logConfig = command === 'kafka-server-start.sh' ? '' : 'KAFKA_LOG4J_CONFIG=/opt/kafka/config/tools-log4j2.properties ';
    await fs.writeFile(path.join(context, 'bin', command), `#!/bin/sh\n${logConfig}exec /opt/kafka/bin/kafka-run-class.sh ${mainClass} "$@"\n`, { mode: 0o755 });
  }
  await fs.mkdir(path.join(context, 'config'));
  await fs.writeFile(path.join(context, 'config', 'log4j2.properties'), renderLog4jConfig());
  await fs.writeFile(path.join(context, 'config', 'tools-log4j2.properties'), KAFKA_TOOLS_LOG4J);
  await fs.writeFile(path.join(context, 'Containerfile'), `FROM ${minbase}
RUN ${APT_INSTALL} ${JAVA_PACKAGE} && ${APT_CLEAN} && useradd --uid 1000 --no-create-home --home-dir /opt/kafka appuser
COPY libs /opt/kafka/libs
COPY bin /opt/kafka/bin
COPY config /opt/kafka/config
USER 1000:1000
WORKDIR /opt/kafka
CMD ["/opt/kafka/bin/kafka-server-start.sh"]
`);
  await buildImage(context, 'Containerfile', reference);
}

/** The official postgres image's docker-entrypoint.sh, for what deploy/k8s uses of it. */
const POSTGRES_ENTRYPOINT = `#!/bin/sh
set -eu
: "\${PGDATA:?PGDATA must be set}"
: "\${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
if [ "\${1:-}" = postgres ]; then shift; fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  password_file="$(mktemp)"
  printf '%s\\n' "$POSTGRES_PASSWORD" > "$password_file"
  initdb --username=postgres --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 --pgdata="$PGDATA"
  rm -f "$password_file"
  printf 'host all all all scram-sha-256\\n' >> "$PGDATA/pg_hba.conf"
  # As the official image does: the init steps run on a temporary server reachable through the socket only.
  pg_ctl --pgdata="$PGDATA" --wait --options="-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" start
  if [ -n "\${POSTGRES_DB:-}" ] && [ "$POSTGRES_DB" != postgres ]; then
    psql --host=/var/run/postgresql --username=postgres --dbname=postgres --set=ON_ERROR_STOP=1 --command="CREATE DATABASE \\"$POSTGRES_DB\\""
  fi
  pg_ctl --pgdata="$PGDATA" --wait --mode=fast stop
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
`;

/** The official image's postgres user (Alpine's uid 70) first, so that the package adopts it. */
const POSTGRES_INSTALL = `RUN groupadd --gid 70 postgres && useradd --uid 70 --gid 70 --home-dir /var/lib/postgresql --no-create-home postgres \\
 && ${APT_INSTALL} postgresql-${POSTGRES_MAJOR_VERSION} && ${APT_CLEAN} \\
 && rm -rf /var/lib/postgresql/${POSTGRES_MAJOR_VERSION}/main /etc/postgresql/${POSTGRES_MAJOR_VERSION}/main`;

const POSTGRES_RUNTIME = `COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/${POSTGRES_MAJOR_VERSION}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER 70:70
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
CMD ["postgres"]`;

/** What the build stage installs: the server headers and pg_config, cmake, a C compiler and the headers pg_config's flags name. */
const TIMESCALEDB_BUILD_PACKAGES = `postgresql-server-dev-${POSTGRES_MAJOR_VERSION} cmake make gcc libc6-dev libssl-dev libkrb5-dev libicu-dev`;
/** As the tests' host build (timescaledb-build.ts), and no telemetry by default: the cluster has no route out. */
const TIMESCALEDB_BOOTSTRAP_FLAGS = `-DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF -DSEND_TELEMETRY_DEFAULT=NO -DPG_CONFIG=/usr/lib/postgresql/${POSTGRES_MAJOR_VERSION}/bin/pg_config`;
const SOURCE_ARCHIVE = 'timescaledb.tar.gz';

function timescaledbContainerfile(minbase: string): string {
  const share = `/usr/share/postgresql/${POSTGRES_MAJOR_VERSION}`;
  const lib = `/usr/lib/postgresql/${POSTGRES_MAJOR_VERSION}/lib`;
  // Only the extension's installed files reach the final stage; initdb copies the sample into every new
  // data directory, which is where the official image sets shared_preload_libraries too.
  return `FROM ${minbase} AS build
RUN ${APT_INSTALL} ${TIMESCALEDB_BUILD_PACKAGES} && ${APT_CLEAN}
COPY ${SOURCE_ARCHIVE} /build/
RUN mkdir /build/source && tar -xzf /build/${SOURCE_ARCHIVE} -C /build/source --strip-components=1 \\
 && cd /build/source && ./bootstrap ${TIMESCALEDB_BOOTSTRAP_FLAGS} \\
 && make -C build -j2 && make -C build install DESTDIR=/build/install

FROM ${minbase}
${POSTGRES_INSTALL}
COPY --from=build /build/install${share}/extension/ ${share}/extension/
COPY --from=build /build/install${lib}/ ${lib}/
RUN sed -ri "s/^#?shared_preload_libraries = '[^']*'/shared_preload_libraries = 'timescaledb'/" ${share}/postgresql.conf.sample \\
 && grep -q "^shared_preload_libraries = 'timescaledb'" ${share}/postgresql.conf.sample
${POSTGRES_RUNTIME}
`;
}

function postgresqlContainerfile(minbase: string): string {
  return `FROM ${minbase}
${POSTGRES_INSTALL}
${POSTGRES_RUNTIME}
`;
}

async function buildPostgresStandIn(context: string, containerfile: string, reference: string): Promise<void> {
  await fs.writeFile(path.join(context, 'docker-entrypoint.sh'), POSTGRES_ENTRYPOINT, { mode: 0o755 });
  await fs.writeFile(path.join(context, 'Containerfile'), containerfile);
  await buildImage(context, 'Containerfile', reference);
}

/** A tag from the version and a hash of the files written into the image, so that changing them rebuilds it. */
function standInReference(name: string, version: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(file);
  return `localhost/todo-history-stand-in/${name}:${version}-${hash.digest('hex').slice(0, 8)}`;
}

interface StandInRecipe {
  readonly reference: string;
  build(context: string, minbase: string, reference: string): Promise<void>;
}

/** What the timescale/timescaledb stand-in runs: TimescaleDB when its release source is there, else plain PostgreSQL. */
export type DatabaseStandIn = { readonly kind: 'timescaledb'; readonly version: string; readonly source: string } | { readonly kind: 'postgresql'; readonly missingSource: string };

export async function databaseStandIn(): Promise<DatabaseStandIn> {
  const source = timescaledbSourcePath();
  return (await pathExists(source)) ? { kind: 'timescaledb', version: DEFAULT_TIMESCALEDB_VERSION, source } : { kind: 'postgresql', missingSource: source };
}

async function databaseRecipe(): Promise<StandInRecipe> {
  const database = await databaseStandIn();
  if (database.kind === 'postgresql') {
    return {
      reference: standInReference('postgresql', POSTGRES_MAJOR_VERSION, [POSTGRES_ENTRYPOINT, postgresqlContainerfile('')]),
      build: (context, minbase, reference) => buildPostgresStandIn(context, postgresqlContainerfile(minbase), reference),
    };
  }
  const sourceHash = createHash('sha256').update(await fs.readFile(database.source)).digest('hex');
  return {
    reference: standInReference('timescaledb', `${database.version}-pg${POSTGRES_MAJOR_VERSION}`, [POSTGRES_ENTRYPOINT, timescaledbContainerfile(''), sourceHash]),
    build: async (context, minbase, reference) => {
      await fs.copyFile(database.source, path.join(context, SOURCE_ARCHIVE));
      await buildPostgresStandIn(context, timescaledbContainerfile(minbase), reference);
    },
  };
}

const RECIPES: Readonly<Record<ServiceStandIn, () => Promise<StandInRecipe>>> = {
  kafka: () => Promise.resolve({
    reference: standInReference('kafka', DEFAULT_KAFKA_VERSION, ['kafka-tools', JAVA_PACKAGE, KAFKA_RUN_CLASS, KAFKA_TOOLS_LOG4J, renderLog4jConfig(), JSON.stringify(KAFKA_COMMANDS)]),
    build: buildKafkaStandIn,
  }),
  timescaledb: databaseRecipe,
};

/** The stand-in image of `service`, built on first use. */
export async function ensureServiceStandIn(service: ServiceStandIn): Promise<string> {
  const { reference, build } = await RECIPES[service]();
  if (await imageExists(reference)) return reference;
  const context = await fs.mkdtemp(path.join(os.tmpdir(), `todo-history-${service}-stand-in-`));
  try {
    await build(context, await ensureDebianMinbase(), reference);
  } finally {
    await fs.rm(context, { recursive: true, force: true });
  }
  return reference;
}
