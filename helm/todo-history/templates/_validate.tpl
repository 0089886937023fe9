{{/*
Rules that tie values together, which values.schema.json cannot express. They mirror the application's own
cross-field checks, so that a bad combination fails at `helm install` rather than as a crash-looping pod.
*/}}
{{- define "todo-history.validate" -}}
{{- $values := .Values -}}
{{- if not (or $values.auth.existingSecret $values.auth.databaseUrl) }}
{{- fail "auth.databaseUrl is required unless auth.existingSecret names a Secret you manage" }}
{{- end }}
{{- if and $values.auth.databasePassword (not $values.auth.secretKeys.databasePassword) }}
{{- fail "auth.secretKeys.databasePassword must name the key that holds auth.databasePassword" }}
{{- end }}
{{- if le (mul (int $values.terminationGracePeriodSeconds) 1000) (int $values.shutdown.graceMs) }}
{{- fail (printf "terminationGracePeriodSeconds (%d s) must exceed shutdown.graceMs (%d ms), or Kubernetes kills the consumer before its last batch is committed" (int $values.terminationGracePeriodSeconds) (int $values.shutdown.graceMs)) }}
{{- end }}
{{- if lt (int $values.database.poolSize) (int $values.kafka.partitionsConsumedConcurrently) }}
{{- fail "database.poolSize must be at least kafka.partitionsConsumedConcurrently: each partition written at once holds a connection" }}
{{- end }}
{{- if ne $values.kafka.sasl.mechanism "none" }}
{{- if not $values.kafka.sasl.username }}
{{- fail (printf "kafka.sasl.username is required with kafka.sasl.mechanism %s" $values.kafka.sasl.mechanism) }}
{{- end }}
{{- if and (not $values.auth.existingSecret) (not $values.auth.kafkaSaslPassword) }}
{{- fail (printf "auth.kafkaSaslPassword is required with kafka.sasl.mechanism %s unless auth.existingSecret is set" $values.kafka.sasl.mechanism) }}
{{- end }}
{{- end }}
{{- /* TLS files that TLS off would ignore: the application refuses them (exit 78), so the chart does first. */}}
{{- if not $values.kafka.ssl.enabled }}
{{- range $value := list "caSecret" "clientCertificateSecret" }}
{{- if (index $values.kafka.ssl $value | default dict).name }}
{{- fail (printf "kafka.ssl.%s.name needs kafka.ssl.enabled: true" $value) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and $values.database.sslCaSecret.name (ne $values.database.sslMode "verify-full") }}
{{- fail (printf "database.sslCaSecret.name needs database.sslMode verify-full (%s does not verify the server)" $values.database.sslMode) }}
{{- end }}
{{- if and ($values.database.sslClientCertificateSecret | default dict).name (eq $values.database.sslMode "disable") }}
{{- fail "database.sslClientCertificateSecret.name needs database.sslMode require or verify-full" }}
{{- end }}
{{- if and $values.keda.enabled (gt (int $values.keda.minReplicas) (int $values.kafka.topic.partitions)) }}
{{- fail "keda.minReplicas must not exceed kafka.topic.partitions: KEDA caps the replicas at the partition count" }}
{{- end }}
{{- /* Dropped days keep their summaries only while the summaries' refresh never reaches back to them. */}}
{{- $timescaledb := $values.timescaledb | default dict }}
{{- $compress := dig "compressAfterDays" 0 $timescaledb | int }}
{{- $drop := dig "dropRawAfterDays" 0 $timescaledb | int }}
{{- $refresh := dig "summaryRefreshDays" 0 $timescaledb | int }}
{{- if and (eq $values.database.timescaledb "off") (or $compress $drop $refresh) }}
{{- fail "timescaledb.compressAfterDays, dropRawAfterDays and summaryRefreshDays must be 0 with database.timescaledb off: a plain table has no such policy" }}
{{- end }}
{{- if and (gt $refresh 0) (lt $refresh 3) }}
{{- fail "timescaledb.summaryRefreshDays must be 0 (the whole history) or at least 3: the refresh leaves out the newest day and covers at least two" }}
{{- end }}
{{- if and (gt $drop 0) (le $drop 3) }}
{{- fail "timescaledb.dropRawAfterDays must be 0 (rows kept for ever) or more than 3: the summaries' refresh needs at least 3 days of rows" }}
{{- end }}
{{- if and (gt $drop 0) (or (eq $refresh 0) (ge $refresh $drop)) }}
{{- fail (printf "timescaledb.dropRawAfterDays (%d) needs timescaledb.summaryRefreshDays from 3 to %d: a summary refresh reaching back to dropped days would recount them from no rows" $drop (sub $drop 1)) }}
{{- end }}
{{- if and (gt $compress 0) (gt $drop 0) (ge $compress $drop) }}
{{- fail "timescaledb.compressAfterDays must be less than timescaledb.dropRawAfterDays, or chunks are dropped before they are compressed" }}
{{- end }}
{{- if $values.scaler.enabled }}
{{- $election := $values.scaler.leaderElection }}
{{- if gt (int $values.scaler.minReplicas) (int $values.scaler.maxReplicas) }}
{{- fail "scaler.minReplicas must not exceed scaler.maxReplicas" }}
{{- end }}
{{- if ge (int $election.renewDeadlineMs) (int $election.leaseDurationMs) }}
{{- fail "scaler.leaderElection.renewDeadlineMs must be below scaler.leaderElection.leaseDurationMs" }}
{{- end }}
{{- /* client-go's rule: renewDeadline > 1.2 × retryPeriod (its jitter factor), so a leader gets a second try. */}}
{{- if le (mul (int $election.renewDeadlineMs) 10) (mul (int $election.retryPeriodMs) 12) }}
{{- fail "scaler.leaderElection.retryPeriodMs must be below scaler.leaderElection.renewDeadlineMs / 1.2" }}
{{- end }}
{{- end }}
{{- end }}
