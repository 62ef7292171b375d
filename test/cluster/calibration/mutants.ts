/**
 * Near-valid mutants of emitted objects, for the calibration test (test/cluster/calibration.test.ts):
 * one field of an object the checker accepts flipped to a plausibly-invalid value (an empty toleration,
 * a bad name, privileged next to allowPrivilegeEscalation: false, memory "512m", a duplicate name, …)
 * or to an unusual value the server may well admit. Each mutant gets a name of its own (`<name>-m<n>`),
 * so a batch names each object once per kind.
 */
import type { K8sObject } from "../../../src/render";
import type { ComponentName } from "../../fuzz/cases";

export interface Sample {
    component: ComponentName;
    /** Where the object came from, for reports: "Compute case 12". */
    origin: string;
    /** Batches are per component and round (objects of one batch have unique names per kind). */
    round: number;
    /** The mutation applied, if any. */
    mutation?: string;
    object: K8sObject;
}

type Any = any;
type Mutate = (o: Any, n: number) => void;

const POD_KINDS = ["Deployment", "Job", "JobSet"];

/** The pod specs of a workload (Deployment, Job: one; JobSet: one per replicated job). */
function podSpecs(o: Any): Any[] {
    if (o.kind === "Deployment" || o.kind === "Job") return o.spec?.template?.spec ? [o.spec.template.spec] : [];
    if (o.kind === "JobSet")
        return (o.spec?.replicatedJobs ?? []).map((r: Any) => r?.template?.spec?.template?.spec).filter(Boolean);
    return [];
}
const onPod =
    (f: (spec: Any) => void): Mutate =>
    (o) =>
        podSpecs(o).slice(0, 1).forEach(f);
const onMain = (f: (c: Any, spec: Any) => void): Mutate => onPod((s) => f(s.containers[0], s));
const resources = (c: Any): Any => (c.resources ??= {});

/** [label, kinds, mutation]. */
const MUTATIONS: Array<[string, string[], Mutate]> = [
    // Tolerations
    ["tolerations [{}]", POD_KINDS, onPod((s) => (s.tolerations = [{}]))],
    ["toleration {operator: Exists}", POD_KINDS, onPod((s) => (s.tolerations = [{ operator: "Exists" }]))],
    [
        "toleration Exists with value",
        POD_KINDS,
        onPod((s) => (s.tolerations = [{ key: "a", operator: "Exists", value: "x" }])),
    ],
    [
        "toleration tolerationSeconds with NoSchedule",
        POD_KINDS,
        onPod((s) => (s.tolerations = [{ key: "a", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 5 }])),
    ],
    [
        "toleration tolerationSeconds with NoExecute",
        POD_KINDS,
        onPod((s) => (s.tolerations = [{ key: "a", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }])),
    ],
    [
        "toleration empty operator and effect",
        POD_KINDS,
        onPod((s) => (s.tolerations = [{ key: "a", operator: "", effect: "", value: "v" }])),
    ],
    ["toleration Equal with empty key", POD_KINDS, onPod((s) => (s.tolerations = [{ operator: "Equal", value: "x" }]))],
    [
        "toleration empty key, no operator",
        POD_KINDS,
        onPod((s) => (s.tolerations = [{ value: "x", effect: "NoSchedule" }])),
    ],
    ["toleration bad key", POD_KINDS, onPod((s) => (s.tolerations = [{ key: "a b", operator: "Exists" }]))],
    [
        "toleration bad value",
        POD_KINDS,
        onPod((s) => (s.tolerations = [{ key: "a", operator: "Equal", value: "not a label value" }])),
    ],
    [
        "toleration bad effect",
        POD_KINDS,
        onPod((s) => (s.tolerations = [{ key: "a", operator: "Exists", effect: "Sometimes" }])),
    ],
    ["toleration bad operator", POD_KINDS, onPod((s) => (s.tolerations = [{ key: "a", operator: "In" }]))],
    // Security contexts
    [
        "privileged + allowPrivilegeEscalation false",
        POD_KINDS,
        onMain(
            (c) => (c.securityContext = { ...c.securityContext, privileged: true, allowPrivilegeEscalation: false }),
        ),
    ],
    [
        "privileged + allowPrivilegeEscalation true",
        POD_KINDS,
        onMain((c) => (c.securityContext = { ...c.securityContext, privileged: true, allowPrivilegeEscalation: true })),
    ],
    [
        "SYS_ADMIN + allowPrivilegeEscalation false",
        POD_KINDS,
        onMain(
            (c) =>
                (c.securityContext = {
                    ...c.securityContext,
                    allowPrivilegeEscalation: false,
                    capabilities: { add: ["SYS_ADMIN"] },
                }),
        ),
    ],
    [
        "CAP_SYS_ADMIN + allowPrivilegeEscalation false",
        POD_KINDS,
        onMain(
            (c) =>
                (c.securityContext = {
                    ...c.securityContext,
                    allowPrivilegeEscalation: false,
                    capabilities: { add: ["CAP_SYS_ADMIN"] },
                }),
        ),
    ],
    [
        "capabilities.add empty string",
        POD_KINDS,
        onMain((c) => (c.securityContext = { ...c.securityContext, capabilities: { add: [""] } })),
    ],
    [
        "runAsNonRoot + runAsUser 0 (pod)",
        POD_KINDS,
        onPod((s) => (s.securityContext = { ...s.securityContext, runAsNonRoot: true, runAsUser: 0 })),
    ],
    [
        "runAsNonRoot + runAsUser 0 (container)",
        POD_KINDS,
        onMain((c) => (c.securityContext = { ...c.securityContext, runAsNonRoot: true, runAsUser: 0 })),
    ],
    ["runAsUser -1", POD_KINDS, onPod((s) => (s.securityContext = { ...s.securityContext, runAsUser: -1 }))],
    ["fsGroup -1", POD_KINDS, onPod((s) => (s.securityContext = { ...s.securityContext, fsGroup: -1 }))],
    [
        "seccomp Localhost without profile",
        POD_KINDS,
        onPod((s) => (s.securityContext = { ...s.securityContext, seccompProfile: { type: "Localhost" } })),
    ],
    [
        "seccomp RuntimeDefault with profile",
        POD_KINDS,
        onPod(
            (s) =>
                (s.securityContext = {
                    ...s.securityContext,
                    seccompProfile: { type: "RuntimeDefault", localhostProfile: "x.json" },
                }),
        ),
    ],
    [
        "sysctl bad name",
        POD_KINDS,
        onPod((s) => (s.securityContext = { ...s.securityContext, sysctls: [{ name: "not a sysctl", value: "1" }] })),
    ],
    [
        "procMount Unmasked",
        POD_KINDS,
        onMain((c) => (c.securityContext = { ...c.securityContext, procMount: "Unmasked" })),
    ],
    // Resources
    [
        "memory request 512m",
        POD_KINDS,
        onMain((c) => (resources(c).requests = { ...resources(c).requests, memory: "512m" })),
    ],
    ["memory limit 512m", POD_KINDS, onMain((c) => (resources(c).limits = { ...resources(c).limits, memory: "512m" }))],
    [
        "memory request above limit",
        POD_KINDS,
        onMain((c) =>
            Object.assign(resources(c), {
                requests: { ...resources(c).requests, memory: "2Gi" },
                limits: { ...resources(c).limits, memory: "1Gi" },
            }),
        ),
    ],
    [
        "cpu request above limit",
        POD_KINDS,
        onMain((c) =>
            Object.assign(resources(c), {
                requests: { ...resources(c).requests, cpu: "2" },
                limits: { ...resources(c).limits, cpu: "1" },
            }),
        ),
    ],
    [
        "cpu request 0.0001",
        POD_KINDS,
        onMain((c) => (resources(c).requests = { ...resources(c).requests, cpu: "0.0001" })),
    ],
    [
        "memory request negative",
        POD_KINDS,
        onMain((c) => (resources(c).requests = { ...resources(c).requests, memory: "-1Gi" })),
    ],
    [
        "memory request not a quantity",
        POD_KINDS,
        onMain((c) => (resources(c).requests = { ...resources(c).requests, memory: "16GB" })),
    ],
    [
        "ephemeral-storage request 1m",
        POD_KINDS,
        onMain((c) => (resources(c).requests = { ...resources(c).requests, "ephemeral-storage": "1m" })),
    ],
    [
        "gpu 0.5",
        POD_KINDS,
        onMain((c) =>
            Object.assign(resources(c), {
                requests: { ...resources(c).requests, "nvidia.com/gpu": "0.5" },
                limits: { ...resources(c).limits, "nvidia.com/gpu": "0.5" },
            }),
        ),
    ],
    [
        "gpu requests without limits",
        POD_KINDS,
        onMain((c) => (resources(c).requests = { ...resources(c).requests, "nvidia.com/gpu": "1" })),
    ],
    [
        "gpu requests != limits",
        POD_KINDS,
        onMain((c) =>
            Object.assign(resources(c), {
                requests: { ...resources(c).requests, "nvidia.com/gpu": "1" },
                limits: { ...resources(c).limits, "nvidia.com/gpu": "2" },
            }),
        ),
    ],
    [
        "gpu limits only",
        POD_KINDS,
        onMain((c) => (resources(c).limits = { ...resources(c).limits, "nvidia.com/gpu": "1" })),
    ],
    [
        "unprefixed extended resource",
        POD_KINDS,
        onMain((c) => (resources(c).limits = { ...resources(c).limits, gpu: "1" })),
    ],
    // Volumes and mounts
    [
        "volume name traversal",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "extra/../..", emptyDir: {} }])),
    ],
    [
        "volume name uppercase",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "Extra", emptyDir: {} }])),
    ],
    [
        "volume name 64 chars",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "v".repeat(64), emptyDir: {} }])),
    ],
    [
        "volume name with dot",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "a.b", emptyDir: {} }])),
    ],
    [
        "duplicate volume name",
        POD_KINDS,
        onPod(
            (s) => (s.volumes = [...(s.volumes ?? []), { name: "dup", emptyDir: {} }, { name: "dup", emptyDir: {} }]),
        ),
    ],
    ["volume without source", POD_KINDS, onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "nosource" }]))],
    [
        "volume with two sources",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "two", emptyDir: {}, secret: { secretName: "s" } }])),
    ],
    ["volumes [{}]", POD_KINDS, onPod((s) => (s.volumes = [...(s.volumes ?? []), {}]))],
    [
        "emptyDir Memory sizeLimit 512m",
        POD_KINDS,
        onPod(
            (s) =>
                (s.volumes = [
                    ...(s.volumes ?? []),
                    { name: "shm2", emptyDir: { medium: "Memory", sizeLimit: "512m" } },
                ]),
        ),
    ],
    [
        "emptyDir sizeLimit negative",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "neg", emptyDir: { sizeLimit: "-1Gi" } }])),
    ],
    [
        "emptyDir medium bogus",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "bog", emptyDir: { medium: "Disk" } }])),
    ],
    [
        "secret volume bad secretName",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "sec", secret: { secretName: "Bad_Name" } }])),
    ],
    [
        "secret volume defaultMode 0o1000",
        POD_KINDS,
        onPod(
            (s) =>
                (s.volumes = [...(s.volumes ?? []), { name: "sec", secret: { secretName: "s", defaultMode: 0o1000 } }]),
        ),
    ],
    [
        "pvc volume empty claimName",
        POD_KINDS,
        onPod((s) => (s.volumes = [...(s.volumes ?? []), { name: "pvc", persistentVolumeClaim: { claimName: "" } }])),
    ],
    [
        "volumeMount to missing volume",
        POD_KINDS,
        onMain((c) => (c.volumeMounts = [...(c.volumeMounts ?? []), { name: "ghost", mountPath: "/ghost" }])),
    ],
    [
        "duplicate mountPath",
        POD_KINDS,
        onMain((c, s) => {
            s.volumes = [...(s.volumes ?? []), { name: "d1", emptyDir: {} }, { name: "d2", emptyDir: {} }];
            c.volumeMounts = [
                ...(c.volumeMounts ?? []),
                { name: "d1", mountPath: "/same" },
                { name: "d2", mountPath: "/same" },
            ];
        }),
    ],
    [
        "relative mountPath",
        POD_KINDS,
        onMain((c, s) => {
            s.volumes = [...(s.volumes ?? []), { name: "rel", emptyDir: {} }];
            c.volumeMounts = [...(c.volumeMounts ?? []), { name: "rel", mountPath: "relative/path" }];
        }),
    ],
    [
        "mountPath with ..",
        POD_KINDS,
        onMain((c, s) => {
            s.volumes = [...(s.volumes ?? []), { name: "dots", emptyDir: {} }];
            c.volumeMounts = [...(c.volumeMounts ?? []), { name: "dots", mountPath: "/a/../b" }];
        }),
    ],
    [
        "subPath with ..",
        POD_KINDS,
        onMain((c, s) => {
            s.volumes = [...(s.volumes ?? []), { name: "sub", emptyDir: {} }];
            c.volumeMounts = [...(c.volumeMounts ?? []), { name: "sub", mountPath: "/sub", subPath: "../x" }];
        }),
    ],
    [
        "one volume mounted twice",
        POD_KINDS,
        onMain((c, s) => {
            s.volumes = [...(s.volumes ?? []), { name: "twice", emptyDir: {} }];
            c.volumeMounts = [
                ...(c.volumeMounts ?? []),
                { name: "twice", mountPath: "/t1" },
                { name: "twice", mountPath: "/t2" },
            ];
        }),
    ],
    // Containers
    [
        "container name uppercase",
        POD_KINDS,
        onPod((s) => (s.containers = [...s.containers, { name: "Side_Car", image: "busybox" }])),
    ],
    [
        "duplicate container name",
        POD_KINDS,
        onPod((s) => (s.containers = [...s.containers, { name: s.containers[0].name, image: "busybox" }])),
    ],
    ["container without image", POD_KINDS, onPod((s) => (s.containers = [...s.containers, { name: "noimage" }]))],
    ["containers [{}]", POD_KINDS, onPod((s) => (s.containers = [...s.containers, {}]))],
    ["image empty", POD_KINDS, onMain((c) => (c.image = ""))],
    ["image with trailing space", POD_KINDS, onMain((c) => (c.image = `${c.image} `))],
    ["imagePullPolicy bogus", POD_KINDS, onMain((c) => (c.imagePullPolicy = "Sometimes"))],
    [
        "duplicate env name",
        POD_KINDS,
        onMain((c) => (c.env = [...(c.env ?? []), { name: "DUP", value: "1" }, { name: "DUP", value: "2" }])),
    ],
    ["env name with =", POD_KINDS, onMain((c) => (c.env = [...(c.env ?? []), { name: "A=B", value: "1" }]))],
    ["env name leading digit", POD_KINDS, onMain((c) => (c.env = [...(c.env ?? []), { name: "1X", value: "1" }]))],
    [
        "env name with dash and dot",
        POD_KINDS,
        onMain((c) => (c.env = [...(c.env ?? []), { name: "my-var.x", value: "1" }])),
    ],
    ["env name empty", POD_KINDS, onMain((c) => (c.env = [...(c.env ?? []), { name: "", value: "1" }]))],
    [
        "env value and valueFrom",
        POD_KINDS,
        onMain(
            (c) =>
                (c.env = [
                    ...(c.env ?? []),
                    { name: "BOTH", value: "1", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                ]),
        ),
    ],
    [
        "env fieldRef not a downward field",
        POD_KINDS,
        onMain(
            (c) =>
                (c.env = [...(c.env ?? []), { name: "F", valueFrom: { fieldRef: { fieldPath: "spec.containers" } } }]),
        ),
    ],
    [
        "env secretKeyRef bad key",
        POD_KINDS,
        onMain(
            (c) => (c.env = [...(c.env ?? []), { name: "S", valueFrom: { secretKeyRef: { name: "s", key: "a/b" } } }]),
        ),
    ],
    [
        "env secretKeyRef bad name",
        POD_KINDS,
        onMain(
            (c) =>
                (c.env = [
                    ...(c.env ?? []),
                    { name: "S", valueFrom: { secretKeyRef: { name: "Bad_Name", key: "k" } } },
                ]),
        ),
    ],
    [
        "envFrom bad prefix",
        POD_KINDS,
        onMain((c) => (c.envFrom = [...(c.envFrom ?? []), { prefix: "A=", secretRef: { name: "s" } }])),
    ],
    [
        "port name too long",
        POD_KINDS,
        onMain((c) => (c.ports = [...(c.ports ?? []), { name: "a-very-long-port-name", containerPort: 7001 }])),
    ],
    [
        "port name only digits",
        POD_KINDS,
        onMain((c) => (c.ports = [...(c.ports ?? []), { name: "8080", containerPort: 7002 }])),
    ],
    ["containerPort 0", POD_KINDS, onMain((c) => (c.ports = [...(c.ports ?? []), { containerPort: 0 }]))],
    [
        "duplicate containerPort",
        POD_KINDS,
        onMain((c) => (c.ports = [...(c.ports ?? []), { containerPort: 7003 }, { containerPort: 7003 }])),
    ],
    [
        "same containerPort, TCP and UDP",
        POD_KINDS,
        onMain(
            (c) => (c.ports = [...(c.ports ?? []), { containerPort: 7004 }, { containerPort: 7004, protocol: "UDP" }]),
        ),
    ],
    [
        "probe with two handlers",
        POD_KINDS,
        onMain((c) => (c.livenessProbe = { exec: { command: ["true"] }, tcpSocket: { port: 80 } })),
    ],
    ["probe without handler", POD_KINDS, onMain((c) => (c.livenessProbe = { periodSeconds: 5 }))],
    [
        "probe named port missing",
        POD_KINDS,
        onMain((c) => (c.livenessProbe = { httpGet: { port: "nosuchport", path: "/" } })),
    ],
    [
        "readinessProbe successThreshold 2",
        POD_KINDS,
        onMain((c) => (c.readinessProbe = { exec: { command: ["true"] }, successThreshold: 2 })),
    ],
    [
        "livenessProbe successThreshold 2",
        POD_KINDS,
        onMain((c) => (c.livenessProbe = { exec: { command: ["true"] }, successThreshold: 2 })),
    ],
    ["lifecycle preStop sleep 0", POD_KINDS, onMain((c) => (c.lifecycle = { preStop: { sleep: { seconds: 0 } } }))],
    ["terminationMessagePolicy bogus", POD_KINDS, onMain((c) => (c.terminationMessagePolicy = "Never"))],
    ["workingDir relative", POD_KINDS, onMain((c) => (c.workingDir = "relative"))],
    // Pod spec
    ["restartPolicy Never", POD_KINDS, onPod((s) => (s.restartPolicy = "Never"))],
    ["restartPolicy Always", POD_KINDS, onPod((s) => (s.restartPolicy = "Always"))],
    ["dnsPolicy None without dnsConfig", POD_KINDS, onPod((s) => (s.dnsPolicy = "None"))],
    ["terminationGracePeriodSeconds -1", POD_KINDS, onPod((s) => (s.terminationGracePeriodSeconds = -1))],
    ["activeDeadlineSeconds 0", POD_KINDS, onPod((s) => (s.activeDeadlineSeconds = 0))],
    ["nodeSelector bad key", POD_KINDS, onPod((s) => (s.nodeSelector = { ...s.nodeSelector, "a b": "x" }))],
    [
        "nodeSelector value too long",
        POD_KINDS,
        onPod((s) => (s.nodeSelector = { ...s.nodeSelector, pool: "x".repeat(64) })),
    ],
    ["nodeSelector empty value", POD_KINDS, onPod((s) => (s.nodeSelector = { ...s.nodeSelector, pool: "" }))],
    [
        "affinity empty nodeSelectorTerms",
        POD_KINDS,
        onPod(
            (s) =>
                (s.affinity = {
                    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
                }),
        ),
    ],
    [
        "affinity In without values",
        POD_KINDS,
        onPod(
            (s) =>
                (s.affinity = {
                    nodeAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: {
                            nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: [] }] }],
                        },
                    },
                }),
        ),
    ],
    [
        "affinity weight 0",
        POD_KINDS,
        onPod(
            (s) =>
                (s.affinity = {
                    nodeAffinity: {
                        preferredDuringSchedulingIgnoredDuringExecution: [
                            { weight: 0, preference: { matchExpressions: [{ key: "z", operator: "Exists" }] } },
                        ],
                    },
                }),
        ),
    ],
    [
        "topologySpread maxSkew 0",
        POD_KINDS,
        onPod(
            (s) =>
                (s.topologySpreadConstraints = [
                    { maxSkew: 0, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" },
                ]),
        ),
    ],
    [
        "topologySpread duplicate",
        POD_KINDS,
        onPod(
            (s) =>
                (s.topologySpreadConstraints = [1, 2].map(() => ({
                    maxSkew: 1,
                    topologyKey: "zone",
                    whenUnsatisfiable: "DoNotSchedule",
                }))),
        ),
    ],
    ["priorityClassName bad", POD_KINDS, onPod((s) => (s.priorityClassName = "Bad_Name"))],
    ["serviceAccountName bad", POD_KINDS, onPod((s) => (s.serviceAccountName = "Bad_Name"))],
    ["runtimeClassName bad", POD_KINDS, onPod((s) => (s.runtimeClassName = "Bad_Name"))],
    ["hostname bad", POD_KINDS, onPod((s) => (s.hostname = "Bad_Name"))],
    ["imagePullSecrets [{}]", POD_KINDS, onPod((s) => (s.imagePullSecrets = [{}]))],
    ["imagePullSecrets bad name", POD_KINDS, onPod((s) => (s.imagePullSecrets = [{ name: "Bad_Name" }]))],
    ["schedulingGates empty name", POD_KINDS, onPod((s) => (s.schedulingGates = [{ name: "" }]))],
    [
        "hostPID + shareProcessNamespace",
        POD_KINDS,
        onPod((s) => Object.assign(s, { hostPID: true, shareProcessNamespace: true })),
    ],
    ["hostNetwork", POD_KINDS, onPod((s) => (s.hostNetwork = true))],
    [
        "sidecar initContainer",
        POD_KINDS,
        onPod((s) => (s.initContainers = [{ name: "sidecar", image: "busybox", restartPolicy: "Always" }])),
    ],
    [
        "initContainer restartPolicy Never",
        POD_KINDS,
        onPod((s) => (s.initContainers = [{ name: "init", image: "busybox", restartPolicy: "Never" }])),
    ],
    [
        "pod template label value too long",
        ["Deployment", "Job"],
        (o) =>
            (o.spec.template.metadata = {
                ...o.spec.template.metadata,
                labels: { ...o.spec.template.metadata?.labels, extra: "x".repeat(64) },
            }),
    ],
    [
        "pod template annotation bad key",
        ["Deployment", "Job"],
        (o) => (o.spec.template.metadata = { ...o.spec.template.metadata, annotations: { "a b": "x" } }),
    ],
    // Deployment
    [
        "replicas -1",
        ["Deployment", "JobSet"],
        (o) => (o.kind === "JobSet" ? (o.spec.replicatedJobs[0].replicas = -1) : (o.spec.replicas = -1)),
    ],
    ["selector does not match template", ["Deployment"], (o) => (o.spec.selector = { matchLabels: { other: "x" } })],
    [
        "Recreate with rollingUpdate",
        ["Deployment"],
        (o) => (o.spec.strategy = { type: "Recreate", rollingUpdate: { maxSurge: 1 } }),
    ],
    [
        "maxSurge and maxUnavailable 0",
        ["Deployment"],
        (o) => (o.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }),
    ],
    [
        "progressDeadlineSeconds below minReadySeconds",
        ["Deployment"],
        (o) => Object.assign(o.spec, { minReadySeconds: 30, progressDeadlineSeconds: 10 }),
    ],
    ["revisionHistoryLimit -1", ["Deployment"], (o) => (o.spec.revisionHistoryLimit = -1)],
    // Job
    ["completions -1", ["Job"], (o) => (o.spec.completions = -1)],
    ["backoffLimit -1", ["Job"], (o) => (o.spec.backoffLimit = -1)],
    ["completionMode bogus", ["Job"], (o) => (o.spec.completionMode = "Sometimes")],
    ["ttlSecondsAfterFinished -1", ["Job"], (o) => (o.spec.ttlSecondsAfterFinished = -1)],
    ["parallelism above completions", ["Job"], (o) => Object.assign(o.spec, { parallelism: 5, completions: 2 })],
    ["Job selector set", ["Job"], (o) => (o.spec.selector = { matchLabels: { a: "b" } })],
    // JobSet
    [
        "duplicate replicatedJob name",
        ["JobSet"],
        (o) => o.spec.replicatedJobs.push(JSON.parse(JSON.stringify(o.spec.replicatedJobs[0]))),
    ],
    ["replicatedJob name with dot", ["JobSet"], (o) => (o.spec.replicatedJobs[0].name = "a.b")],
    ["replicatedJob name 60 chars", ["JobSet"], (o) => (o.spec.replicatedJobs[0].name = "r".repeat(60))],
    [
        "successPolicy unknown job",
        ["JobSet"],
        (o) => (o.spec.successPolicy = { operator: "All", targetReplicatedJobs: ["nosuchjob"] }),
    ],
    ["failurePolicy maxRestarts -1", ["JobSet"], (o) => (o.spec.failurePolicy = { maxRestarts: -1 })],
    [
        "JobSet network subdomain bad",
        ["JobSet"],
        (o) => (o.spec.network = { ...o.spec.network, subdomain: "Bad_Name" }),
    ],
    // TrainJob
    ["trainer numNodes 0", ["TrainJob"], (o) => (o.spec.trainer = { ...o.spec.trainer, numNodes: 0 })],
    [
        "trainer env PET_NNODES",
        ["TrainJob"],
        (o) =>
            (o.spec.trainer = {
                ...o.spec.trainer,
                env: [...(o.spec.trainer?.env ?? []), { name: "PET_NNODES", value: "3" }],
            }),
    ],
    [
        "trainer env MASTER_ADDR",
        ["TrainJob"],
        (o) =>
            (o.spec.trainer = {
                ...o.spec.trainer,
                env: [...(o.spec.trainer?.env ?? []), { name: "MASTER_ADDR", value: "x" }],
            }),
    ],
    [
        "trainer duplicate env",
        ["TrainJob"],
        (o) =>
            (o.spec.trainer = {
                ...o.spec.trainer,
                env: [...(o.spec.trainer?.env ?? []), { name: "DUP", value: "1" }, { name: "DUP", value: "2" }],
            }),
    ],
    [
        "trainer memory 512m",
        ["TrainJob"],
        (o) => (o.spec.trainer = { ...o.spec.trainer, resourcesPerNode: { requests: { memory: "512m" } } }),
    ],
    ["trainer numProcPerNode 0", ["TrainJob"], (o) => (o.spec.trainer = { ...o.spec.trainer, numProcPerNode: 0 })],
    // (Not "runtimeRef to a runtime that does not exist": that is the cluster's state, not the object's validity.)
    [
        "runtimePatches manager without domain",
        ["TrainJob"],
        (o) => (o.spec.runtimePatches = [{ ...(o.spec.runtimePatches?.[0] ?? {}), manager: "team" }]),
    ],
    [
        "runtimePatch tolerations [{}]",
        ["TrainJob"],
        (o) =>
            (o.spec.runtimePatches = [...(o.spec.runtimePatches ?? []), rp("example.com/t1", { tolerations: [{}] })]),
    ],
    [
        "runtimePatch privileged + allowPrivilegeEscalation false",
        ["TrainJob"],
        (o) =>
            (o.spec.runtimePatches = [
                ...(o.spec.runtimePatches ?? []),
                rp("example.com/t2", {
                    containers: [
                        { name: "node", securityContext: { privileged: true, allowPrivilegeEscalation: false } },
                    ],
                }),
            ]),
    ],
    [
        "runtimePatch volume name traversal",
        ["TrainJob"],
        (o) =>
            (o.spec.runtimePatches = [
                ...(o.spec.runtimePatches ?? []),
                rp("example.com/t3", { volumes: [{ name: "extra/../..", emptyDir: {} }] }),
            ]),
    ],
    [
        "runtimePatch unknown container",
        ["TrainJob"],
        (o) =>
            (o.spec.runtimePatches = [
                ...(o.spec.runtimePatches ?? []),
                rp("example.com/t4", { containers: [{ name: "nosuch", securityContext: { runAsUser: 1000 } }] }),
            ]),
    ],
    ["managedBy bogus", ["TrainJob"], (o) => (o.spec.managedBy = "example.com/other")],
    // Service
    [
        "Service duplicate port name",
        ["Service"],
        (o) => (o.spec.ports = [...(o.spec.ports ?? []), { name: "dup", port: 9001 }, { name: "dup", port: 9002 }]),
    ],
    ["Service port 0", ["Service"], (o) => (o.spec.ports = [{ ...(o.spec.ports?.[0] ?? {}), port: 0 }])],
    ["Service unnamed ports", ["Service"], (o) => (o.spec.ports = [{ port: 9001 }, { port: 9002 }])],
    [
        "Service targetPort bad name",
        ["Service"],
        (o) => (o.spec.ports = [{ name: "p", port: 9001, targetPort: "Bad_Name" }]),
    ],
    [
        "Service nodePort out of range",
        ["Service"],
        (o) =>
            Object.assign(o.spec, {
                type: "NodePort",
                clusterIP: undefined,
                ports: [{ name: "p", port: 9001, nodePort: 80 }],
            }),
    ],
    [
        "Service clusterIP None with NodePort",
        ["Service"],
        (o) => Object.assign(o.spec, { type: "NodePort", clusterIP: "None", ports: [{ name: "p", port: 9001 }] }),
    ],
    [
        "Service externalTrafficPolicy on ClusterIP",
        ["Service"],
        (o) => Object.assign(o.spec, { type: "ClusterIP", externalTrafficPolicy: "Local" }),
    ],
    ["Service selector bad value", ["Service"], (o) => (o.spec.selector = { ...o.spec.selector, app: "not a value" })],
    ["Service protocol bogus", ["Service"], (o) => (o.spec.ports = [{ name: "p", port: 9001, protocol: "HTTP" }])],
    ["Service no ports", ["Service"], (o) => (o.spec.ports = [])],
    // HPA
    ["HPA minReplicas 0", ["HorizontalPodAutoscaler"], (o) => (o.spec.minReplicas = 0)],
    [
        "HPA maxReplicas below minReplicas",
        ["HorizontalPodAutoscaler"],
        (o) => Object.assign(o.spec, { minReplicas: 5, maxReplicas: 2 }),
    ],
    [
        "HPA utilization 0",
        ["HorizontalPodAutoscaler"],
        (o) =>
            (o.spec.metrics = [
                { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 0 } } },
            ]),
    ],
    [
        "HPA scaleTargetRef without kind",
        ["HorizontalPodAutoscaler"],
        (o) => (o.spec.scaleTargetRef = { ...o.spec.scaleTargetRef, kind: "" }),
    ],
    ["HPA metrics []", ["HorizontalPodAutoscaler"], (o) => (o.spec.metrics = [])],
    // PDB
    [
        "PDB minAvailable and maxUnavailable",
        ["PodDisruptionBudget"],
        (o) => Object.assign(o.spec, { minAvailable: 1, maxUnavailable: 1 }),
    ],
    [
        "PDB minAvailable 150%",
        ["PodDisruptionBudget"],
        (o) => Object.assign(o.spec, { maxUnavailable: undefined, minAvailable: "150%" }),
    ],
    [
        "PDB maxUnavailable -1",
        ["PodDisruptionBudget"],
        (o) => Object.assign(o.spec, { minAvailable: undefined, maxUnavailable: -1 }),
    ],
    [
        "PDB neither",
        ["PodDisruptionBudget"],
        (o) => Object.assign(o.spec, { minAvailable: undefined, maxUnavailable: undefined }),
    ],
    ["PDB selector bad", ["PodDisruptionBudget"], (o) => (o.spec.selector = { matchLabels: { "a b": "x" } })],
    // PVC
    ["PVC storage 0", ["PersistentVolumeClaim"], (o) => (o.spec.resources = { requests: { storage: "0" } })],
    ["PVC storage 512m", ["PersistentVolumeClaim"], (o) => (o.spec.resources = { requests: { storage: "512m" } })],
    ["PVC no storage request", ["PersistentVolumeClaim"], (o) => (o.spec.resources = {})],
    ["PVC accessModes []", ["PersistentVolumeClaim"], (o) => (o.spec.accessModes = [])],
    ["PVC accessModes bogus", ["PersistentVolumeClaim"], (o) => (o.spec.accessModes = ["ReadWriteSometimes"])],
    [
        "PVC ReadWriteOncePod with another mode",
        ["PersistentVolumeClaim"],
        (o) => (o.spec.accessModes = ["ReadWriteOncePod", "ReadWriteOnce"]),
    ],
    ["PVC volumeMode bogus", ["PersistentVolumeClaim"], (o) => (o.spec.volumeMode = "Disk")],
    ["PVC storageClassName bad", ["PersistentVolumeClaim"], (o) => (o.spec.storageClassName = "Bad_Name")],
    ["PVC storageClassName empty", ["PersistentVolumeClaim"], (o) => (o.spec.storageClassName = "")],
    // Secret
    ["Secret key with slash", ["Secret"], (o) => (o.data = { ...o.data, "a/b": "eA==" })],
    ["Secret key ..x", ["Secret"], (o) => (o.data = { ...o.data, "..x": "eA==" })],
    ["Secret key .x", ["Secret"], (o) => (o.data = { ...o.data, ".x": "eA==" })],
    ["Secret data not base64", ["Secret"], (o) => (o.data = { ...o.data, k: "not base64!" })],
    [
        "Secret ssh-auth without key",
        ["Secret"],
        (o) => Object.assign(o, { type: "kubernetes.io/ssh-auth", data: { other: "eA==" } }),
    ],
    [
        "Secret dockerconfigjson invalid",
        ["Secret"],
        (o) => Object.assign(o, { type: "kubernetes.io/dockerconfigjson", data: { ".dockerconfigjson": "eA==" } }),
    ],
    [
        "Secret over 1 MiB",
        ["Secret"],
        (o) => (o.data = { ...o.data, big: Buffer.alloc(1024 * 1024 + 1, 120).toString("base64") }),
    ],
    ["Secret type bogus", ["Secret"], (o) => (o.type = "example.com/custom")],
    ["Secret type empty", ["Secret"], (o) => (o.type = "")],
    // Metadata (every kind)
    ["name with dot", [], (o, n) => (o.metadata.name = `a.m${n}`)],
    ["name uppercase", [], (o, n) => (o.metadata.name = `Upper-m${n}`)],
    ["name 63 chars", [], (o, n) => (o.metadata.name = `m${n}-`.padEnd(63, "x"))],
    ["name 64 chars", [], (o, n) => (o.metadata.name = `m${n}-`.padEnd(64, "x"))],
    ["name starting with a digit", [], (o, n) => (o.metadata.name = `${n}-digit`)],
    ["label key bad", [], (o) => (o.metadata.labels = { ...o.metadata.labels, "a b": "x" })],
    ["label value too long", [], (o) => (o.metadata.labels = { ...o.metadata.labels, extra: "x".repeat(64) })],
    ["label key prefix uppercase", [], (o) => (o.metadata.labels = { ...o.metadata.labels, "Example.com/x": "y" })],
    ["annotation key bad", [], (o) => (o.metadata.annotations = { ...o.metadata.annotations, "a b": "x" })],
    [
        "annotations over 256 KiB",
        [],
        (o) => (o.metadata.annotations = { ...o.metadata.annotations, big: "x".repeat(256 * 1024) }),
    ],
];

/** A runtime patch of the `node` pod spec (TrainJob). */
function rp(manager: string, spec: Any): Any {
    return {
        manager,
        trainingRuntimeSpec: {
            template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec } } } }] } },
        },
    };
}

/** Mutants of each mutation applied to up to `per` objects of each applicable kind (spread over the run). */
export function mutants(accepted: Sample[], per = 3): Sample[] {
    const out: Sample[] = [];
    let n = 0;
    const byKind = new Map<string, Sample[]>();
    for (const s of accepted) byKind.set(s.object.kind, [...(byKind.get(s.object.kind) ?? []), s]);
    for (const [label, kinds, mutate] of MUTATIONS) {
        for (const [kind, samples] of byKind) {
            if (kinds.length && !kinds.includes(kind)) continue;
            const take = Math.min(per, samples.length);
            for (let k = 0; k < take; k++) {
                const s = samples[Math.floor(((k + 0.5) * samples.length) / take)];
                const object = JSON.parse(JSON.stringify(s.object));
                object.metadata.name = `${object.metadata.name}-m${++n}`;
                mutate(object, n);
                out.push({ ...s, mutation: label, object: JSON.parse(JSON.stringify(object)) });
            }
        }
    }
    return out;
}
