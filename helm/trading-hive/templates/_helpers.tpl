{{/* Names ---------------------------------------------------------------------------------- */}}
{{- define "trading-hive.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "trading-hive.fullname" -}}
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

{{/* "<fullname>-<component>", kept within the 63 characters of a DNS label. */}}
{{- define "trading-hive.componentName" -}}
{{- printf "%s-%s" (include "trading-hive.fullname" .root) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "trading-hive.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels: call with (dict "root" $ "component" "governor"). */}}
{{- define "trading-hive.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trading-hive.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "trading-hive.labels" -}}
helm.sh/chart: {{ include "trading-hive.chart" .root }}
{{ include "trading-hive.selectorLabels" . }}
app.kubernetes.io/part-of: trading-hive
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end }}

{{/* Common labels of objects that belong to no single component. */}}
{{- define "trading-hive.commonLabels" -}}
helm.sh/chart: {{ include "trading-hive.chart" . }}
app.kubernetes.io/name: {{ include "trading-hive.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/part-of: trading-hive
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Config ---------------------------------------------------------------------------------- */}}

{{/* One service's settings: its entry merged over serviceDefaults, as YAML
     (call with (dict "root" $ "svc" $svc); read back with fromYaml). mergeOverwrite lets an
     entry turn a default off (false, 0, an empty list). */}}
{{- define "trading-hive.serviceConfig" -}}
{{- mergeOverwrite (deepCopy .root.Values.serviceDefaults) (deepCopy .svc) | toYaml }}
{{- end }}

{{- define "trading-hive.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .root.Values.image.registry) .image $tag }}
{{- end }}

{{- define "trading-hive.secretName" -}}
{{- default (include "trading-hive.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "trading-hive.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "trading-hive.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "trading-hive.opaUrl" -}}
{{- if .Values.opa.enabled }}
{{- printf "http://%s:%d" (include "trading-hive.componentName" (dict "root" . "component" "opa")) (int .Values.opa.port) }}
{{- else }}
{{- required "opa.url is required when opa.enabled is false" .Values.opa.url }}
{{- end }}
{{- end }}

{{/* The Secret with OPA's token and bundle keys (values.yaml, opa.existingSecret). */}}
{{- define "trading-hive.opaSecretName" -}}
{{- default (include "trading-hive.componentName" (dict "root" . "component" "opa")) .Values.opa.existingSecret }}
{{- end }}

{{- define "trading-hive.modelStoreClaim" -}}
{{- default (include "trading-hive.componentName" (dict "root" . "component" "models")) .Values.modelStore.persistence.existingClaim }}
{{- end }}

{{/* The HIVE_BREAKERS JSON the governor reads (hive_governor.settings). */}}
{{- define "trading-hive.breakersJson" -}}
{{- $levels := dict -}}
{{- range $level := list "bot" "cell" "global" -}}
{{- $b := index $.Values.breakers $level -}}
{{- $_ := set $levels $level (dict "threshold" (int $b.threshold) "reset_timeout_ms" (int64 $b.reset_timeout_ms) "window_ms" (int64 $b.window_ms) "fallback" $b.fallback) -}}
{{- end -}}
{{- toJson $levels -}}
{{- end }}

{{/* The policy files shipped to OPA: Rego and data, no tests, no docs. */}}
{{- define "trading-hive.policyFiles" -}}
{{- range $path, $_ := .Files.Glob "files/policies/**" }}
{{- if and (or (hasSuffix ".rego" $path) (hasSuffix ".json" $path)) (not (hasSuffix "_test.rego" $path)) }}
{{ $path }}
{{- end }}
{{- end }}
{{- end }}

{{/* A ConfigMap key for a policy path: files/policies/hive/risk/x.rego -> hive__risk__x.rego */}}
{{- define "trading-hive.policyKey" -}}
{{- trimPrefix "files/policies/" . | replace "/" "__" }}
{{- end }}

{{/* A digest of every shipped policy file's content. */}}
{{- define "trading-hive.policyFilesDigest" -}}
{{- range $path := include "trading-hive.policyFiles" . | trim | splitList "\n" | compact }}
{{- $path }}:{{ $.Files.Get $path | sha256sum }}
{{ end }}
{{- end }}
