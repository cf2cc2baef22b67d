{{- define "tributary.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "tributary.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tributary
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tributary.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "tributary.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "tributary.brokerImage" -}}
{{- printf "%s:%s" .Values.broker.image.repository (default .Chart.AppVersion .Values.broker.image.tag) -}}
{{- end -}}

{{- define "tributary.instancesNamespace" -}}
{{- default .Release.Namespace .Values.operator.instancesNamespace -}}
{{- end -}}

{{/* Environment both api and operator read: where PostgreSQL, Redis and etcd are. */}}
{{- define "tributary.backendEnv" -}}
{{- $full := include "tributary.fullname" . -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      {{- if .Values.postgresql.bundled }}
      name: {{ $full }}-postgresql
      key: url
      {{- else if .Values.postgresql.existingSecret }}
      name: {{ .Values.postgresql.existingSecret }}
      key: url
      {{- else }}
      name: {{ $full }}-backends
      key: database-url
      {{- end }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      {{- if and (not .Values.redis.bundled) .Values.redis.existingSecret }}
      name: {{ .Values.redis.existingSecret }}
      key: url
      {{- else }}
      name: {{ $full }}-backends
      key: redis-url
      {{- end }}
- name: ETCD_ENDPOINTS
  value: {{ include "tributary.etcdEndpoints" . | quote }}
{{- end -}}

{{- define "tributary.etcdEndpoints" -}}
{{- if .Values.etcd.bundled -}}
{{- printf "http://%s-etcd.%s.svc:2379" (include "tributary.fullname" .) .Release.Namespace -}}
{{- else -}}
{{- required "etcd.endpoints is required when etcd.bundled is false" .Values.etcd.endpoints -}}
{{- end -}}
{{- end -}}

{{/*
The sealing key of password equivalents, for the API (seals) and the operator (unseals): a key
`secret-key` of the chart's generated Secret or of secretKey.existingSecret, and when
secretKey.previousKey is set (rotation), the key being rotated out from the same Secret.
*/}}
{{- define "tributary.secretKeyEnv" -}}
{{- $secret := default (printf "%s-secret-key" (include "tributary.fullname" .)) .Values.secretKey.existingSecret -}}
- name: TRIBUTARY_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: secret-key
{{- if .Values.secretKey.previousKey }}
- name: TRIBUTARY_SECRET_KEY_PREVIOUS
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .Values.secretKey.previousKey }}
{{- end }}
{{- end }}
