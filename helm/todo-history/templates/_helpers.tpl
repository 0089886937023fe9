{{/* Chart name, or nameOverride. */}}
{{- define "todo-history.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-<name>" (just the release when it already contains the name), or fullnameOverride. */}}
{{- define "todo-history.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "todo-history.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The full name with a suffix; call with (dict "context" $ "suffix" "scaler"). When the two do not fit in 63
characters, the full name is shortened first, so that the suffix survives, and a hash of the whole full name
follows it, so that two long release names that differ only in what was cut off do not collide.
*/}}
{{- define "todo-history.suffixedName" -}}
{{- $fullname := include "todo-history.fullname" .context }}
{{- if le (add (len $fullname) (len .suffix) 1) 63 }}
{{- printf "%s-%s" $fullname .suffix }}
{{- else }}
{{- $base := $fullname | trunc (int (sub 56 (len .suffix))) | trimSuffix "-" }}
{{- printf "%s-%s-%s" $base ($fullname | sha256sum | trunc 5) .suffix }}
{{- end }}
{{- end }}

{{- define "todo-history.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of one component; call with (dict "context" $ "component" "consumer"). */}}
{{- define "todo-history.selectorLabels" -}}
app.kubernetes.io/name: {{ include "todo-history.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Standard labels of one component; call with (dict "context" $ "component" "consumer"). */}}
{{- define "todo-history.labels" -}}
helm.sh/chart: {{ include "todo-history.chart" .context }}
{{ include "todo-history.selectorLabels" . }}
app.kubernetes.io/version: {{ .context.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- end }}

{{/*
Pod template labels: the selector labels, managed-by and podLabels. Neither the chart version nor the app version:
a label that changes with them would roll every pod at each chart release and break a GitOps diff.
*/}}
{{- define "todo-history.podLabels" -}}
{{ include "todo-history.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .context.Release.Service }}
{{- with .context.Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
"[registry/]repository(:tag|@digest)", the registry being image.registry or else global.imageRegistry (bitnami's
common.images.image). image.repository is required: no public image exists, and a default one would only fail to pull.
*/}}
{{- define "todo-history.image" -}}
{{- $image := .Values.image -}}
{{- $repository := required "image.repository is required: build the image from the repository's Dockerfile, push it to your registry and set image.repository (e.g. --set image.repository=registry.example.com/todo-history)" $image.repository }}
{{- $registry := $image.registry | default (dig "imageRegistry" "" (.Values.global | default dict)) }}
{{- $name := ternary (printf "%s/%s" $registry $repository) $repository (ne $registry "") }}
{{- if $image.digest }}
{{- printf "%s@%s" $name $image.digest }}
{{- else }}
{{- printf "%s:%s" $name (default .Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* imagePullSecrets of every pod: imagePullSecrets, then global.imagePullSecrets; names or {name: …}, each once. */}}
{{- define "todo-history.imagePullSecrets" -}}
{{- $names := list }}
{{- range concat (.Values.imagePullSecrets | default list) (dig "imagePullSecrets" list (.Values.global | default dict)) }}
{{- if kindIs "map" . }}
{{- $names = append $names .name }}
{{- else }}
{{- $names = append $names . }}
{{- end }}
{{- end }}
{{- with $names | uniq }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end }}

{{/* KAFKA_BROKERS: kafka.brokers as a list, or the comma-separated string earlier charts took. */}}
{{- define "todo-history.kafkaBrokers" -}}
{{- $brokers := .Values.kafka.brokers }}
{{- if kindIs "slice" $brokers }}
{{- join "," $brokers }}
{{- else }}
{{- $brokers | nospace }}
{{- end }}
{{- end }}

{{/* Consumer replicas: replicaCount, or the partition count when it is null (0 is a valid choice). */}}
{{- define "todo-history.replicas" -}}
{{- if kindIs "invalid" .Values.replicaCount }}
{{- .Values.kafka.topic.partitions | int }}
{{- else }}
{{- .Values.replicaCount | int }}
{{- end }}
{{- end }}

{{/*
The consumer's spec.replicas, or nothing. Without the scaler: the replicas above. With it (or KEDA), it owns them:
a fixed value would reset its choice at every upgrade, and leaving the field out of a release that had it makes
Helm's three-way merge delete it, which drops the Deployment to 1 replica. So the live value is rendered, read
with lookup (the partition count when the live object has none). When lookup finds nothing (a first install,
`helm template`, Argo CD), nothing is rendered and the scaler sets the count.
*/}}
{{- define "todo-history.renderedReplicas" -}}
{{- if not (or .Values.scaler.enabled .Values.keda.enabled) }}
{{- include "todo-history.replicas" . }}
{{- else }}
{{- $live := lookup "apps/v1" "Deployment" .Release.Namespace (include "todo-history.fullname" .) }}
{{- if $live }}
{{- dig "spec" "replicas" (include "todo-history.replicas" . | int) $live | int }}
{{- else if .Values.scaler.enabled }}
{{- /* A first install starts where the scaler will take it, so the pods join their group together, not one rebalance each. */}}
{{- min (max .Values.kafka.topic.partitions .Values.scaler.minReplicas) .Values.scaler.maxReplicas | int }}
{{- end }}
{{- end }}
{{- end }}

{{/* Non-empty when the migration hook runs: migration.enabled, true when absent (--reuse-values of an older release). */}}
{{- define "todo-history.migrationEnabled" -}}
{{- if dig "enabled" true (.Values.migration | default dict) }}true{{ end }}
{{- end }}

{{- define "todo-history.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "todo-history.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "todo-history.migrationServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- include "todo-history.suffixedName" (dict "context" . "suffix" "migrate") }}
{{- else }}
{{- include "todo-history.serviceAccountName" . }}
{{- end }}
{{- end }}

{{/* The Secret the pods read credentials from: the existing one, or the one this chart creates. */}}
{{- define "todo-history.secretName" -}}
{{- default (include "todo-history.fullname" .) .Values.auth.existingSecret }}
{{- end }}

{{/* The key of the database password in the Secret, or nothing when none is read; call with .Values.auth or .Values.migration.auth. */}}
{{- define "todo-history.hasDatabasePassword" -}}
{{- if .existingSecret }}
{{- .secretKeys.databasePassword }}
{{- else if .databasePassword }}
{{- .secretKeys.databasePassword }}
{{- end }}
{{- end }}

{{- define "todo-history.scalerServiceAccountName" -}}
{{- $serviceAccount := .Values.scaler.serviceAccount | default dict }}
{{- if dig "create" true $serviceAccount }}
{{- default (include "todo-history.suffixedName" (dict "context" . "suffix" "scaler")) $serviceAccount.name }}
{{- else }}
{{- default "default" $serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "todo-history.leaseName" -}}
{{- include "todo-history.suffixedName" (dict "context" . "suffix" "scaler") }}
{{- end }}

{{- define "todo-history.credentialsDir" -}}/var/run/secrets/todo-history{{- end }}
{{- define "todo-history.kafkaCaDir" -}}/etc/todo-history/kafka-ca{{- end }}
{{- define "todo-history.databaseCaDir" -}}/etc/todo-history/database-ca{{- end }}
{{- define "todo-history.kafkaClientCertificateDir" -}}/etc/todo-history/kafka-client-certificate{{- end }}
{{- define "todo-history.databaseClientCertificateDir" -}}/etc/todo-history/database-client-certificate{{- end }}

{{/* Settings shared by every Kafka client of the chart (consumer and scaler). */}}
{{- define "todo-history.kafkaSettings" -}}
{{- $kafka := .Values.kafka -}}
KAFKA_BROKERS: {{ include "todo-history.kafkaBrokers" . | quote }}
KAFKA_CLIENT_ID: {{ $kafka.clientId | quote }}
KAFKA_TOPIC: {{ $kafka.topic.name | quote }}
KAFKA_SSL_ENABLED: {{ $kafka.ssl.enabled | toString | quote }}
{{- if $kafka.ssl.caSecret.name }}
KAFKA_SSL_CA_FILE: {{ printf "%s/%s" (include "todo-history.kafkaCaDir" .) $kafka.ssl.caSecret.key | quote }}
{{- end }}
{{- with $kafka.ssl.clientCertificateSecret }}
{{- if .name }}
KAFKA_SSL_CERT_FILE: {{ printf "%s/%s" (include "todo-history.kafkaClientCertificateDir" $) .certificateKey | quote }}
KAFKA_SSL_KEY_FILE: {{ printf "%s/%s" (include "todo-history.kafkaClientCertificateDir" $) .privateKeyKey | quote }}
{{- end }}
{{- end }}
KAFKA_SSL_REJECT_UNAUTHORIZED: {{ $kafka.ssl.rejectUnauthorized | toString | quote }}
KAFKA_SASL_MECHANISM: {{ $kafka.sasl.mechanism | quote }}
KAFKA_SASL_USERNAME: {{ $kafka.sasl.username | quote }}
{{- end }}

{{/* Non-secret database settings. */}}
{{- define "todo-history.databaseSettings" -}}
{{- $database := .Values.database -}}
DATABASE_SSL_MODE: {{ $database.sslMode | quote }}
DATABASE_TIMESCALEDB: {{ $database.timescaledb | quote }}
{{- if $database.sslCaSecret.name }}
DATABASE_SSL_CA_FILE: {{ printf "%s/%s" (include "todo-history.databaseCaDir" .) $database.sslCaSecret.key | quote }}
{{- end }}
{{- with $database.sslClientCertificateSecret }}
{{- if .name }}
DATABASE_SSL_CERT_FILE: {{ printf "%s/%s" (include "todo-history.databaseClientCertificateDir" $) .certificateKey | quote }}
DATABASE_SSL_KEY_FILE: {{ printf "%s/%s" (include "todo-history.databaseClientCertificateDir" $) .privateKeyKey | quote }}
{{- end }}
{{- end }}
DATABASE_POOL_SIZE: {{ $database.poolSize | int | quote }}
DATABASE_INSERT_CHUNK_ROWS: {{ $database.insertChunkRows | int | quote }}
DATABASE_MAX_DAYS_PER_TRANSACTION: {{ dig "maxDaysPerTransaction" 100 $database | int | quote }}
DATABASE_CONNECT_TIMEOUT_MS: {{ $database.connectTimeoutMs | int | quote }}
{{- end }}

{{/* Settings of the scaler and the consumer alike. */}}
{{- define "todo-history.processSettings" -}}
RETRY_INITIAL_DELAY_MS: {{ .Values.retry.initialDelayMs | int | quote }}
RETRY_MAX_DELAY_MS: {{ .Values.retry.maxDelayMs | int | quote }}
HTTP_PORT: {{ .Values.http.port | int | quote }}
LOG_LEVEL: {{ .Values.log.level | quote }}
{{- end }}

{{/*
Non-secret settings of `migrate` (the hook Job) and the test pod: they only talk to the database, with timeouts
of their own. A migration that adopts a big table runs far longer than any statement of the consumer.
*/}}
{{- define "todo-history.migrationSettings" -}}
{{ include "todo-history.databaseSettings" . }}
DATABASE_STATEMENT_TIMEOUT_MS: {{ .Values.migration.statementTimeoutMs | default 0 | int | quote }}
DATABASE_LOCK_TIMEOUT_MS: {{ dig "lockTimeoutMs" 10000 .Values.migration | int | quote }}
{{- $timescaledb := .Values.timescaledb | default dict }}
TIMESCALEDB_COMPRESS_AFTER_DAYS: {{ dig "compressAfterDays" 0 $timescaledb | int | quote }}
TIMESCALEDB_DROP_RAW_AFTER_DAYS: {{ dig "dropRawAfterDays" 0 $timescaledb | int | quote }}
TIMESCALEDB_SUMMARY_REFRESH_DAYS: {{ dig "summaryRefreshDays" 0 $timescaledb | int | quote }}
LOG_LEVEL: {{ .Values.log.level | quote }}
{{- end }}

{{/* Every non-secret setting of `todo-history consume`: the consumer ConfigMap. */}}
{{- define "todo-history.consumerSettings" -}}
{{ include "todo-history.kafkaSettings" . }}
KAFKA_GROUP_ID: {{ .Values.kafka.groupId | quote }}
KAFKA_DLQ_TOPIC: {{ .Values.kafka.dlqTopic | quote }}
KAFKA_FROM_BEGINNING: {{ .Values.kafka.fromBeginning | toString | quote }}
KAFKA_SESSION_TIMEOUT_MS: {{ .Values.kafka.sessionTimeoutMs | int | quote }}
KAFKA_HEARTBEAT_INTERVAL_MS: {{ .Values.kafka.heartbeatIntervalMs | int | quote }}
KAFKA_MAX_BYTES_PER_PARTITION: {{ .Values.kafka.maxBytesPerPartition | int | quote }}
KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY: {{ .Values.kafka.partitionsConsumedConcurrently | int | quote }}
{{ include "todo-history.databaseSettings" . }}
DATABASE_STATEMENT_TIMEOUT_MS: {{ .Values.database.statementTimeoutMs | int | quote }}
DATABASE_LOCK_TIMEOUT_MS: {{ .Values.database.lockTimeoutMs | default 0 | int | quote }}
{{ include "todo-history.processSettings" . }}
SHUTDOWN_GRACE_MS: {{ .Values.shutdown.graceMs | int | quote }}
LIVENESS_STALL_TIMEOUT_MS: {{ .Values.health.stallTimeoutMs | int | quote }}
STUCK_PARTITION_TIMEOUT_MS: {{ dig "stuckPartitionTimeoutMs" 300000 .Values.health | int | quote }}
READINESS_REBALANCE_GRACE_MS: {{ dig "readinessRebalanceGraceMs" 30000 .Values.health | int | quote }}
LAG_POLL_INTERVAL_MS: {{ .Values.health.lagPollIntervalMs | int | quote }}
EVENT_MAX_BYTES: {{ dig "maxBytes" 1048576 (.Values.events | default dict) | int | quote }}
EVENT_MAX_DEPTH: {{ dig "maxDepth" 64 (.Values.events | default dict) | int | quote }}
EVENT_MAX_TIME_SKEW_DAYS: {{ dig "maxTimeSkewDays" 0 (.Values.events | default dict) | int | quote }}
{{- end }}

{{/* Every non-secret setting of `todo-history scaler`: the scaler ConfigMap. SCALER_IDENTITY is the pod name. */}}
{{- define "todo-history.scalerSettings" -}}
{{- $scaler := .Values.scaler -}}
{{- include "todo-history.kafkaSettings" . }}
SCALER_NAMESPACE: {{ .Release.Namespace | quote }}
SCALER_DEPLOYMENT: {{ include "todo-history.fullname" . | quote }}
SCALER_MIN_REPLICAS: {{ $scaler.minReplicas | int | quote }}
SCALER_MAX_REPLICAS: {{ $scaler.maxReplicas | int | quote }}
SCALER_INTERVAL_MS: {{ $scaler.intervalMs | int | quote }}
SCALER_LEASE_NAME: {{ include "todo-history.leaseName" . | quote }}
SCALER_LEASE_DURATION_MS: {{ $scaler.leaderElection.leaseDurationMs | int | quote }}
SCALER_RENEW_DEADLINE_MS: {{ $scaler.leaderElection.renewDeadlineMs | int | quote }}
SCALER_RETRY_PERIOD_MS: {{ $scaler.leaderElection.retryPeriodMs | int | quote }}
{{ include "todo-history.processSettings" . }}
{{- end }}

{{/*
checksum/secret of a pod that reads the Secret the chart creates: the hash of the keys it reads, so that new
credentials (helm upgrade --set auth.databasePassword=…) roll exactly the pods that use them. Nothing for an
existingSecret: the chart does not know its content. Call with the pod dict of _pod.tpl.
*/}}
{{- define "todo-history.secretChecksum" -}}
{{- if not .context.Values.auth.existingSecret }}
{{- $keys := include "todo-history.secretKeysByEnv" . | fromYaml }}
{{- if $keys }}
{{- $data := include "todo-history.secretData" (dict "context" .context "kafka" true) | fromYaml }}
{{- $read := dict }}
{{- range $env, $key := $keys }}
{{- $_ := set $read $key (get $data $key) }}
{{- end }}
{{- toJson $read | sha256sum }}
{{- end }}
{{- end }}
{{- end }}

{{/* Data of a Secret the chart creates; call with (dict "context" $ "kafka" true) to include the SASL password. */}}
{{- define "todo-history.secretData" -}}
{{- $auth := .context.Values.auth -}}
{{ $auth.secretKeys.databaseUrl }}: {{ $auth.databaseUrl | b64enc | quote }}
{{- if $auth.databasePassword }}
{{ $auth.secretKeys.databasePassword }}: {{ $auth.databasePassword | b64enc | quote }}
{{- end }}
{{- if and .kafka (ne .context.Values.kafka.sasl.mechanism "none") }}
{{ $auth.secretKeys.kafkaSaslPassword }}: {{ $auth.kafkaSaslPassword | b64enc | quote }}
{{- end }}
{{- end }}
