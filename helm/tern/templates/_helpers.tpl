{{/* Names, labels and the pieces every Tern pod shares. */}}

{{- define "tern.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* <release>-<chart>, or just <release> when it already contains the chart name. Names
append "-frontend-headless" and the like, so this stays within 45 characters (63 in all). */}}
{{- define "tern.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 45 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tern.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tern.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tern.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tern.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels of one component: (dict "root" $ "component" "history"). */}}
{{- define "tern.componentLabels" -}}
{{ include "tern.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "tern.componentSelectorLabels" -}}
{{ include "tern.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "tern.image" -}}
{{- printf "%s:%s" .Values.image.repository (toString (default .Chart.AppVersion .Values.image.tag)) }}
{{- end }}

{{- define "tern.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tern.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret and key holding the PostgreSQL password. */}}
{{- define "tern.databaseSecretName" -}}
{{- default (printf "%s-database" (include "tern.fullname" .)) .Values.database.existingSecret }}
{{- end }}
{{- define "tern.databaseSecretKey" -}}
{{- ternary .Values.database.existingSecretKey "password" (ne .Values.database.existingSecret "") }}
{{- end }}

{{- define "tern.elasticsearchSecretName" -}}
{{- default (printf "%s-elasticsearch" (include "tern.fullname" .)) .Values.elasticsearch.existingSecret }}
{{- end }}
{{- define "tern.elasticsearchSecretKey" -}}
{{- ternary .Values.elasticsearch.existingSecretKey "password" (ne .Values.elasticsearch.existingSecret "") }}
{{- end }}

{{- define "tern.frontendAddress" -}}
{{- printf "%s-frontend:%d" (include "tern.fullname" .) (int .Values.services.frontend.service.port) }}
{{- end }}

{{- define "tern.configDir" -}}/etc/tern/config{{- end }}

{{/* TLS groups (tls.frontend, tls.internode) take (dict "root" $ "group" "frontend"). */}}

{{/* Where a group's Secret is mounted (the group's name as the context); the server config
names tls.crt, tls.key and ca.crt under it. */}}
{{- define "tern.tlsDir" -}}/etc/tern/tls/{{ . }}{{- end }}

{{/* The name clients verify in the group's certificate. */}}
{{- define "tern.tlsServerName" -}}
{{- default (printf "%s-%s" (include "tern.fullname" .root) .group) (index .root.Values.tls .group).serverName }}
{{- end }}

{{/* Environment of the CLI when it calls a port of the group (hook Jobs, the test Pod, the
probes of TLS ports): the CLI reads TERN_TLS_* like its --tls-* flags. It presents the group's
own certificate when the port requires one, as internal clients do. */}}
{{- define "tern.cliTlsEnv" -}}
{{- $dir := include "tern.tlsDir" .group }}
- name: TERN_TLS_SERVER_NAME
  value: {{ include "tern.tlsServerName" . | quote }}
- name: TERN_TLS_CA_PATH
  value: {{ printf "%s/ca.crt" $dir | quote }}
{{- if (index .root.Values.tls .group).requireClientAuth }}
- name: TERN_TLS_CERT_PATH
  value: {{ printf "%s/tls.crt" $dir | quote }}
- name: TERN_TLS_KEY_PATH
  value: {{ printf "%s/tls.key" $dir | quote }}
{{- end }}
{{- end }}

{{/* The volume of a group's Secret; with "caOnly" true only ca.crt, for pods that verify the
group's servers but never serve it (no private key where it is not needed). */}}
{{- define "tern.tlsVolume" -}}
- name: tls-{{ .group }}
  secret:
    secretName: {{ (index .root.Values.tls .group).secretName }}
    {{- if .caOnly }}
    items:
      - key: ca.crt
        path: ca.crt
    {{- end }}
{{- end }}
{{- define "tern.tlsVolumeMount" -}}
- name: tls-{{ . }}
  mountPath: {{ include "tern.tlsDir" . }}
  readOnly: true
{{- end }}

{{/* Environment of a container that loads the server config: the pod IP it broadcasts and
the passwords the config refers to as ${DB_PASSWORD} and ${ES_PASSWORD}. */}}
{{- define "tern.serverEnv" -}}
- name: TERN_CONFIG
  value: {{ printf "%s/config.yaml" (include "tern.configDir" .) }}
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: DB_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tern.databaseSecretName" . }}
      key: {{ include "tern.databaseSecretKey" . }}
{{- if .Values.elasticsearch.enabled }}
- name: ES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tern.elasticsearchSecretName" . }}
      key: {{ include "tern.elasticsearchSecretKey" . }}
{{- end }}
{{- end }}

{{/* Pod-level settings: (dict "root" $ "preInstall" bool). A pre-install hook runs before
the chart's ServiceAccount exists, so it keeps the namespace's default one unless the account
is one you made (serviceAccount.create=false). */}}
{{- define "tern.podSecurity" -}}
{{- $root := .root }}
{{- with $root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if not (and .preInstall $root.Values.serviceAccount.create) }}
serviceAccountName: {{ include "tern.serviceAccountName" $root }}
{{- end }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml $root.Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* A writable /tmp: the root filesystem is read-only. */}}
{{- define "tern.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}
{{- define "tern.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Checks of values a schema cannot express; each message names the value. */}}
{{- define "tern.validate" -}}
{{- $_ := required "database.host is required: the PostgreSQL host Tern connects to (--set database.host=...)" .Values.database.host }}
{{- $shards := int .Values.numHistoryShards }}
{{- $power := 1 }}
{{- range until 31 }}
{{- if lt $power $shards }}{{ $power = mul $power 2 }}{{ end }}
{{- end }}
{{- if ne $power $shards }}
{{- fail (printf "numHistoryShards must be a power of two (1, 2, 4, ... 16384), got %v" .Values.numHistoryShards) }}
{{- end }}
{{- if hasKey .Values.services.frontend "tls" }}
{{- fail "services.frontend.tls has moved to tls.frontend (enabled, secretName, requireClientAuth, serverName; the Secret's keys are tls.crt, tls.key and ca.crt): move these values there" }}
{{- end }}
{{- range $group := list "frontend" "internode" }}
{{- $g := index $.Values.tls $group }}
{{- if and $g.enabled (not $g.secretName) }}
{{- fail (printf "tls.%s.secretName is required when tls.%s.enabled is true: the Secret with the %s certificate, key and CA (tls.crt, tls.key, ca.crt)" $group $group $group) }}
{{- end }}
{{- end }}
{{- if .Values.elasticsearch.enabled }}
{{- if not (regexMatch "^https?://[^/]+/?$" .Values.elasticsearch.url) }}
{{- fail (printf "elasticsearch.url must look like http://host:9200 when elasticsearch.enabled is true, got %q" .Values.elasticsearch.url) }}
{{- end }}
{{- end }}
{{- if and .Values.namespaces.create (not .Values.namespaces.list) }}
{{- fail "namespaces.list is empty while namespaces.create is true: list the namespaces to create, or set namespaces.create=false" }}
{{- end }}
{{- end }}
