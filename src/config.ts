/**
 * Stack configuration defaults under the `mlkube` namespace (`pulumi config set mlkube:namespace ml`).
 * Read once per program. Adding a default is one line in `configSchema`; objects and lists are given
 * with `pulumi config set --path` or as JSON strings.
 */
import * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { lazy } from "./schema/lazy";
import { MlkubeValidationError, ValidationIssue } from "./errors";
import { Agree, schemaMatches, errorMap, record, snapshot, toIssues } from "./schema/input";
import { k8sObject } from "./schema/k8s";
import { absolutePath, annotationMap, dnsLabel, dnsSubdomain, labelKey, labelValue } from "./schema/names";
import { byteQuantity, quantity } from "./schema/quantity";

/** A profile name: also the value of the `mlkube.dev/profile` label, so a label value. @internal */
export const profileName = lazy(() => labelValue().refine((n) => n.length > 0, { message: "must not be empty" }));

const configSchema = lazy(
    () =>
        ({
            /** Namespace of every component that does not set its own. */
            namespace: dnsLabel(),
            /** Labels added to every object (and pod) mlkube creates. */
            labels: record(labelKey(), labelValue()),
            /** Annotations added to every top-level object mlkube creates. */
            annotations: annotationMap(z.string()),
            /** StorageClass of Volumes that do not set `storageClass`. */
            storageClass: dnsSubdomain(),
            /** Image pull secrets (names) added to every pod. */
            imagePullSecrets: z.array(dnsSubdomain()),
            /** Node selector merged into every pod's (the pod's own keys win). */
            nodeSelector: record(labelKey(), labelValue()),
            /** Tolerations added to every pod (Kubernetes Toleration objects). */
            tolerations: z.array(k8sObject<k8s.core.v1.Toleration>("Toleration")),
            /** Default service account of pods. */
            serviceAccountName: dnsSubdomain(),
            /** Kueue LocalQueue of every TrainJob that does not set `queue` (`queue: false` opts out). */
            queue: dnsLabel(),
            /**
             * Named presets of pod options (`profile: "a100"` on Compute/TrainJob). Each body is checked against
             * the PodOptions schema by src/workload/defaults.ts (this file sits below the workload layer).
             */
            profiles: z.record(profileName(), z.record(z.string(), z.unknown())),
            /**
             * Default requests of pods that set none, per resource (a workload's own request or limit wins).
             * No default without this key: a namespace's LimitRange defaults apply instead.
             */
            resources: z.strictObject({
                cpu: quantity().optional(),
                memory: byteQuantity("Mi").optional(),
                ephemeralStorage: byteQuantity("Gi").optional(),
            }),
            /** Claims mounted into every workload (opt out with `defaultMounts: false`): a claim name (at /mnt/<claim>) or `{ claimName, mountPath, subPath?, readOnly? }`. */
            volumes: z.array(
                z.union([
                    dnsLabel(),
                    z.strictObject({
                        claimName: dnsLabel(),
                        mountPath: absolutePath(),
                        subPath: z.string().optional(),
                        readOnly: z.boolean().optional(),
                    }),
                ]),
            ),
            /** Secrets mounted into every workload (opt out with `defaultMounts: false`): a name (as env) or `{ name, mount?, mountPath?, fileMode? }`. */
            secrets: z.array(
                z.union([
                    dnsSubdomain(),
                    z.strictObject({
                        name: dnsSubdomain(),
                        mount: z.enum(["env", "files"]).optional(),
                        mountPath: absolutePath().optional(),
                        fileMode: z.number().int().min(0).max(0o777).optional(),
                    }),
                ]),
            ),
        }) satisfies Record<string, z.ZodType>,
);

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
    /** `mlkube:profiles`: named presets of pod options that workloads pick with `profile`; each body is a partial PodOptions (checked when used). Default: none. */
    profiles?: Record<string, Record<string, unknown>>;
    /** `mlkube:resources`: default requests (cpu, memory, ephemeralStorage) of pods that set none. Default: none (a namespace LimitRange applies). */
    resources?: {
        /** Default CPU request (a quantity such as "1" or "500m"). */
        cpu?: string;
        /** Default memory request (a byte quantity such as "4Gi"). */
        memory?: string;
        /** Default ephemeral-storage request (a byte quantity such as "10Gi"). */
        ephemeralStorage?: string;
    };
    /** `mlkube:volumes`: claims mounted into every workload (claim name at /mnt/<claim>, or `{ claimName, mountPath, subPath?, readOnly? }`). Default: none. */
    volumes?: (
        | string
        | {
              /** Name of an existing PersistentVolumeClaim. */
              claimName: string;
              /** Absolute path in the containers. */
              mountPath: string;
              /** Sub-directory of the claim to mount. Default: its root. */
              subPath?: string;
              /** Mount read-only. Default false. */
              readOnly?: boolean;
          }
    )[];
    /** `mlkube:secrets`: Secrets mounted into every workload (a name, as env, or `{ name, mount?, mountPath?, fileMode? }`). Default: none. */
    secrets?: (
        | string
        | {
              /** Name of an existing Secret. */
              name: string;
              /** As environment variables (`env`, the default) or as files (`files`). */
              mount?: "env" | "files";
              /** With `files`: the directory. Default `/etc/mlkube/secrets/<name>`. */
              mountPath?: string;
              /** With `files`: file mode bits (e.g. 0o440). Default: 0o440 for non-root pods, else 0o400. */
              fileMode?: number;
          }
    )[];
}

schemaMatches<
    Agree<MlkubeConfig, { [K in keyof ReturnType<typeof configSchema>]?: z.output<ReturnType<typeof configSchema>[K]> }>
>();

let cached: MlkubeConfig | undefined;

/** The `mlkube:*` stack configuration, validated, read once. */
export function mlkubeConfig(): MlkubeConfig {
    if (cached) return cached;
    const cfg = new pulumi.Config("mlkube");
    const out: Record<string, unknown> = {};
    const issues: ValidationIssue[] = [];
    for (const [key, schema] of Object.entries(configSchema())) {
        const raw = cfg.get(key);
        if (raw === undefined) continue;
        let r = (schema as z.ZodType).safeParse(raw, { error: errorMap });
        let value: unknown = raw;
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
                if (again.success || typeof parsed === "object") {
                    r = again;
                    value = parsed;
                }
            } catch {
                /* not JSON: keep the first error */
            }
        }
        if (r.success) out[key] = r.data;
        else issues.push(...toIssues(r.error, [`mlkube:${key}`], undefined, value));
    }
    if (issues.length) throw new MlkubeValidationError("Stack config", pulumi.getStack(), issues);
    cached = out;
    return cached;
}

/** Forgets the cached configuration (tests change config between cases). */
export function resetConfigCache(): void {
    cached = undefined;
}
