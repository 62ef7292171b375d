# shellcheck shell=bash
# Manifest generators for scripts/cluster.sh (fake nodes, storage, namespace, KWOK stages,
# JobSet webhook registration). Each function prints YAML on stdout.

# jq expression (KWOK selectors are gojq) classifying a pod's "fail on purpose" marker:
#   "none"  - no marker
#   "job"   - marker set and the pod is owned by a Job  -> goes Running, then Failed (exit 1)
#             (after the annotation mlkube.test/run-for, e.g. "20s", like Succeeded pods)
#   "other" - marker set, pod not owned by a Job        -> Running but never Ready (CrashLoopBackOff)
# The marker is annotation or label `mlkube.test/fail: "true"`.
MLKUBE_FAIL_JQ='(if ((.metadata.annotations["mlkube.test/fail"] // .metadata.labels["mlkube.test/fail"]) == "true") then (if ([.metadata.ownerReferences[]?.kind] | any(. == "Job")) then "job" else "other" end) else "none" end)'

# _add_selector FILE VALUES_OPERATOR VALUE...: print FILE with one extra matchExpression on
# MLKUBE_FAIL_JQ inserted under `matchExpressions:`.
_add_fail_selector() {
  local file=$1 op=$2; shift 2
  local extra v
  extra="    - key: '${MLKUBE_FAIL_JQ}'"$'\n'"      operator: '${op}'"$'\n'"      values:"
  for v in "$@"; do extra="$extra"$'\n'"      - '$v'"; done
  EXTRA="$extra" awk '{print} /^    matchExpressions:$/ {print ENVIRON["EXTRA"]}' "$file"
}

# _add_run_for: insert a delay read from annotation mlkube.test/run-for (a Go duration such as
# "30s"; absent = no delay) before `next:`, so a Job pod stays Running that long before it ends.
_add_run_for() {
  awk '/^  next:$/ {
    print "  delay:"
    print "    durationMilliseconds: 0"
    print "    durationFrom:"
    print "      jq:"
    print "        expression: \x27.metadata.annotations[\"mlkube.test/run-for\"]\x27"
  } {print}'
}

# kwok_stages KWOK_MODULE_DIR: the stage set, built from the kwok module zip's kustomize/stage
# files plus the mlkube fail-on-purpose stages.
kwok_stages() {
  local s=$1/kustomize/stage
  cat "$s/node/fast/node-initialize.yaml"; echo "---"
  cat "$s/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"; echo "---"
  _add_fail_selector "$s/pod/fast/pod-ready.yaml" In none job; echo "---"
  _add_fail_selector "$s/pod/fast/pod-complete.yaml" NotIn job | _add_run_for; echo "---"
  cat "$s/pod/fast/pod-delete.yaml"; echo "---"
  # pod-fail: same as pod-complete, but for marked Job pods, ending Failed with exit code 1.
  _add_fail_selector "$s/pod/fast/pod-complete.yaml" In job | _add_run_for \
    | sed -e 's/^  name: pod-complete$/  name: mlkube-pod-fail/' \
          -e 's/exitCode: 0$/exitCode: 1/' \
          -e 's/reason: Completed$/reason: Error\n            message: "mlkube.test\/fail: failed on purpose"/' \
          -e 's/^      phase: Succeeded$/      phase: Failed\n      reason: Error\n      message: "mlkube.test\/fail: failed on purpose"/'
  echo "---"
  # pod-crashloop: marked pods not owned by a Job run but never become Ready.
  cat <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: mlkube-pod-crashloop
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '${MLKUBE_FAIL_JQ}'
      operator: 'In'
      values:
      - 'other'
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.phase'
      operator: 'In'
      values:
      - 'Pending'
  next:
    statusTemplate: |
      {{ \$now := Now }}
      conditions:
      - lastTransitionTime: {{ \$now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ \$now | Quote }}
        status: "False"
        type: Ready
        reason: ContainersNotReady
      - lastTransitionTime: {{ \$now | Quote }}
        status: "False"
        type: ContainersReady
        reason: ContainersNotReady
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: false
        restartCount: 3
        lastState:
          terminated:
            exitCode: 1
            reason: Error
            message: "mlkube.test/fail: failed on purpose"
            startedAt: {{ \$now | Quote }}
            finishedAt: {{ \$now | Quote }}
        state:
          waiting:
            reason: CrashLoopBackOff
            message: "back-off restarting failed container (mlkube.test/fail)"
      {{ end }}
      {{ \$podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      {{ with \$podIPs }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      phase: Running
      startTime: {{ \$now | Quote }}
EOF
  echo "---"
  # Static class "manual" (pre-created PVs, reclaimPolicy Retain): once a claim is deleted, make
  # the Released PV Available again (clear claimRef, as a recycler would), so the pool is reusable.
  cat <<'EOF'
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: mlkube-pv-recycle
spec:
  resourceRef:
    apiGroup: v1
    kind: PersistentVolume
  selector:
    matchExpressions:
    - cel:
        expression: >-
          self.spec.storageClassName == 'manual'
    - cel:
        expression: >-
          !has(self.metadata.deletionTimestamp)
    - cel:
        expression: >-
          self.status.phase == 'Released'
  steps:
  - patch:
      root: spec
      type: merge
      template: |
        claimRef: null
EOF
  echo "---"
  # Dynamic provisioning for StorageClass "standard": KWOK's volume stages (PVC -> new PV ->
  # Bound), retargeted from class kwok-volume to standard.
  local f
  for f in pv-bind pv-delete pvc-provision pvc-delete; do
    sed -e "s/'kwok-volume'/'standard'/g" \
        -e "s#/tmp/kwok-local-path-provisioner/#${STATE_DIR}/volumes/#" "$s/volume/fast/$f.yaml"
    echo "---"
  done
}

kwok_config() {
  # No KwokConfiguration document: a partial one leaves its parallelism options at 0 (kwok then
  # exits "node leases parallelism must be greater than 0"); the options are passed as flags.
  kwok_stages "$1"
}

# _node NAME KIND(cpu|gpu)
_node() {
  local name=$1 kind=$2
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    beta.kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: $name
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    type: kwok
    topology.kubernetes.io/region: local
    topology.kubernetes.io/zone: local-a
    mlkube.test/node-kind: $kind
EOF
  if [ "$kind" = gpu ]; then
    cat <<EOF
    node.kubernetes.io/instance-type: gpu-8x-h100
    nvidia.com/gpu.present: "true"
    nvidia.com/gpu.count: "8"
    nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3
    nvidia.com/gpu.memory: "81559"
spec:
  taints:
  - key: nvidia.com/gpu
    value: present
    effect: NoSchedule
status:
  allocatable: {cpu: "96", memory: 1000Gi, ephemeral-storage: 2Ti, pods: "110", nvidia.com/gpu: "8"}
  capacity: {cpu: "96", memory: 1000Gi, ephemeral-storage: 2Ti, pods: "110", nvidia.com/gpu: "8"}
EOF
  else
    cat <<EOF
    node.kubernetes.io/instance-type: cpu-32
spec: {}
status:
  allocatable: {cpu: "32", memory: 128Gi, ephemeral-storage: 500Gi, pods: "110"}
  capacity: {cpu: "32", memory: 128Gi, ephemeral-storage: 500Gi, pods: "110"}
EOF
  fi
}

nodes_yaml() {
  local i
  for i in $(seq 0 $((CPU_NODES - 1))); do _node "cpu-node-$i" cpu; echo "---"; done
  for i in $(seq 0 $((GPU_NODES - 1))); do _node "gpu-node-$i" gpu; echo "---"; done
}

storage_yaml() {
  cat <<EOF
# Default class: dynamic provisioning (hostPath PVs created on demand by KWOK stages).
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kwok.x-k8s.io/volume
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
---
# Static class: pre-created hostPath PVs bound by kube-controller-manager's PV controller.
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: manual
provisioner: kubernetes.io/no-provisioner
reclaimPolicy: Retain
volumeBindingMode: Immediate
---
EOF
  local mode size n
  for mode in ReadWriteOnce ReadWriteMany; do
    for size in 10Gi 100Gi 1Ti; do
      for n in 0 1; do
        local short; short=$( [ "$mode" = ReadWriteOnce ] && echo rwo || echo rwx)
        local name; name="pv-$short-$(echo "$size" | tr '[:upper:]' '[:lower:]')-$n"
        cat <<EOF
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $name
  labels: {mlkube.test/pv: "true", mlkube.test/access: $short}
spec:
  storageClassName: manual
  capacity: {storage: $size}
  accessModes: [$mode]
  persistentVolumeReclaimPolicy: Retain
  volumeMode: Filesystem
  hostPath: {path: ${STATE_DIR}/volumes/$name, type: DirectoryOrCreate}
---
EOF
      done
    done
  done
}

namespace_yaml() {
  cat <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $TEST_NAMESPACE
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
    pod-security.kubernetes.io/warn: restricted
    pod-security.kubernetes.io/audit: restricted
EOF
}

# jobset_webhooks CA_BUNDLE_B64
jobset_webhooks_yaml() {
  cat <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: mlkube-jobset-mutating
webhooks:
- name: mjobset.kb.io
  admissionReviewVersions: [v1]
  clientConfig:
    url: https://127.0.0.1:${JOBSET_WEBHOOK_PORT}/mutate-jobset-x-k8s-io-v1alpha2-jobset
    caBundle: $1
  failurePolicy: Fail
  sideEffects: None
  timeoutSeconds: 10
  rules:
  - apiGroups: [jobset.x-k8s.io]
    apiVersions: [v1alpha2]
    operations: [CREATE]
    resources: [jobsets]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: mlkube-jobset-validating
webhooks:
- name: vjobset.kb.io
  admissionReviewVersions: [v1]
  clientConfig:
    url: https://127.0.0.1:${JOBSET_WEBHOOK_PORT}/validate-jobset-x-k8s-io-v1alpha2-jobset
    caBundle: $1
  failurePolicy: Fail
  sideEffects: None
  timeoutSeconds: 10
  rules:
  - apiGroups: [jobset.x-k8s.io]
    apiVersions: [v1alpha2]
    operations: [CREATE, UPDATE]
    resources: [jobsets]
EOF
}

jobset_config_yaml() {
  cat <<EOF
apiVersion: config.jobset.x-k8s.io/v1alpha1
kind: Configuration
leaderElection:
  leaderElect: false
internalCertManagement:
  enable: false
webhook:
  port: ${JOBSET_WEBHOOK_PORT}
  host: 127.0.0.1
  certDir: ${STATE_DIR}/jobset-certs
metrics:
  bindAddress: "0"
health:
  healthProbeBindAddress: 127.0.0.1:${JOBSET_HEALTH_PORT}
EOF
}

trainer_config_yaml() {
  cat <<EOF2
apiVersion: config.trainer.kubeflow.org/v1alpha1
kind: Configuration
health:
  healthProbeBindAddress: 127.0.0.1:${TRAINER_HEALTH_PORT}
  readinessEndpointName: readyz
  livenessEndpointName: healthz
metrics:
  bindAddress: "0"
webhook:
  port: ${TRAINER_WEBHOOK_PORT}
  host: 127.0.0.1
leaderElection:
  leaderElect: false
certManagement:
  enable: false
EOF2
}

# _trainer_webhook NAME PATH RESOURCE CA_BUNDLE_B64
_trainer_webhook() {
  cat <<EOF2
- name: $1
  admissionReviewVersions: [v1]
  clientConfig:
    url: https://127.0.0.1:${TRAINER_WEBHOOK_PORT}$2
    caBundle: $4
  failurePolicy: Fail
  sideEffects: None
  timeoutSeconds: 10
  rules:
  - apiGroups: [trainer.kubeflow.org]
    apiVersions: [v1alpha1]
    operations: [CREATE, UPDATE]
    resources: [$3]
EOF2
}

# trainer_webhooks_yaml CA_BUNDLE_B64: the four Trainer v2.3.0 webhooks
# (manifests/base/webhook/manifests.yaml), by URL on loopback.
trainer_webhooks_yaml() {
  echo "apiVersion: admissionregistration.k8s.io/v1"
  echo "kind: MutatingWebhookConfiguration"
  echo "metadata: {name: mlkube-trainer-mutating}"
  echo "webhooks:"
  _trainer_webhook defaulter.trainjob.trainer.kubeflow.org /mutate-trainer-kubeflow-org-v1alpha1-trainjob trainjobs "$1"
  echo "---"
  echo "apiVersion: admissionregistration.k8s.io/v1"
  echo "kind: ValidatingWebhookConfiguration"
  echo "metadata: {name: mlkube-trainer-validating}"
  echo "webhooks:"
  _trainer_webhook validator.clustertrainingruntime.trainer.kubeflow.org \
    /validate-trainer-kubeflow-org-v1alpha1-clustertrainingruntime clustertrainingruntimes "$1"
  _trainer_webhook validator.trainingruntime.trainer.kubeflow.org \
    /validate-trainer-kubeflow-org-v1alpha1-trainingruntime trainingruntimes "$1"
  _trainer_webhook validator.trainjob.trainer.kubeflow.org \
    /validate-trainer-kubeflow-org-v1alpha1-trainjob trainjobs "$1"
}
