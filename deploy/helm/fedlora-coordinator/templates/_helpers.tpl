{{- define "fedlora.name" -}}
{{- printf "%s" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "fedlora.labels" -}}
app.kubernetes.io/name: fedlora-coordinator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "fedlora.selector" -}}
app.kubernetes.io/name: fedlora-coordinator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
