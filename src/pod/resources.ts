/** The container's resource requirements: requests, limits, GPUs and extended resources. */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { ValidationIssue } from "../errors";
import { compact } from "../plain";
import { parseQuantity } from "../schema/quantity";
import type { BuiltPod } from "./context";
import type { PodInput } from "./input";
import { gpuResourceName } from "./types";

/** The requirements for `o.resources` (`rf`: the user's name for the option, in paths), and the GPUs asked for. */
export function resourceRequirements(
    o: Pick<PodInput, "resources">,
    rf: string,
    issues: ValidationIssue[],
): { req?: k8s.core.v1.ResourceRequirements; gpu?: BuiltPod["gpu"] } {
    const r = o.resources;
    if (!r) return {};
    const requests: Record<string, string> = {};
    const limits: Record<string, string> = {};
    const names = { cpu: "cpu", memory: "memory", ephemeralStorage: "ephemeral-storage" } as const;
    for (const [field, k8sName] of Object.entries(names) as [keyof typeof names, string][]) {
        const req = r[field] as string | undefined;
        const lim = r.limits?.[field] as string | undefined;
        if (req !== undefined) requests[k8sName] = req;
        if (r.qos === "Guaranteed" && req !== undefined) limits[k8sName] = req;
        else if (lim !== undefined) {
            limits[k8sName] = lim;
            if (req !== undefined && parseQuantity(lim) < parseQuantity(req)) {
                issues.push({
                    path: [rf, "limits", field],
                    message: `${JSON.stringify(lim)} is less than the request ${JSON.stringify(req)}; raise the limit or lower the request`,
                });
            }
        }
    }
    let gpu: BuiltPod["gpu"];
    if (r.gpu) {
        const resource = gpuResourceName(r.gpuVendor);
        requests[resource] = String(r.gpu);
        limits[resource] = String(r.gpu);
        gpu = { resource, count: r.gpu };
    }
    // Extended resources cannot be overcommitted: Kubernetes requires requests = limits.
    for (const [resource, count] of Object.entries(r.extendedResources ?? {})) {
        requests[resource] = String(count);
        limits[resource] = String(count);
    }
    const req = compact({
        requests: Object.keys(requests).length ? requests : undefined,
        limits: Object.keys(limits).length ? limits : undefined,
    });
    return { req: Object.keys(req).length ? req : undefined, gpu };
}

/** The container's resource requirements for `o` (requests/limits by Kubernetes resource name). @internal */
export function resourcesOf(
    o: Pick<PodInput, "resources">,
): { requests?: Record<string, string>; limits?: Record<string, string> } | undefined {
    return resourceRequirements(o, "resources", []).req as
        { requests?: Record<string, string>; limits?: Record<string, string> } | undefined;
}
