/**
 * The same workload written by hand against @pulumi/kubernetes: the objects mlkube emits, field for
 * field, with the same resource options. `parents` (used by the floor program) puts each object
 * under a component the caller supplies.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import {
    apiKey,
    computeMountPath,
    rich,
    BuildOptions,
    computeName,
    hasTrainJob,
    IMAGE,
    NUM_NODES,
    PORT,
    secretName,
    STORAGE_CLASS,
    TRAIN_IMAGE,
    trainJobName,
    volumeName,
} from "./workload";

export interface Parents {
    volume(name: string): pulumi.Resource;
    secret(name: string): pulumi.Resource;
    compute(name: string): pulumi.Resource;
    trainJob(name: string): pulumi.Resource;
}

const labels = (component: string, name: string) => ({
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "mlkube",
});

/** Non-root pods that mount a claim get fsGroup 1000 (issue 11). */
const SECURE_POD = {
    runAsNonRoot: true,
    seccompProfile: { type: "RuntimeDefault" },
    fsGroup: 1000,
    fsGroupChangePolicy: "OnRootMismatch",
};
const SECURE_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/**
 * The pod-template annotation value that rolls pods when the Secret's content changes (the one helper the
 * bench changes when mlkube's checksum does): an HMAC-SHA256 under
 * the stack's key — without mlkube:checksumKey, 32 random bytes kept in the state by one Stash per stack
 * (src/secret/checksum.ts), registered here once per program run (per mock monitor).
 */
let stackKey: { monitor: unknown; key: pulumi.Output<string> } | undefined;
function checksum(data: Record<string, string>): pulumi.Output<string> {
    const monitor = pulumi.runtime.getMonitor();
    if (stackKey?.monitor !== monitor) {
        const stash = new pulumi.Stash(
            "mlkube-checksum-key",
            { input: pulumi.secret(crypto.randomBytes(32).toString("hex")) },
            { ignoreChanges: ["input"], additionalSecretOutputs: ["input", "output"] },
        );
        const key = pulumi.all([stash.output, stash.input]).apply(([kept, candidate]) =>
            crypto
                .createHmac("sha256", String(kept ?? candidate))
                .update("mlkube.dev/secret-checksum/v2")
                .digest("hex"),
        );
        stackKey = { monitor, key };
    }
    return pulumi.unsecret(
        stackKey!.key.apply((k) => {
            const h = crypto.createHmac("sha256", Buffer.from(k, "hex"));
            for (const name of Object.keys(data).sort()) h.update(name).update("\0").update(data[name]).update("\0");
            return h.digest("hex").slice(0, 16);
        }),
    );
}
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The ownership marker on every object (src/metadata.ts): the stack's name, applied with the stack's own field manager. */
const owner = () => ({
    "mlkube.dev/stack": `${pulumi.getProject()}/${pulumi.getStack()}`,
    "pulumi.com/patchFieldManager": `mlkube/${pulumi.getProject()}/${pulumi.getStack()}`,
});
/** Objects created with another manager keep it (src/metadata.ts keepFieldManager). */
const KEEP_MANAGER = 'metadata.annotations["pulumi.com/patchFieldManager"]';

const JOBSET_IMMUTABLE = [
    "spec.replicatedJobs",
    "spec.network",
    "spec.successPolicy",
    "spec.failurePolicy",
    "spec.startupPolicy",
    "spec.managedBy",
    "spec.volumeClaimPolicies",
];

export function build(n: number, opts: BuildOptions, parents?: Parents): void {
    for (let i = 0; i < n; i++) {
        const vName = volumeName(i);
        const pvc = new k8s.core.v1.PersistentVolumeClaim(
            vName,
            {
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: vName, labels: labels("volume", vName), annotations: owner() },
                spec: {
                    accessModes: ["ReadWriteMany"],
                    storageClassName: STORAGE_CLASS,
                    resources: { requests: { storage: "10Gi" } },
                },
            },
            {
                parent: parents?.volume(vName),
                retainOnDelete: true,
                ignoreChanges: ["spec.storageClassName", "spec.accessModes", "spec.volumeMode", KEEP_MANAGER],
            },
        );

        const sName = secretName(i);
        // Plain: the data is plain. Otherwise the value is a secret Output (what config.requireSecret
        // gives): the data follows it, and the checksum is its unsecret digest.
        let data: pulumi.Output<Record<string, string>>;
        let sum: pulumi.Input<string>;
        if (opts.workload === "plain") {
            const plain: Record<string, string> = { API_KEY: b64(apiKey(i)) };
            data = pulumi.secret(plain);
            sum = checksum(plain);
        } else {
            data = pulumi.secret(apiKey(i)).apply((v): Record<string, string> => ({ API_KEY: b64(v) }));
            sum = pulumi.unsecret(data.apply(checksum));
        }
        const secret = new k8s.core.v1.Secret(
            sName,
            {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: sName, labels: labels("secret", sName), annotations: owner() },
                type: "Opaque",
                data,
            },
            { parent: parents?.secret(sName), additionalSecretOutputs: ["data", "stringData"] },
        );

        const cName = computeName(i);
        const selector = { "mlkube.dev/compute": cName };
        const isRich = opts.workload === "rich";
        const computeParent = parents?.compute(cName);
        // The ownership guard every Compute has, created before its other objects, which depend on it
        // (src/compute.ts: its unforced apply's conflict stops another stack's forced Deployment takeover).
        const guard = new k8s.core.v1.ConfigMap(
            cName,
            {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: `${cName}.mlkube-owner`, labels: labels("compute", cName), annotations: owner() },
            },
            { parent: computeParent },
        );
        // What Compute creates by default for 2+ replicas (issue 14 part B): users get it, so it is measured.
        new k8s.policy.v1.PodDisruptionBudget(
            cName,
            {
                apiVersion: "policy/v1",
                kind: "PodDisruptionBudget",
                metadata: { name: cName, labels: labels("compute", cName), annotations: owner() },
                spec: {
                    maxUnavailable: 1,
                    selector: { matchLabels: selector },
                    unhealthyPodEvictionPolicy: "AlwaysAllow",
                },
            },
            { parent: computeParent, dependsOn: [guard] },
        );

        new k8s.apps.v1.Deployment(
            cName,
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                // Applied with force: the declared replica count wins over a manual scale (docs/operations.md).
                metadata: {
                    name: cName,
                    labels: labels("compute", cName),
                    annotations: { "pulumi.com/patchForce": "true", ...owner() },
                },
                spec: {
                    replicas: 2,
                    selector: { matchLabels: selector },
                    template: {
                        metadata: {
                            labels: { ...labels("compute", cName), ...selector },
                            annotations: {
                                ...(isRich ? rich.podAnnotations : {}),
                                [`checksum.mlkube.dev/${sName}`]: sum,
                            },
                        },
                        spec: {
                            ...(isRich
                                ? {
                                      nodeSelector: rich.nodeSelector,
                                      tolerations: rich.tolerations,
                                      affinity: rich.affinity(i),
                                      topologySpreadConstraints: rich.topologySpreadConstraints(i),
                                      ...rich.podPatch,
                                  }
                                : {}),
                            securityContext: isRich ? { ...SECURE_POD, ...rich.securityContext } : SECURE_POD,
                            containers: [
                                {
                                    name: "main",
                                    image: IMAGE,
                                    ports: [{ containerPort: PORT }],
                                    env: [{ name: "LOG_LEVEL", value: "info" }],
                                    envFrom: [{ secretRef: { name: sName } }],
                                    resources: { requests: { cpu: "500m", memory: "1Gi" } },
                                    volumeMounts: [
                                        { name: `pvc-${vName}`, mountPath: computeMountPath(i, opts.workload) },
                                    ],
                                    readinessProbe: { httpGet: { path: "/healthz", port: PORT } },
                                    securityContext: isRich
                                        ? { ...SECURE_CONTAINER, ...rich.containerSecurityContext }
                                        : SECURE_CONTAINER,
                                    terminationMessagePolicy: "FallbackToLogsOnError",
                                },
                            ],
                            volumes: [{ name: `pvc-${vName}`, persistentVolumeClaim: { claimName: vName } }],
                        },
                    },
                },
            },
            { parent: computeParent, dependsOn: [pvc, secret, guard], ignoreChanges: [KEEP_MANAGER] },
        );
        new k8s.core.v1.Service(
            cName,
            {
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: cName, labels: labels("compute", cName), annotations: owner() },
                spec: { type: "ClusterIP", selector, ports: [{ port: PORT, targetPort: PORT, protocol: "TCP" }] },
            },
            { parent: computeParent, dependsOn: [pvc, secret, guard] },
        );
        if (opts.trainJobs && hasTrainJob(i)) {
            const tName = trainJobName(i / 10);
            const master = `${tName}-node-0-0.${tName}`;
            const rank = {
                fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
            };
            new k8s.apiextensions.CustomResource(
                tName,
                {
                    apiVersion: "jobset.x-k8s.io/v1alpha2",
                    kind: "JobSet",
                    metadata: {
                        name: tName,
                        labels: labels("trainjob", tName),
                        annotations: { "pulumi.com/skipAwait": "true", ...owner() },
                    },
                    spec: {
                        replicatedJobs: [
                            {
                                name: "node",
                                replicas: 1,
                                template: {
                                    spec: {
                                        parallelism: NUM_NODES,
                                        completions: NUM_NODES,
                                        completionMode: "Indexed",
                                        backoffLimit: 0,
                                        template: {
                                            metadata: { labels: labels("trainjob", tName) },
                                            spec: {
                                                restartPolicy: "Never",
                                                securityContext: SECURE_POD,
                                                containers: [
                                                    {
                                                        name: "node",
                                                        image: TRAIN_IMAGE,
                                                        command: ["torchrun", "train.py"],
                                                        ports: [{ containerPort: 29500 }],
                                                        env: [
                                                            { name: "PET_NNODES", value: String(NUM_NODES) },
                                                            { name: "PET_NPROC_PER_NODE", value: "4" },
                                                            { name: "PET_NODE_RANK", valueFrom: rank },
                                                            { name: "PET_MASTER_ADDR", value: master },
                                                            { name: "PET_MASTER_PORT", value: "29500" },
                                                            { name: "MASTER_ADDR", value: master },
                                                            { name: "MASTER_PORT", value: "29500" },
                                                            { name: "NODE_RANK", valueFrom: rank },
                                                        ],
                                                        resources: { requests: { cpu: "4", memory: "16Gi" } },
                                                        volumeMounts: [
                                                            { name: `pvc-${vName}`, mountPath: `/mnt/${vName}` },
                                                        ],
                                                        securityContext: SECURE_CONTAINER,
                                                        terminationMessagePolicy: "FallbackToLogsOnError",
                                                    },
                                                ],
                                                volumes: [
                                                    {
                                                        name: `pvc-${vName}`,
                                                        persistentVolumeClaim: { claimName: vName },
                                                    },
                                                ],
                                            },
                                        },
                                    },
                                },
                            },
                        ],
                        network: { enableDNSHostnames: true, publishNotReadyAddresses: true, subdomain: tName },
                        successPolicy: { operator: "All" },
                        startupPolicy: { startupPolicyOrder: "AnyOrder" },
                        failurePolicy: { maxRestarts: 0, restartStrategy: "Recreate" },
                    },
                    status: undefined,
                },
                {
                    parent: parents?.trainJob(tName),
                    dependsOn: [pvc],
                    replaceOnChanges: JOBSET_IMMUTABLE,
                    deleteBeforeReplace: true,
                    ignoreChanges: [KEEP_MANAGER],
                },
            );
        }
    }
}
