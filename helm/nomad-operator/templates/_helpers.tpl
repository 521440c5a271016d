{{/* Chart name, trimmed to 63 characters (a DNS label). */}}
{{- define "nomad-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the prefix of every object name. */}}
{{- define "nomad-operator.fullname" -}}
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

{{- define "nomad-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object of the release, without a component. */}}
{{- define "nomad-operator.commonLabels" -}}
helm.sh/chart: {{ include "nomad-operator.chart" . }}
app.kubernetes.io/name: {{ include "nomad-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: nomad-operator
{{- end }}

{{/* Labels of the operator's objects. */}}
{{- define "nomad-operator.labels" -}}
{{ include "nomad-operator.commonLabels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Labels that select the operator pods. */}}
{{- define "nomad-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "nomad-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{- define "nomad-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "nomad-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Name of the leader Lease (--leader-election-id), also the only Lease the Role lets it update. */}}
{{- define "nomad-operator.leaseName" -}}
{{- default (include "nomad-operator.fullname" .) .Values.operator.leaderElectionId }}
{{- end }}

{{- define "nomad-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
