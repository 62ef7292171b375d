/**
 * Stack configuration defaults under the `mlkube` namespace (`pulumi config set mlkube:namespace ml`).
 * Read once per program. Adding a default is one line in `configSchema`; objects and lists are given
 * with `pulumi config set --path` or as JSON strings.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { MlkubeValidationError, ValidationIssue } from "./errors";
import { errorMap, record, snapshot, toIssues } from "./schema/input";
import { k8sObject } from "./schema/k8s";
import { annotationMap, dnsLabel, dnsSubdomain, labelKey, labelValue } from "./schema/names";

const configSchema = {
    /** Namespace of every component that does not set its own. */
    namespace: dnsLabel(),
    /** Labels added to every object (and pod) mlkube creates. */
    labels: record(labelKey, labelValue),
    /** Annotations added to every top-level object mlkube creates. */
    annotations: annotationMap(z.string()),
    /** StorageClass of Volumes that do not set `storageClass`. */
    storageClass: dnsSubdomain,
    /** Image pull secrets (names) added to every pod. */
    imagePullSecrets: z.array(dnsSubdomain),
    /** Node selector merged into every pod's (the pod's own keys win). */
    nodeSelector: record(labelKey, labelValue),
    /** Tolerations added to every pod (Kubernetes Toleration objects). */
    tolerations: z.array(k8sObject<k8s.core.v1.Toleration>("Toleration")),
    /** Default service account of pods. */
    serviceAccountName: dnsSubdomain,
} satisfies Record<string, z.ZodType>;

export type MlkubeConfig = { [K in keyof typeof configSchema]?: z.output<(typeof configSchema)[K]> };

let cached: MlkubeConfig | undefined;

/** The `mlkube:*` stack configuration, validated, read once. */
export function mlkubeConfig(): MlkubeConfig {
    if (cached) return cached;
    const cfg = new pulumi.Config("mlkube");
    const out: Record<string, unknown> = {};
    const issues: ValidationIssue[] = [];
    for (const [key, schema] of Object.entries(configSchema)) {
        const raw = cfg.get(key);
        if (raw === undefined) continue;
        let r = (schema as z.ZodType).safeParse(raw, { error: errorMap });
        if (!r.success) {
            try {
                // Own `__proto__` keys, cycles and depth become issues (snapshot), never prototypes.
                const found: ValidationIssue[] = [];
                const parsed = snapshot(JSON.parse(raw), "Stack config", pulumi.getStack(), [`mlkube:${key}`], found);
                if (found.length) {
                    issues.push(...found);
                    continue;
                }
                const again = (schema as z.ZodType).safeParse(parsed, { error: errorMap });
                if (again.success || typeof parsed === "object") r = again;
            } catch {
                /* not JSON: keep the first error */
            }
        }
        if (r.success) out[key] = r.data;
        else issues.push(...toIssues(r.error, [`mlkube:${key}`]));
    }
    if (issues.length) throw new MlkubeValidationError("Stack config", pulumi.getStack(), issues);
    cached = out as MlkubeConfig;
    return cached;
}

/** Forgets the cached configuration (tests change config between cases). */
export function resetConfigCache(): void {
    cached = undefined;
}
