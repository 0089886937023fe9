{{/*
Pieces of the chart's pod specs. The ones that take a dict read:
  context     the root context ($)
  database    whether the pod talks to PostgreSQL
  kafka       whether the pod talks to Kafka
  secretName  the Secret holding the credentials
*/}}

{{/* Secret settings as "ENV: secret key" lines. */}}
{{- define "todo-history.secretKeysByEnv" -}}
{{- $values := .context.Values -}}
{{- if .database }}
DATABASE_URL: {{ $values.auth.secretKeys.databaseUrl }}
{{- with include "todo-history.hasDatabasePassword" .context }}
DATABASE_PASSWORD: {{ . }}
{{- end }}
{{- end }}
{{- if and .kafka (ne $values.kafka.sasl.mechanism "none") }}
KAFKA_SASL_PASSWORD: {{ $values.auth.secretKeys.kafkaSaslPassword }}
{{- end }}
{{- end }}

{{/* Environment entries of the secrets: secretKeyRef, or <NAME>_FILE pointing into the mounted Secret. */}}
{{- define "todo-history.secretEnv" -}}
{{- $context := .context -}}
{{- $secretName := .secretName -}}
{{- range $env, $key := include "todo-history.secretKeysByEnv" . | fromYaml }}
{{- if $context.Values.auth.mountAsFiles }}
- name: {{ $env }}_FILE
  value: {{ printf "%s/%s" (include "todo-history.credentialsDir" $context) $key | quote }}
{{- else }}
- name: {{ $env }}
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- end }}

{{- define "todo-history.volumes" -}}
{{- $values := .context.Values -}}
{{- if $values.auth.mountAsFiles }}
- name: credentials
  secret:
    secretName: {{ .secretName }}
    defaultMode: 0440
    items:
      {{- range $env, $key := include "todo-history.secretKeysByEnv" . | fromYaml }}
      - key: {{ $key }}
        path: {{ $key }}
      {{- end }}
{{- end }}
{{- if and .kafka $values.kafka.ssl.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ $values.kafka.ssl.caSecret.name }}
    defaultMode: 0444
    items:
      - key: {{ $values.kafka.ssl.caSecret.key }}
        path: {{ $values.kafka.ssl.caSecret.key }}
{{- end }}
{{- if and .database $values.database.sslCaSecret.name }}
- name: database-ca
  secret:
    secretName: {{ $values.database.sslCaSecret.name }}
    defaultMode: 0444
    items:
      - key: {{ $values.database.sslCaSecret.key }}
        path: {{ $values.database.sslCaSecret.key }}
{{- end }}
{{- end }}

{{- define "todo-history.volumeMounts" -}}
{{- $values := .context.Values -}}
{{- if $values.auth.mountAsFiles }}
- name: credentials
  mountPath: {{ include "todo-history.credentialsDir" .context }}
  readOnly: true
{{- end }}
{{- if and .kafka $values.kafka.ssl.caSecret.name }}
- name: kafka-ca
  mountPath: {{ include "todo-history.kafkaCaDir" .context }}
  readOnly: true
{{- end }}
{{- if and .database $values.database.sslCaSecret.name }}
- name: database-ca
  mountPath: {{ include "todo-history.databaseCaDir" .context }}
  readOnly: true
{{- end }}
{{- end }}

{{/* The image's numeric non-root user; fsGroup lets it read Secret files mounted 0440. */}}
{{- define "todo-history.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "todo-history.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end }}

{{/* nodeSelector, tolerations, priority and pull secret, shared by every pod of the chart. */}}
{{- define "todo-history.podPlacement" -}}
{{- with .Values.image.pullSecretName }}
imagePullSecrets:
  - name: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- range $name, $toleration := . }}
  - {{ toYaml $toleration | indent 4 | trim }}
  {{- end }}
{{- end }}
{{- end }}

{{/* Call with (dict "context" $ "component" "consumer"). */}}
{{- define "todo-history.topologySpreadConstraints" -}}
{{- $spread := .context.Values.topologySpread -}}
{{- if and $spread.enabled $spread.topologyKeys }}
topologySpreadConstraints:
  {{- range $name, $key := $spread.topologyKeys }}
  - topologyKey: {{ $key }}
    maxSkew: {{ $spread.maxSkew }}
    whenUnsatisfiable: {{ $spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "todo-history.selectorLabels" $ | nindent 8 }}
    # Count only the pods of the current ReplicaSet, not the ones a rollout is replacing.
    matchLabelKeys:
      - pod-template-hash
  {{- end }}
{{- end }}
{{- end }}

{{/* Probes on the http port: the consumer and the scaler serve the same endpoints. */}}
{{- define "todo-history.probes" -}}
{{- $probes := .Values.probes -}}
startupProbe:
  httpGet:
    path: /livez
    port: http
  periodSeconds: {{ $probes.startup.periodSeconds }}
  failureThreshold: {{ $probes.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /livez
    port: http
  periodSeconds: {{ $probes.liveness.periodSeconds }}
  timeoutSeconds: 2
  failureThreshold: {{ $probes.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: {{ $probes.readiness.periodSeconds }}
  # /readyz waits up to 2 s for the database.
  timeoutSeconds: 3
  failureThreshold: {{ $probes.readiness.failureThreshold }}
{{- end }}

{{/* resources with empty limits left out; call with the resources map. */}}
{{- define "todo-history.resources" -}}
requests:
  {{- toYaml .requests | nindent 2 }}
{{- $limits := dict }}
{{- range $name, $value := .limits }}
{{- if $value }}
{{- $_ := set $limits $name $value }}
{{- end }}
{{- end }}
{{- with $limits }}
limits:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
