/** Where the pod may run: node selector and tolerations (the stack's, then the pod's), and the GPU toleration. */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { ValidationIssue } from "../errors";
import { isLabelValue, qualifiedNameProblem } from "../schema/names";
import type { BuiltPod, PodContext } from "./context";
import type { PodInput } from "./input";

/** Parses Metaflow's "k=v,k2=v2" node selector string. */
export function parseNodeSelector(s: string, issue: (message: string) => void): Record<string, string> {
    const out: Record<string, string> = {};
    for (const part of s
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)) {
        const eq = part.indexOf("=");
        if (eq <= 0) {
            issue(`${JSON.stringify(part)} is not key=value; write "key=value,key2=value2" or an object`);
            continue;
        }
        const k = part.slice(0, eq).trim();
        const v = part.slice(eq + 1).trim();
        const problem = qualifiedNameProblem(k);
        if (problem) issue(`key ${JSON.stringify(k)} is invalid: ${problem}`);
        else if (!isLabelValue(v)) issue(`value ${JSON.stringify(v)} of ${k} is not a valid label value`);
        else out[k] = v;
    }
    return out;
}

/** `list` plus `t` unless a toleration for the same key is already there (the user's own wins). */
export function withToleration(
    list: k8s.core.v1.Toleration[] | undefined,
    t: k8s.core.v1.Toleration,
): k8s.core.v1.Toleration[] {
    const l = list ?? [];
    return l.some((x) => x && x.key === t.key) ? l : [...l, t];
}

/** The pod's node selector and tolerations, and the automatic GPU toleration (unless gpuToleration: false). */
export function scheduling(
    o: PodInput,
    ctx: PodContext,
    gpu: BuiltPod["gpu"],
    issues: ValidationIssue[],
): {
    nodeSelector: Record<string, string>;
    tolerations: k8s.core.v1.Toleration[];
    gpuToleration?: k8s.core.v1.Toleration;
} {
    const cfg = ctx.config;
    let nodeSelector: Record<string, string> = { ...cfg.nodeSelector };
    if (typeof o.nodeSelector === "string") {
        nodeSelector = {
            ...nodeSelector,
            ...parseNodeSelector(o.nodeSelector, (message) => issues.push({ path: ["nodeSelector"], message })),
        };
    } else if (o.nodeSelector) nodeSelector = { ...nodeSelector, ...o.nodeSelector };
    const tolerations: k8s.core.v1.Toleration[] = [
        ...(cfg.tolerations ?? []),
        ...(o.tolerations ?? []),
    ] as k8s.core.v1.Toleration[];
    let gpuToleration: k8s.core.v1.Toleration | undefined;
    if (gpu && o.gpuToleration !== false) {
        gpuToleration = { key: gpu.resource, operator: "Exists", effect: "NoSchedule" };
        if (!tolerations.some((t) => t.key === gpu.resource)) tolerations.push(gpuToleration);
    }
    return { nodeSelector, tolerations, gpuToleration };
}
