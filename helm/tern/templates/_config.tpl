{{/* The server config (config/README.md), shared by the services' ConfigMap and the schema
hook's. Secrets stay out: the config names ${DB_PASSWORD} and ${ES_PASSWORD}, which Tern fills
from the environment (secretKeyRef) when it loads the file; ${POD_IP} is the downward API's. */}}
{{- define "tern.config" -}}
# Rendered by the tern Helm chart from its values; change the values, not this file.
global:
  clusterName: {{ .Values.clusterName | quote }}
  log: {level: {{ .Values.log.level }}, format: {{ .Values.log.format }}}
  schedulingPolicy: {{ .Values.schedulingPolicy }}
  membership:
    heartbeatInterval: {{ .Values.membership.heartbeatInterval }}
    maxHeartbeatAge: {{ .Values.membership.maxHeartbeatAge }}
{{- /* global.tls is the same for every service: each needs the frontend's client settings
(internal callers of the frontend) and, with internode TLS, the certificate it presents to its
peers. */}}
{{- if or .Values.tls.frontend.enabled .Values.tls.internode.enabled }}
  tls:
    refreshInterval: {{ .Values.tls.refreshInterval }}
{{- range $group := list "frontend" "internode" }}
{{- $g := index $.Values.tls $group }}
{{- if $g.enabled }}
{{- $dir := include "tern.tlsDir" $group }}
    {{ $group }}:
      server:
        certFile: {{ printf "%s/tls.crt" $dir | quote }}
        keyFile: {{ printf "%s/tls.key" $dir | quote }}
        clientCaFiles: [{{ printf "%s/ca.crt" $dir | quote }}]
        requireClientAuth: {{ $g.requireClientAuth }}
      client:
        serverName: {{ include "tern.tlsServerName" (dict "root" $ "group" $group) | quote }}
        rootCaFiles: [{{ printf "%s/ca.crt" $dir | quote }}]
{{- end }}
{{- end }}
{{- end }}
persistence:
  numHistoryShards: {{ int .Values.numHistoryShards }}
  defaultStore: default
  visibilityStore: {{ ternary "es-visibility" "default" .Values.elasticsearch.enabled }}
  datastores:
    default:
      sql:
        pluginName: postgres
        databaseName: {{ .Values.database.name | quote }}
        connectAddr: {{ printf "%s:%d" .Values.database.host (int .Values.database.port) | quote }}
        user: {{ .Values.database.user | quote }}
        password: '${DB_PASSWORD}'
        maxConns: {{ int .Values.database.maxConns }}
        connectAttributes: {sslmode: {{ .Values.database.sslmode }}}
{{- if .Values.elasticsearch.enabled }}
{{- $url := regexFind "^https?://[^/]+" .Values.elasticsearch.url }}
    es-visibility:
      elasticsearch:
        version: {{ .Values.elasticsearch.version }}
        url: {scheme: {{ regexFind "^https?" $url }}, host: {{ regexReplaceAll "^https?://" $url "" | quote }}}
        username: {{ .Values.elasticsearch.username | quote }}
        password: '${ES_PASSWORD}'
        indices: {visibility: {{ .Values.elasticsearch.index | quote }}}
{{- end }}
services:
{{- range $name := list "frontend" "history" "matching" "worker" }}
{{- $svc := index $.Values.services $name }}
  {{ $name }}:
    rpc:
      grpcPort: {{ int $svc.grpcPort }}
      bindOnIP: 0.0.0.0
      broadcastAddress: '${POD_IP}'
    metrics: {listenAddress: {{ printf "0.0.0.0:%d" (int $svc.metricsPort) | quote }}}
{{- end }}
{{- with .Values.dynamicConfig }}
dynamicConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
