/**
 * The `node` pod of the backends that build their own pods (jobset, job): the pod options, the
 * initializer mounts, the rendezvous env and ports, from the one pod builder, with problems returned in
 * TrainJob's vocabulary (resourcesPerNode, numNodes) for the renderer to report with its own.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { BuiltPod } from "../pod/builder";
import { resourcesOf } from "../pod/resources";
import { tryBuildPod } from "../workload/resolve";
import { bindingOf, SecretLike } from "../secret/secret";
import { ValidationIssue } from "../errors";
import { containerPorts, NODE, petEnv, procPerNode, Rendezvous, torchEnv, TRAINJOB_COMPONENT } from "./common";
import type { ValidatedTrainJobArgs } from "./spec";
import { withInitializerMounts } from "./initializer";
import { checkedEnvSecretKeys } from "./reserved-env";

/**
 * Builds the pod of every node. `exposeRendezvous`: declare the rendezvous port on the container (other
 * pods connect to it); a lone pod without a Service meets itself.
 * @internal
 */
export function buildNodePod(
    name: string,
    objectName: string,
    a: ValidatedTrainJobArgs,
    ctx: { namespace: unknown; numNodes: number; rdzv: Rendezvous; exposeRendezvous: boolean; patchedLater?: boolean },
): { pod: BuiltPod; issues: ValidationIssue[] } {
    const podOptions = { ...withInitializerMounts(a), resources: a.resourcesPerNode };
    // PET_NPROC_PER_NODE from the container's resources, by the Trainer's rule (resource names, CPU count).
    const nproc = procPerNode(a.numProcPerNode, resourcesOf(podOptions));
    const built = tryBuildPod(podOptions, {
        component: TRAINJOB_COMPONENT,
        name,
        objectName,
        containerName: NODE,
        resourcesField: "resourcesPerNode",
        podCount: { count: ctx.numNodes, field: "numNodes", unit: "node" },
        restartPolicy: "Never",
        // A rotated token must not restart a training run.
        rollOnSecretChange: false,
        namespace: ctx.namespace as never,
        ports: containerPorts(ctx.exposeRendezvous ? ctx.rdzv.port : undefined, a.ports),
        extraEnv: [...petEnv(objectName, ctx.numNodes, nproc, ctx.rdzv), ...torchEnv(objectName, ctx.rdzv)],
        patchedLater: ctx.patchedLater,
    });
    // Env-mounted Secrets must not hold the reserved names (the container's own env would shadow them).
    const keys = checkedEnvSecretKeys(name, a.secrets, false, built.issues);
    withKeyChecks(built.pod, a.secrets, keys);
    return built;
}

/**
 * Keys that are known only when an Output resolves are checked then: the `envFrom` entry of that Secret
 * takes its name from the checked keys, so a reserved key fails the update (same message) and the
 * object is unchanged otherwise. Plain keys were checked already and leave the pod as it is.
 */
function withKeyChecks(
    pod: BuiltPod,
    secrets: readonly unknown[] | undefined,
    keys: ReturnType<typeof checkedEnvSecretKeys>,
): void {
    const container = (pod.template.spec.containers as k8s.core.v1.Container[] | undefined)?.[0];
    const envFrom = container?.envFrom as k8s.core.v1.EnvFromSource[] | undefined;
    if (!container || !envFrom) return;
    keys.forEach((k, i) => {
        if (!pulumi.Output.isInstance(k)) return;
        const secretName = bindingOf((secrets as SecretLike[])[i]).secretName;
        const at = envFrom.findIndex((e) => (e.secretRef as { name?: unknown } | undefined)?.name === secretName);
        if (at >= 0)
            envFrom[at] = {
                ...envFrom[at],
                secretRef: { ...(envFrom[at].secretRef as object), name: k.apply(() => secretName) },
            };
    });
}
