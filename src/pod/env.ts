/** The container's env: the user's values, Secret keys and Downward API fields, then what Secrets and tmpfs need, then the context's. */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { ValidationIssue } from "../errors";
import { compact, InputMap } from "../plain";
import type { PodContext } from "./context";
import type { PodInput } from "./input";
import type { SecretKeyRef } from "./refs";
import { checksumKey } from "./secrets";
import type { FieldRef } from "./types";

/** One env var from a PodOptions env value: a plain value, a Secret key or a Downward API field. */
export function envVar(name: string, v: unknown): k8s.core.v1.EnvVar {
    if (v && typeof v === "object" && "secretName" in v && "key" in v) {
        const r = v as SecretKeyRef;
        return { name, valueFrom: { secretKeyRef: compact({ name: r.secretName, key: r.key, optional: r.optional }) } };
    }
    if (v && typeof v === "object" && "fieldRef" in v) {
        return { name, valueFrom: { fieldRef: { fieldPath: (v as FieldRef).fieldRef } } };
    }
    return { name, value: v as pulumi.Input<string> };
}

/**
 * The env: the user's in order, then what Secrets and tmpfs need (unless the user set it), then the
 * context's. A Secret key in the env is a dependency, and its digest rolls the pods (into `checksums`).
 */
export function containerEnv(
    o: PodInput,
    ctx: PodContext,
    implied: Record<string, string>,
    checksums: InputMap,
    dependencies: pulumi.Resource[],
    issues: ValidationIssue[],
): k8s.core.v1.EnvVar[] {
    const roll = ctx.rollOnSecretChange !== false;
    const env: k8s.core.v1.EnvVar[] = [];
    const userEnv = o.env ?? {};
    for (const [name, v] of Object.entries(userEnv)) {
        env.push(envVar(name, v));
        if (v && typeof v === "object" && "secretName" in v) {
            const r = v;
            if (r.resource) dependencies.push(r.resource);
            // A value taken with ref() rolls the pods like a mounted Secret does.
            if (r.checksum !== undefined && roll) checksums[checksumKey(r.secretName)] = r.checksum;
        }
    }
    for (const [name, v] of Object.entries(implied)) if (!Object.hasOwn(userEnv, name)) env.push({ name, value: v });
    for (const e of ctx.extraEnv ?? []) {
        if (Object.hasOwn(userEnv, e.name as string))
            issues.push({
                path: ["env", e.name as string],
                message: `is set by ${ctx.component} itself; remove it from env`,
            });
        env.push(e);
    }
    return env;
}
