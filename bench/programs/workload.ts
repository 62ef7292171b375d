/**
 * The benchmark workload, shared by the three programs so they describe the same thing: workload `i`
 * is a Volume, a Secret and a Compute (PVC + Secret + ownership guard ConfigMap + Deployment + Service +
 * PodDisruptionBudget), and every tenth workload also has a TrainJob (JobSet backend) that mounts the
 * workload's Volume.
 */
import * as pulumi from "@pulumi/pulumi";
export const IMAGE = "ghcr.io/acme/api:1.0";
export const TRAIN_IMAGE = "ghcr.io/acme/train:1.0";
export const PORT = 8080;
export const NUM_NODES = 2;
/**
 * Volumes are ReadWriteMany (2 replicas and 2-node TrainJobs mount them) from an RWX-capable class: the
 * local cluster's default class (KWOK's volume provisioner binds them), so `npm run bench -- --up` runs.
 */
export const STORAGE_CLASS = "standard";

export const volumeName = (i: number) => `data-${i}`;
export const secretName = (i: number) => `creds-${i}`;
export const computeName = (i: number) => `svc-${i}`;
export const trainJobName = (j: number) => `train-${j}`;
export const apiKey = (i: number) => `key-${i}-0123456789abcdef`;
/** Where Compute mounts its Volume in the `basic` and `rich` workloads (`{ volume, mountPath }`). */
export const MOUNT_PATH = "/data";

/** Workloads that get a TrainJob: 0, 10, 20, … (N/10 of them). */
export const hasTrainJob = (i: number) => i % 10 === 0;

/**
 * `basic` (the default, issue 27): what users write — the Secret's value is a secret Output (what
 * `config.requireSecret` gives) and Compute mounts its Volume by path (`{ volume, mountPath }`).
 * `plain` (`--workload plain`; the `basic` workload of issues 8–15): the Secret's value is a plain string
 * and the Volume is mounted at its default path (`volumes: [volume]`).
 * `rich` (`--workload rich`): `basic`, and every Compute also has the embedded Kubernetes objects mlkube
 * validates against the OpenAPI schema (tolerations, affinity, topologySpreadConstraints, both security
 * contexts, a podPatch) plus pod annotations, so the bench measures what that validation costs per
 * object when users supply them.
 */
export type Workload = "basic" | "plain" | "rich";
export const WORKLOADS: readonly Workload[] = ["basic", "plain", "rich"];

/** The Secret's value of workload `i`: a secret Output (as `config.requireSecret` gives) unless `plain`. */
export const apiKeyInput = (i: number, workload: Workload | undefined): pulumi.Input<string> =>
    workload === "plain" ? apiKey(i) : pulumi.secret(apiKey(i));
/** Where Compute `i` mounts its Volume: MOUNT_PATH, or the default `/mnt/<claim>` for `plain`. */
export const computeMountPath = (i: number, workload: Workload | undefined): string =>
    workload === "plain" ? `/mnt/${volumeName(i)}` : MOUNT_PATH;

export interface BuildOptions {
    /** Create the N/10 TrainJobs (off while the checked-out mlkube does not export TrainJob). */
    trainJobs: boolean;
    /** Default `basic`. */
    workload?: Workload;
}

/** What the `rich` workload adds to Compute `i`, as mlkube args (the raw program writes the merged result). */
export const rich = {
    selector: (i: number) => ({ "mlkube.dev/compute": computeName(i) }),
    podAnnotations: { "prometheus.io/scrape": "true", "prometheus.io/port": String(PORT) },
    nodeSelector: { "node.kubernetes.io/instance-type": "m6i.large" },
    tolerations: [{ key: "dedicated", operator: "Equal", value: "ml", effect: "NoSchedule" }],
    affinity: (i: number) => ({
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                {
                    weight: 100,
                    podAffinityTerm: {
                        topologyKey: "kubernetes.io/hostname",
                        labelSelector: { matchLabels: rich.selector(i) },
                    },
                },
            ],
        },
    }),
    topologySpreadConstraints: (i: number) => [
        {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: rich.selector(i) },
        },
    ],
    securityContext: { runAsUser: 1000, runAsGroup: 1000 },
    containerSecurityContext: { readOnlyRootFilesystem: true },
    podPatch: { enableServiceLinks: false, dnsConfig: { options: [{ name: "ndots", value: "2" }] } },
};
