/**
 * The `node` pod of the backends that build their own pods (jobset, job): the pod options, the
 * initializer mounts, the rendezvous env and ports, from the one pod builder, with problems returned in
 * TrainJob's vocabulary (resourcesPerNode, numNodes) for the renderer to report with its own.
 */
import { resourcesOf, tryBuildPod, BuiltPod } from "../pod/builder";
import { ValidationIssue } from "../errors";
import { containerPorts, NODE, petEnv, procPerNode, Rendezvous, torchEnv, TRAINJOB_COMPONENT } from "./common";
import type { ValidatedTrainJobArgs } from "./component";
import { withInitializerMounts } from "./initializer";

/**
 * Builds the pod of every node. `exposeRendezvous`: declare the rendezvous port on the container (other
 * pods connect to it); a lone pod without a Service meets itself.
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
    return tryBuildPod(podOptions, {
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
}
