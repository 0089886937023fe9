{{/*
Pieces of the chart's pod specs. The ones that take a dict read:
  context     the root context ($)
  database    whether the pod talks to PostgreSQL
  kafka       whether the pod talks to Kafka
  secretName  the Secret holding the credentials
  auth        optional: the values naming the database keys of that Secret (default .Values.auth; the
              migration Job passes .Values.migration.auth when it has a Secret of its own)
  workload    the values of the workload's own settings (extraEnvVars, extraVolumes, …): .Values, .Values.scaler or .Values.migration
*/}}

{{/* Secret settings as "ENV: secret key" lines. */}}
{{- define "todo-history.secretKeysByEnv" -}}
{{- $values := .context.Values -}}
{{- $auth := .auth | default $values.auth -}}
{{- if .database }}
DATABASE_URL: {{ $auth.secretKeys.databaseUrl }}
{{- with include "todo-history.hasDatabasePassword" $auth }}
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

{{/*
The credentials volume, only with keys to project: a Secret volume without items projects every key of the
Secret, so a pod that needs none of them (the scaler without SASL) would get them all.
*/}}
{{- define "todo-history.mountsCredentials" -}}
{{- if and .context.Values.auth.mountAsFiles (include "todo-history.secretKeysByEnv" . | trim) }}true{{ end }}
{{- end }}

{{- define "todo-history.volumes" -}}
{{- $values := .context.Values -}}
{{- if include "todo-history.mountsCredentials" . }}
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
{{- with $values.kafka.ssl.clientCertificateSecret }}
{{- if and $.kafka .name }}
- name: kafka-client-certificate
  secret:
    secretName: {{ .name }}
    defaultMode: 0440
    items:
      - key: {{ .certificateKey }}
        path: {{ .certificateKey }}
      - key: {{ .privateKeyKey }}
        path: {{ .privateKeyKey }}
{{- end }}
{{- end }}
{{- with $values.database.sslClientCertificateSecret }}
{{- if and $.database .name }}
- name: database-client-certificate
  secret:
    secretName: {{ .name }}
    defaultMode: 0440
    items:
      - key: {{ .certificateKey }}
        path: {{ .certificateKey }}
      - key: {{ .privateKeyKey }}
        path: {{ .privateKeyKey }}
{{- end }}
{{- end }}
{{- with .workload.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "todo-history.volumeMounts" -}}
{{- $values := .context.Values -}}
{{- if include "todo-history.mountsCredentials" . }}
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
{{- /* default dict: a release upgraded with --reuse-values from a chart version without these keys has none. */}}
{{- if and .kafka ($values.kafka.ssl.clientCertificateSecret | default dict).name }}
- name: kafka-client-certificate
  mountPath: {{ include "todo-history.kafkaClientCertificateDir" .context }}
  readOnly: true
{{- end }}
{{- if and .database ($values.database.sslClientCertificateSecret | default dict).name }}
- name: database-client-certificate
  mountPath: {{ include "todo-history.databaseClientCertificateDir" .context }}
  readOnly: true
{{- end }}
{{- with .workload.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* extraEnvVars: EnvVars as in a container spec, after the chart's own. */}}
{{- define "todo-history.extraEnvVars" -}}
{{- with .workload.extraEnvVars }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* extraEnvFrom: EnvFromSources ({configMapRef: …} or {secretRef: …}), after the chart's own. */}}
{{- define "todo-history.extraEnvFrom" -}}
{{- with .workload.extraEnvFrom }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
podSecurityContext and containerSecurityContext of values (see values.yaml for OpenShift). Values without the key
(`helm upgrade --reuse-values` of a release made by an older chart) get the strict defaults, never none.
*/}}
{{- define "todo-history.podSecurityContext" -}}
{{- $context := ternary .Values.podSecurityContext (dict "runAsNonRoot" true "runAsUser" 65532 "runAsGroup" 65532 "fsGroup" 65532 "seccompProfile" (dict "type" "RuntimeDefault")) (hasKey .Values "podSecurityContext") }}
{{- with $context }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- define "todo-history.containerSecurityContext" -}}
{{- $context := ternary .Values.containerSecurityContext (dict "runAsNonRoot" true "allowPrivilegeEscalation" false "readOnlyRootFilesystem" true "capabilities" (dict "drop" (list "ALL"))) (hasKey .Values "containerSecurityContext") }}
{{- with $context }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Pull secrets, nodeSelector, tolerations and affinity of a pod; call with (dict "context" $ "workload" <its values>).
nodeSelector is the chart-wide one merged with the workload's own (migration.nodeSelector; the workload's wins),
tolerations the chart-wide ones followed by the workload's own; affinity is the workload's own. For the consumer, the workload is .Values itself.
*/}}
{{- define "todo-history.podPlacement" -}}
{{- $values := .context.Values -}}
{{- $workload := .workload -}}
{{- with include "todo-history.imagePullSecrets" .context }}
{{ . }}
{{- end }}
{{- $nodeSelector := merge (deepCopy ($workload.nodeSelector | default dict)) ($values.nodeSelector | default dict) }}
{{- with $nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- /* uniq: for the consumer, the workload is .Values itself. */}}
{{- with concat ($values.tolerations | default list) ($workload.tolerations | default list) | uniq }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $workload.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
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

{{/*
Probes on the http port: the consumer and the scaler serve the same endpoints. A key absent from the values (a
release upgraded with --reuse-values from a chart without it) takes the default of values.yaml.
*/}}
{{- define "todo-history.probes" -}}
{{- $probes := .Values.probes -}}
{{- range $probe := list (list "startup" "/livez" 1) (list "liveness" "/livez" 2) (list "readiness" "/readyz" 3) }}
{{- $settings := index $probes (index $probe 0) }}
{{ index $probe 0 }}Probe:
  httpGet:
    path: {{ index $probe 1 }}
    port: http
  {{- with dig "initialDelaySeconds" 0 $settings }}
  initialDelaySeconds: {{ . }}
  {{- end }}
  periodSeconds: {{ $settings.periodSeconds }}
  timeoutSeconds: {{ dig "timeoutSeconds" (index $probe 2) $settings }}
  failureThreshold: {{ $settings.failureThreshold }}
{{- end }}
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
