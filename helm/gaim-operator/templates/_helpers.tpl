{{- define "gaim-operator.name" -}}gaim-operator{{- end -}}

{{- define "gaim-operator.fullname" -}}
{{- if contains "gaim-operator" .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-gaim-operator" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "gaim-operator.labels" -}}
app.kubernetes.io/name: gaim-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: living-content
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "gaim-operator.selectorLabels" -}}
app.kubernetes.io/name: gaim-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "gaim-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "gaim-operator.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ default "default" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{- define "gaim-operator.image" -}}
{{- if .Values.image.digest -}}{{ .Values.image.repository }}@{{ .Values.image.digest }}{{- else -}}{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}{{- end -}}
{{- end -}}
