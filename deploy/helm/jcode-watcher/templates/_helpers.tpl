{{/* Names and labels. */}}
{{- define "jcw.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "jcw.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "jcw.selectorLabels" -}}
app.kubernetes.io/name: {{ include "jcw.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "jcw.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "jcw.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: jcode-watcher
{{- end -}}

{{- define "jcw.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "jcw.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "jcw.priorityClassName" -}}
{{- if .Values.priorityClass.create -}}
{{- default (include "jcw.fullname" .) .Values.priorityClass.name -}}
{{- else -}}
{{- .Values.priorityClass.name -}}
{{- end -}}
{{- end -}}

{{- define "jcw.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The Collector service the agents export to: the dependency's Service when `collector.enabled`, named as the
opentelemetry-collector chart names it (an aliased dependency's chart name is its alias, `collector`), else
`otlpEndpoint`, which a site without the bundled Collector must set.
*/}}
{{- define "jcw.collectorFullname" -}}
{{- $c := .Values.collector -}}
{{- if $c.fullnameOverride -}}
{{- $c.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default "collector" $c.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "jcw.otlpEndpoint" -}}
{{- if .Values.otlpEndpoint -}}
{{- .Values.otlpEndpoint -}}
{{- else if .Values.collector.enabled -}}
{{- printf "http://%s.%s.svc:4317" (include "jcw.collectorFullname" .) .Release.Namespace -}}
{{- else -}}
{{- fail "otlpEndpoint must be set when collector.enabled=false: the OTLP/gRPC endpoint of the Collector your site runs, e.g. http://otel-collector.observability.svc:4317" -}}
{{- end -}}
{{- end -}}

{{/* Paths inside the agent container. */}}
{{- define "jcw.dataDir" -}}/var/lib/jcode-watcher{{- end -}}
{{- define "jcw.workspacesDir" -}}/workspaces{{- end -}}

{{/*
The agent config: the site's `config` values with the keys the chart owns (paths of the mounts, the HTTP
endpoint the probes and Prometheus use) set by the chart. values.schema.json rejects those keys in `config`.
*/}}
{{- define "jcw.agentConfig" -}}
{{- $owned := dict
  "workspaces" (dict "root" (include "jcw.workspacesDir" .))
  "output" (dict "dir" (include "jcw.dataDir" .))
  "http" (dict "host" "0.0.0.0" "port" (int .Values.httpPort))
  "exec" (dict "pod_logs_dir" "/var/log/pods")
-}}
{{- if .Values.pseudonymKey.secretName -}}
{{- $_ := set $owned "privacy" (dict "pseudonymize" true "key_file" "/etc/jcode-watcher-key/key") -}}
{{- end -}}
{{- $cfg := mergeOverwrite (deepCopy (default (dict) .Values.config)) $owned -}}
{{- toYaml $cfg -}}
{{- end -}}
