# shellcheck shell=bash
# `scripts/cluster.sh smoke`: checks a running cluster end to end with kubectl only.
# Creates objects in $TEST_NAMESPACE named mlkube-smoke-*, and deletes them afterwards.

_smoke_pod_security='
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        seccompProfile: {type: RuntimeDefault}'
_smoke_container_security='
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}'

smoke_yaml() {
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: mlkube-smoke-web}
spec:
  replicas: 2
  selector: {matchLabels: {app: mlkube-smoke-web}}
  template:
    metadata: {labels: {app: mlkube-smoke-web}}
    spec:${_smoke_pod_security}
      containers:
        - name: web
          image: registry.invalid/web:1
          resources: {requests: {cpu: 100m, memory: 64Mi}}${_smoke_container_security}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: mlkube-smoke-data}
spec:
  accessModes: [ReadWriteMany]
  resources: {requests: {storage: 1Ti}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: mlkube-smoke-static}
spec:
  storageClassName: manual
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 50Gi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: mlkube-smoke-gpu}
spec:
  replicas: 2
  selector: {matchLabels: {app: mlkube-smoke-gpu}}
  template:
    metadata: {labels: {app: mlkube-smoke-gpu}}
    spec:${_smoke_pod_security}
      tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
      containers:
        - name: infer
          image: registry.invalid/infer:1
          resources: {limits: {nvidia.com/gpu: "1"}, requests: {cpu: "1", memory: 4Gi}}${_smoke_container_security}
---
apiVersion: jobset.x-k8s.io/v1alpha2
kind: JobSet
metadata: {name: mlkube-smoke-train}
spec:
  replicatedJobs:
    - name: workers
      replicas: 1
      template:
        spec:
          parallelism: 2
          completions: 2
          backoffLimit: 0
          template:
            spec:${_smoke_pod_security//      /              }
              restartPolicy: Never
              tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
              containers:
                - name: trainer
                  image: registry.invalid/train:1
                  resources: {limits: {nvidia.com/gpu: "8"}}${_smoke_container_security//          /                  }
---
apiVersion: batch/v1
kind: Job
metadata: {name: mlkube-smoke-fail}
spec:
  backoffLimit: 1
  template:
    metadata:
      annotations: {mlkube.test/fail: "true"}
    spec:${_smoke_pod_security}
      restartPolicy: Never
      containers:
        - name: main
          image: registry.invalid/fail:1${_smoke_container_security}
EOF
}

smoke_trainjob_yaml() {
  cat <<EOF
apiVersion: trainer.kubeflow.org/v1alpha1
kind: TrainJob
metadata: {name: mlkube-smoke-trainjob}
spec:
  runtimeRef: {name: torch-distributed}
  trainer:
    numNodes: 4
    resourcesPerNode: {limits: {nvidia.com/gpu: "8"}}
    command: [torchrun, train.py]
  runtimePatches:
    - manager: mlkube.test/smoke
      trainingRuntimeSpec:
        template:
          spec:
            replicatedJobs:
              - name: node
                template:
                  spec:
                    template:
                      spec:
                        securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
                        tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}]
                        containers:
                          - name: node
                            securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
}

cmd_smoke() {
  local ns=$TEST_NAMESPACE t0 f="$STATE_DIR/manifests/smoke.yaml"
  t0=$(date +%s)
  smoke_yaml >"$f"
  if [ "$TRAINER_ENABLED" = 1 ]; then echo "---" >>"$f"; smoke_trainjob_yaml >>"$f"; fi
  kc -n "$ns" apply -f "$f"
  kc -n "$ns" wait --for=condition=Available --timeout=60s deployment/mlkube-smoke-web deployment/mlkube-smoke-gpu
  kc -n "$ns" wait --for=jsonpath='{.status.phase}'=Bound --timeout=60s pvc/mlkube-smoke-data pvc/mlkube-smoke-static
  kc -n "$ns" wait --for=condition=Completed --timeout=90s jobset/mlkube-smoke-train
  kc -n "$ns" wait --for=condition=Failed --timeout=90s job/mlkube-smoke-fail
  if [ "$TRAINER_ENABLED" = 1 ]; then
    kc -n "$ns" wait --for=condition=Complete --timeout=90s trainjob/mlkube-smoke-trainjob
  fi
  echo "gpu pods:"
  kc -n "$ns" get pods -l app=mlkube-smoke-gpu -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,PHASE:.status.phase --no-headers
  kc -n "$ns" get pods -l app=mlkube-smoke-gpu -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | grep -qv '^gpu-node-' \
    && { echo "a GPU pod landed on a non-GPU node" >&2; return 1; }
  echo "failed job pods:"
  kc -n "$ns" get pods -l job-name=mlkube-smoke-fail \
    -o custom-columns=NAME:.metadata.name,PHASE:.status.phase,EXIT:.status.containerStatuses[0].state.terminated.exitCode,REASON:.status.containerStatuses[0].state.terminated.reason --no-headers
  kc -n "$ns" delete -f "$f" --wait=true --timeout=60s >/dev/null
  if real_node_enabled; then smoke_real_node; fi
  echo "smoke OK in $(( $(date +%s) - t0 ))s"
}

# A real container on the real node: resolves kube-dns over cluster DNS (CoreDNS behind kube-proxy's
# ClusterIP) and connects to it; `kubectl logs` goes through the kubelet.
smoke_real_node() {
  local ns=$TEST_NAMESPACE f="$STATE_DIR/manifests/smoke-real.yaml"
  cat >"$f" <<EOF
apiVersion: v1
kind: Pod
metadata: {name: mlkube-smoke-real}
spec:
  restartPolicy: Never
  nodeSelector: {mlkube.test/node-kind: real}
  tolerations: [{key: mlkube.test/real-node, operator: Equal, value: "true", effect: NoSchedule}]
  securityContext: {runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: app
      image: $TEST_IMAGE
      imagePullPolicy: Never
      args: [connect, -tries, "5", kube-dns.kube-system.svc.cluster.local:53]
      resources: {requests: {cpu: 10m, memory: 16Mi}}
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
EOF
  kc -n "$ns" apply -f "$f" >/dev/null
  kc -n "$ns" wait --for=jsonpath='{.status.phase}'=Succeeded --timeout=90s pod/mlkube-smoke-real || {
    kc -n "$ns" describe pod mlkube-smoke-real >&2; kc -n "$ns" logs mlkube-smoke-real >&2 || true; return 1; }
  echo "real node pod:"
  kc -n "$ns" logs mlkube-smoke-real
  kc -n "$ns" delete -f "$f" --wait=true --timeout=60s >/dev/null
}
