/** The workload written with mlkube components. */
import * as mlkube from "../../src/index";
import {
    apiKeyInput,
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
    MOUNT_PATH,
} from "./workload";

type TrainJobCtor = new (name: string, args: Record<string, unknown>, opts?: unknown) => unknown;

/** mlkube's TrainJob, once src/index.ts exports it. */
export const TrainJob = (mlkube as unknown as { TrainJob?: TrainJobCtor }).TrainJob;

export function build(n: number, opts: BuildOptions): void {
    if (opts.trainJobs && !TrainJob) throw new Error("this mlkube does not export TrainJob");
    for (let i = 0; i < n; i++) {
        const data = new mlkube.Volume(volumeName(i), {
            size: "10Gi",
            accessMode: "ReadWriteMany",
            storageClass: STORAGE_CLASS,
        });
        const creds = new mlkube.Secret(secretName(i), { env: { API_KEY: apiKeyInput(i, opts.workload) } });
        new mlkube.Compute(computeName(i), {
            image: IMAGE,
            replicas: 2,
            resources: { cpu: "500m", memory: "1Gi" },
            env: { LOG_LEVEL: "info" },
            ports: [{ port: PORT }],
            readinessProbe: { path: "/healthz" },
            volumes: [opts.workload === "plain" ? data : { volume: data, mountPath: MOUNT_PATH }],
            secrets: [creds],
            ...(opts.workload === "rich"
                ? {
                      podAnnotations: rich.podAnnotations,
                      nodeSelector: rich.nodeSelector,
                      tolerations: rich.tolerations,
                      affinity: rich.affinity(i),
                      topologySpreadConstraints: rich.topologySpreadConstraints(i),
                      securityContext: rich.securityContext,
                      containerSecurityContext: rich.containerSecurityContext,
                      podPatch: rich.podPatch,
                  }
                : {}),
        });
        if (opts.trainJobs && hasTrainJob(i)) {
            new TrainJob!(trainJobName(i / 10), {
                image: TRAIN_IMAGE,
                command: ["torchrun", "train.py"],
                numNodes: NUM_NODES,
                resourcesPerNode: { cpu: "4", memory: "16Gi" },
                volumes: [data],
            });
        }
    }
}
