/**
 * Stack configuration defaults under the `mlkube` namespace (`pulumi config set mlkube:namespace ml`).
 * Read once per program. Adding a default is one line in `configSchema`; objects and lists are given
 * with `pulumi config set --path` or as JSON strings.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { MlkubeValidationError, ValidationIssue } from "./errors";
import { Agree, schemaMatches, toIssues, errorMap } from "./schema/input";
import { k8sObject } from "./schema/k8s";
import { annotationMap, dnsLabel, dnsSubdomain, labelKey, labelValue } from "./schema/names";

const configSchema = {
    /** Namespace of every component that does not set its own. */
    namespace: dnsLabel(),
    /** Labels added to every object (and pod) mlkube creates. */
    labels: z.record(labelKey, labelValue),
    /** Annotations added to every top-level object mlkube creates. */
    annotations: annotationMap(z.string()),
    /** StorageClass of Volumes that do not set `storageClass`. */
    storageClass: dnsSubdomain,
    /** Image pull secrets (names) added to every pod. */
    imagePullSecrets: z.array(dnsSubdomain),
    /** Node selector merged into every pod's (the pod's own keys win). */
    nodeSelector: z.record(labelKey, labelValue),
    /** Tolerations added to every pod (Kubernetes Toleration objects). */
    tolerations: z.array(k8sObject<k8s.core.v1.Toleration>("Toleration")),
    /** Default service account of pods. */
    serviceAccountName: dnsSubdomain,
    /** Kueue LocalQueue of every TrainJob that does not set `queue` (`queue: false` opts out). */
    queue: dnsLabel(),
} satisfies Record<string, z.ZodType>;

/**
 * The validated `mlkube:*` stack configuration (see the README's "Stack configuration defaults").
 * Every key is optional; an unset key means "no default".
 */
export interface MlkubeConfig {
    /** `mlkube:namespace`: namespace of every component that does not set `namespace`. Default: none (the provider's namespace). */
    namespace?: string;
    /** `mlkube:labels`: labels added to every object and pod. Default: none. */
    labels?: Record<string, string>;
    /** `mlkube:annotations`: annotations added to every top-level object. Default: none. */
    annotations?: Record<string, string>;
    /** `mlkube:storageClass`: StorageClass of Volumes and ephemeral volumes without one. Default: the cluster's default class. */
    storageClass?: string;
    /** `mlkube:imagePullSecrets`: pull secret names added to every pod. Default: none. */
    imagePullSecrets?: string[];
    /** `mlkube:nodeSelector`: merged into every pod's node selector (the pod's keys win). Default: none. */
    nodeSelector?: Record<string, string>;
    /** `mlkube:tolerations`: Kubernetes Toleration objects added to every pod. Default: none. */
    tolerations?: k8s.core.v1.Toleration[];
    /** `mlkube:serviceAccountName`: default service account of pods. Default: the namespace's `default`. */
    serviceAccountName?: string;
    /** `mlkube:queue`: Kueue LocalQueue of every TrainJob that does not set `queue`. Default: none (not queued). */
    queue?: string;
}

schemaMatches<Agree<MlkubeConfig, { [K in keyof typeof configSchema]?: z.output<(typeof configSchema)[K]> }>>();

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
                const parsed = JSON.parse(raw);
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
