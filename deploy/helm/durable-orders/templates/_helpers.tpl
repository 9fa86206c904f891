{{/* Names and labels. */}}
{{- define "durable-orders.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "durable-orders.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "durable-orders.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "durable-orders.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "api"). */}}
{{- define "durable-orders.selectorLabels" -}}
app.kubernetes.io/name: {{ include "durable-orders.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "durable-orders.componentLabels" -}}
{{ include "durable-orders.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "durable-orders.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "durable-orders.secretName" -}}
{{- default (printf "%s-secrets" (include "durable-orders.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{/*
WORKER_SHUTDOWN_GRACE in whole seconds, rounded up, with the rules of config/worker-tuning.ts:
"0", or a whole number followed by ms, s, m or h, at most 10 minutes. A bare number would be days there.
*/}}
{{- define "durable-orders.workerGraceSeconds" -}}
{{- $raw := toString .Values.worker.shutdownGrace | trim }}
{{- if or (eq $raw "0") (eq $raw "0s") }}0
{{- else if regexMatch "^[0-9]+(ms|s|m|h)$" $raw }}
{{- $amount := regexFind "^[0-9]+" $raw | int64 }}
{{- $unit := regexFind "(ms|s|m|h)$" $raw }}
{{- $ms := $amount }}
{{- if eq $unit "s" }}{{ $ms = mul $amount 1000 }}{{ end }}
{{- if eq $unit "m" }}{{ $ms = mul $amount 60000 }}{{ end }}
{{- if eq $unit "h" }}{{ $ms = mul $amount 3600000 }}{{ end }}
{{- if gt $ms 600000 }}{{ fail (printf "worker.shutdownGrace %q is longer than 10m (config/worker-tuning.ts refuses it)" $raw) }}{{ end }}
{{- div (add $ms 999) 1000 }}
{{- else }}
{{- fail (printf "worker.shutdownGrace %q: use 0 or a whole number of ms, s, m or h (e.g. 30s); a bare number means days to the app" $raw) }}
{{- end }}
{{- end }}

{{/* Whether the MySQL TLS Secret is mounted. */}}
{{- define "durable-orders.dbTlsMounted" -}}
{{- $tls := .Values.database.tls }}
{{- if and (ne (toString $tls.mode) "off") $tls.secretName }}true{{ end }}
{{- end }}

{{/* Validation that would otherwise surface only as a crash-looping pod. */}}
{{- define "durable-orders.validate" -}}
{{- $tls := .Values.database.tls }}
{{- if not (has (toString $tls.mode) (list "off" "verify-ca" "verify-full")) }}
{{- fail (printf "database.tls.mode %q must be off, verify-ca or verify-full" (toString $tls.mode)) }}
{{- end }}
{{- if and $tls.clientCertificate (not $tls.secretName) }}
{{- fail "database.tls.clientCertificate needs database.tls.secretName (the Secret holding the certificate and key)" }}
{{- end }}
{{- if and (eq (toString $tls.mode) "off") $tls.secretName }}
{{- fail "database.tls.secretName is set but database.tls.mode is off: set mode to verify-full (or verify-ca)" }}
{{- end }}
{{- end }}

{{/*
Environment every app container gets: the ConfigMap, the secret settings by key, and the pod's own name
(logs). The Secret's keys are listed in values.yaml.
*/}}
{{- define "durable-orders.appEnv" -}}
{{- $secret := include "durable-orders.secretName" . }}
envFrom:
  - configMapRef:
      name: {{ include "durable-orders.fullname" . }}-config
env:
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef: { name: {{ $secret }}, key: DATABASE_URL }
  - name: REDIS_URL
    valueFrom:
      secretKeyRef: { name: {{ $secret }}, key: REDIS_URL }
  - name: JWT_SECRET
    valueFrom:
      secretKeyRef: { name: {{ $secret }}, key: JWT_SECRET }
  - name: PAYLOAD_CODEC_KEYS
    valueFrom:
      secretKeyRef: { name: {{ $secret }}, key: PAYLOAD_CODEC_KEYS }
  - name: WECHATPAY_APIV3_KEY
    valueFrom:
      secretKeyRef: { name: {{ $secret }}, key: WECHATPAY_APIV3_KEY, optional: true }
  - name: TEMPORAL_API_KEY
    valueFrom:
      secretKeyRef: { name: {{ $secret }}, key: TEMPORAL_API_KEY, optional: true }
{{- end }}

{{/* Volumes of every app pod: scratch space (the root file system is read-only), MySQL TLS, payment keys. */}}
{{- define "durable-orders.appVolumes" -}}
- name: tmp
  emptyDir: { sizeLimit: 64Mi }
- name: payment-dev-keys
  emptyDir: { sizeLimit: 1Mi }
{{- if include "durable-orders.dbTlsMounted" . }}
{{- $tls := .Values.database.tls }}
- name: mysql-tls
  secret:
    secretName: {{ $tls.secretName }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read; decimal, as YAML 1.1 and 1.2 parsers agree on it
    items:
      - { key: {{ $tls.caKey }}, path: ca.pem }
      {{- if $tls.clientCertificate }}
      - { key: {{ $tls.certKey }}, path: client-cert.pem }
      - { key: {{ $tls.keyKey }}, path: client-key.pem }
      {{- end }}
{{- end }}
{{- if .Values.payments.keysSecret }}
- name: payment-keys
  secret:
    secretName: {{ .Values.payments.keysSecret }}
    defaultMode: 288  # 0440: owner and group (fsGroup) read; decimal, as YAML 1.1 and 1.2 parsers agree on it
{{- end }}
{{- end }}

{{- define "durable-orders.appVolumeMounts" -}}
- { name: tmp, mountPath: /tmp }
- { name: payment-dev-keys, mountPath: /var/lib/orders/keys }
{{- if include "durable-orders.dbTlsMounted" . }}
- { name: mysql-tls, mountPath: {{ .Values.database.tls.mountPath }}, readOnly: true }
{{- end }}
{{- if .Values.payments.keysSecret }}
- { name: payment-keys, mountPath: {{ .Values.payments.keysMountPath }}, readOnly: true }
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every component and the Job. */}}
{{- define "durable-orders.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end }}

{{/* Restart pods when their configuration changes. */}}
{{- define "durable-orders.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}
