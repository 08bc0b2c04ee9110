{{- /* Generated from operator/src/rbac by `npm run generate`. Do not edit by hand. */ -}}
{{- define "flywheel.rules.manager" -}}
- apiGroups:
    - flywheel.dev
  resources:
    - microservices
  verbs:
    - list
    - patch
    - watch
- apiGroups:
    - flywheel.dev
  resources:
    - microservices/status
  verbs:
    - patch
- apiGroups:
    - flywheel.dev
  resources:
    - microservices/finalizers
  verbs:
    - update
- apiGroups:
    - ""
  resources:
    - events
  verbs:
    - create
    - patch
- apiGroups:
    - ""
  resources:
    - configmaps
    - serviceaccounts
    - services
  verbs:
    - create
    - delete
    - get
    - list
    - patch
    - watch
- apiGroups:
    - apps
  resources:
    - deployments
  verbs:
    - create
    - delete
    - get
    - list
    - patch
    - watch
- apiGroups:
    - autoscaling
  resources:
    - horizontalpodautoscalers
  verbs:
    - create
    - delete
    - get
    - list
    - patch
    - watch
- apiGroups:
    - policy
  resources:
    - poddisruptionbudgets
  verbs:
    - create
    - delete
    - get
    - list
    - patch
    - watch
{{- end }}

{{- define "flywheel.rules.mesh" -}}
- apiGroups:
    - networking.istio.io
  resources:
    - destinationrules
    - virtualservices
  verbs:
    - create
    - delete
    - get
    - list
    - patch
    - watch
{{- end }}

{{- define "flywheel.rules.leaderElection" -}}
- apiGroups:
    - coordination.k8s.io
  resources:
    - leases
  verbs:
    - create
- apiGroups:
    - coordination.k8s.io
  resources:
    - leases
  resourceNames:
    - "{{ include `flywheel.leaseName` . }}"
  verbs:
    - get
    - update
{{- end }}

{{- define "flywheel.rules.metricsAuth" -}}
- apiGroups:
    - authentication.k8s.io
  resources:
    - tokenreviews
  verbs:
    - create
- apiGroups:
    - authorization.k8s.io
  resources:
    - subjectaccessreviews
  verbs:
    - create
{{- end }}

{{- define "flywheel.rules.metricsReader" -}}
- nonResourceURLs:
    - /metrics
  verbs:
    - get
{{- end }}
