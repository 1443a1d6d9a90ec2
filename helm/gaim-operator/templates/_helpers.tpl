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

{{- /* The head of one of the operator's admission policies: bound to its ServiceAccount only. */}}
{{- define "gaim-operator.policyHead" }}
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: {{ .name }}
  labels: {{- .labels | nindent 4 }}
spec:
  failurePolicy: Fail
  matchConditions:
    - name: only-the-operator
      expression: request.userInfo.username == {{ .sa | quote }}
{{- end }}

{{- /* The binding of one of them: refusals deny. */}}
{{- define "gaim-operator.policyBinding" }}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: {{ .name }}
  labels: {{- .labels | nindent 4 }}
spec:
  policyName: {{ .name }}
  validationActions: [Deny]
{{- end }}
