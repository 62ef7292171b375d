/** The container's lifecycle: the preStop hook, checked against the grace period. */
import type * as k8s from "@pulumi/kubernetes/types/input";
import { ValidationIssue } from "../errors";
import type { PodContext } from "./context";
import type { PodInput } from "./input";

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_SECONDS = 30;

/** The container lifecycle for `preStop`, checked against the grace period the kubelet enforces. */
export function preStopHook(
    o: PodInput,
    ctx: PodContext,
    issues: ValidationIssue[],
): k8s.core.v1.Lifecycle | undefined {
    const p = o.preStop;
    if (!p) return undefined;
    const given = (o.podPatch?.terminationGracePeriodSeconds as number | undefined) ?? o.terminationGracePeriodSeconds; // podPatch merges last
    const grace = given ?? DEFAULT_GRACE_SECONDS;
    if (p.sleepSeconds !== undefined && typeof grace === "number" && p.sleepSeconds >= grace) {
        issues.push({
            path: ["preStop", "sleepSeconds"],
            message: `${p.sleepSeconds}s does not fit in the grace period of ${grace}s${given === undefined ? " (the default)" : ""}: the kubelet kills the container when the grace period ends, hook or not; set terminationGracePeriodSeconds above ${p.sleepSeconds} (e.g. ${p.sleepSeconds + DEFAULT_GRACE_SECONDS})`,
        });
    }
    if (p.command) return { preStop: { exec: { command: p.command } } };
    if (p.sleepSeconds !== undefined) return { preStop: { sleep: { seconds: p.sleepSeconds } } };
    const port = p.port ?? ctx.defaultPort;
    if (port === undefined) {
        issues.push({
            path: ["preStop", "port"],
            message: "is required: the HTTP preStop hook needs a port and this workload has none",
        });
        return undefined;
    }
    return { preStop: { httpGet: { path: p.path!, port } } };
}
