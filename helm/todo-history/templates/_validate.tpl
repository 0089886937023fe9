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
