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

{{/*
Where the database URLs are: the Secret and its keys for the admin URL (migrations' and roles' owner)
and, with postgresql.roles.enabled, the API's and the operator's own URLs.
*/}}
{{- define "tributary.dbSecret" -}}
{{- $full := include "tributary.fullname" . -}}
{{- if .Values.postgresql.bundled -}}
{{- dict "name" (printf "%s-postgresql" $full) "admin" "url" "api" "api-url" "operator" "operator-url" | toJson -}}
{{- else if .Values.postgresql.existingSecret -}}
{{- dict "name" .Values.postgresql.existingSecret "admin" "url" "api" "api-url" "operator" "operator-url" | toJson -}}
{{- else -}}
{{- dict "name" (printf "%s-backends" $full) "admin" "database-url" "api" "api-database-url" "operator" "operator-database-url" | toJson -}}
{{- end -}}
{{- end -}}

{{/*
A role's URL on the same server and database as `url`: `dict "url" … "role" … "password" …`.
*/}}
{{- define "tributary.roleUrl" -}}
{{- $u := urlParse .url -}}
{{- printf "%s://%s:%s@%s%s" $u.scheme .role .password $u.host $u.path -}}{{ if $u.query }}?{{ $u.query }}{{ end -}}
{{- end -}}

{{/* A role's generated password, kept across upgrades (read back from the Secret that holds it). */}}
{{- define "tributary.rolePassword" -}}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret -}}
{{- $data := dict -}}
{{- if $existing }}{{ $data = $existing.data }}{{ end -}}
{{- if hasKey $data .key -}}
{{- index $data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum 32 -}}
{{- end -}}
{{- end -}}

{{- define "tributary.checkRoles" -}}
{{- if and .Values.postgresql.roles.enabled (eq .Values.postgresql.roles.api .Values.postgresql.roles.operator) -}}
{{- fail "postgresql.roles.api and postgresql.roles.operator must be two different roles" -}}
{{- end -}}
{{- end -}}

{{/*
Environment the api (component "api") and the operator (component "operator") read: where PostgreSQL,
Redis and etcd are. Each logs in to PostgreSQL as its own role when postgresql.roles.enabled.
*/}}
{{- define "tributary.backendEnv" -}}
{{- $root := .root -}}
{{- $full := include "tributary.fullname" $root -}}
{{- $db := include "tributary.dbSecret" $root | fromJson -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $db.name }}
      key: {{ ternary (get $db .component) $db.admin $root.Values.postgresql.roles.enabled }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      {{- if and (not $root.Values.redis.bundled) $root.Values.redis.existingSecret }}
      name: {{ $root.Values.redis.existingSecret }}
      key: url
      {{- else }}
      name: {{ $full }}-backends
      key: redis-url
      {{- end }}
{{- if eq .component "operator" }}
{{- /* Only the operator (its instances' brokers coordinate there); the API never talks to etcd. */}}
- name: ETCD_ENDPOINTS
  value: {{ include "tributary.etcdEndpoints" $root | quote }}
{{- end }}
{{- end -}}

{{/*
The init container that gives the API and the operator their database roles (libs/db/scripts/db-roles.ts):
step "roles" before the API, step "grants" before the operator. Only it sees the admin URL.
*/}}
{{- define "tributary.dbRolesInit" -}}
{{- $root := .root -}}
{{- $db := include "tributary.dbSecret" $root | fromJson -}}
- name: db-roles
  image: {{ include "tributary.image" $root }}
  imagePullPolicy: {{ $root.Values.image.pullPolicy }}
  command: [node, libs/db/scripts/db-roles.ts, --step, {{ .step }}]
  env:
    - name: TRIBUTARY_DB_ADMIN_URL
      valueFrom: { secretKeyRef: { name: {{ $db.name }}, key: {{ $db.admin }} } }
    - name: TRIBUTARY_DB_API_URL
      valueFrom: { secretKeyRef: { name: {{ $db.name }}, key: {{ $db.api }} } }
    - name: TRIBUTARY_DB_OPERATOR_URL
      valueFrom: { secretKeyRef: { name: {{ $db.name }}, key: {{ $db.operator }} } }
  resources:
    requests: { cpu: 50m, memory: 128Mi }
    limits: { memory: 256Mi }
  securityContext:
    {{- toYaml $root.Values.securityContext | nindent 4 }}
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
