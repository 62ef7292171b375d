/**
 * Compute: long-running serving or worker pods. A Deployment (pods assembled by the shared pod
 * builder), a Service when it has ports, a HorizontalPodAutoscaler with `autoscaling`, a
 * PodDisruptionBudget, and the ownership guard (a ConfigMap) that every other object waits for.
 */
import * as pulumi from "@pulumi/pulumi";
import { Deployment } from "@pulumi/kubernetes/apps/v1";
import { HorizontalPodAutoscaler } from "@pulumi/kubernetes/autoscaling/v2";
import { ConfigMap, Service } from "@pulumi/kubernetes/core/v1";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { z } from "zod";
import { lazy } from "./schema/lazy";
import { compact, InputMap, keepFieldManager, objectAnnotations, objectLabels, resolveNamespace } from "./metadata";
import type { BuiltPod } from "./pod/builder";
import { ComponentSpec, MlkubeComponent, prepare } from "./base";
import { applyStackDefaults } from "./workload/defaults";
import { PodOptions, podOptionsShape } from "./workload/options";
import { tryBuildPod } from "./workload/resolve";
import { Agree, Resolved, input, record, schemaMatches, validate } from "./schema/input";
import {
    annotationMap,
    dnsLabel,
    dns1035Message,
    int32,
    isDns1035Label,
    isDnsLabel,
    labelKey,
    labelValue,
    portName,
} from "./schema/names";
import { closest, fail, MlkubeValidationError, ValidationIssue } from "./errors";

/** Pulumi type token of {@link Compute} components. */
export const COMPUTE_TYPE = "mlkube:index:Compute";

/** Label the Deployment selects its pods (and the Service its endpoints) by. */
export const COMPUTE_SELECTOR = "mlkube.dev/compute";

/**
 * Suffix of a Compute's ownership guard, the ConfigMap `<name>.mlkube-owner` (see {@link RenderedCompute.guard}).
 * A dot, which Deployment and Service names cannot have: a ConfigMap a program names after a workload
 * (`<name>`, `<name>-config`) is never the guard, which would otherwise join and, on delete, remove it.
 */
const OWNER_GUARD_SUFFIX = ".mlkube-owner";

/** One Service port of a {@link Compute} (and the container port it targets). */
export interface PortSpec {
    /** Service port. */
    port: number;
    /**
     * Container port.
     * @default `port`
     */
    targetPort?: number;
    /**
     * Port name (required by Kubernetes with several ports).
     * @default `port-<port>`
     */
    name?: string;
    /**
     * Protocol.
     * @default "TCP"
     */
    protocol?: "TCP" | "UDP" | "SCTP";
    /** With serviceType NodePort/LoadBalancer: a fixed node port. */
    nodePort?: number;
}

/**
 * A readiness or liveness probe: HTTP GET `path`, TCP `port`, or `command`. Timings in seconds;
 * unset timings take Kubernetes' defaults.
 */
export interface ProbeSpec {
    /**
     * HTTP GET this path on `port`.
     * @default none
     */
    path?: string;
    /**
     * Port for the HTTP or TCP check; a number or a port name.
     * @default the first port
     */
    port?: number | string;
    /** Run this command instead (exit 0 = healthy). */
    command?: string[];
    /**
     * Seconds after the container starts before the first probe.
     * @default Kubernetes' 0
     */
    initialDelaySeconds?: number;
    /**
     * Seconds between probes.
     * @default Kubernetes' 10
     */
    periodSeconds?: number;
    /**
     * Seconds after which one probe counts as failed.
     * @default Kubernetes' 1
     */
    timeoutSeconds?: number;
    /**
     * Consecutive failures before the pod is marked unready (readiness) or restarted (liveness).
     * @default Kubernetes' 3
     */
    failureThreshold?: number;
}

/** HorizontalPodAutoscaler bounds and targets of a {@link Compute}. */
export interface AutoscalingSpec {
    /**
     * Lower bound of the replica count.
     * @default 1
     */
    minReplicas?: number;
    /** Upper bound of the replica count (required). */
    maxReplicas: number;
    /**
     * Target average CPU utilization in percent of the request.
     * @default without targetMemoryUtilizationPercentage: 80; with it: no CPU target
     */
    targetCPUUtilizationPercentage?: number;
    /** Optional target average memory utilization in percent of the request. */
    targetMemoryUtilizationPercentage?: number;
}

/** How a Deployment replaces its pods on an update. */
export interface DeploymentStrategy {
    /**
     * `Recreate`: stop the old pods, then start the new ones (the default when the pods mount a
     * ReadWriteOnce/ReadWriteOncePod claim mlkube created: a new pod could not attach it while an old one
     * holds it). `RollingUpdate`: Kubernetes' default otherwise.
     */
    type: "Recreate" | "RollingUpdate";
    /**
     * RollingUpdate: extra pods during the update, a count or a percentage ("25%").
     * @default Kubernetes' 25%
     */
    maxSurge?: number | string;
    /**
     * RollingUpdate: pods that may be unavailable during the update, a count or a percentage.
     * @default Kubernetes' 25%
     */
    maxUnavailable?: number | string;
}

/**
 * A PodDisruptionBudget: how many of the Compute's pods voluntary evictions (node drains, cluster
 * upgrades) may take down at once. Exactly one of the two; a number of pods or a percentage ("50%").
 */
export interface DisruptionBudgetSpec {
    /** Pods that must stay available during an eviction. Must be below the replica count (else no node with a pod can drain). */
    minAvailable?: number | string;
    /** Pods that may be unavailable at once. `0` blocks every voluntary eviction (on purpose). */
    maxUnavailable?: number | string;
}

/**
 * Arguments of {@link Compute}: a Deployment of `replicas` identical pods (every {@link PodOptions}
 * field applies), a Service when `ports` are given, a HorizontalPodAutoscaler with `autoscaling`.
 */
export interface ComputeArgs extends PodOptions {
    /**
     * Pod count. Mutually exclusive with `autoscaling`.
     * @default 1
     */
    replicas?: number;
    /** Scale with a HorizontalPodAutoscaler between minReplicas and maxReplicas. */
    autoscaling?: AutoscalingSpec;
    /**
     * Deployment update strategy.
     * @default Recreate with single-attach claims, else Kubernetes' RollingUpdate
     */
    strategy?: DeploymentStrategy;
    /**
     * Labels of the Service only (besides `labels`).
     * @default none
     */
    serviceLabels?: { [key: string]: pulumi.Input<string> };
    /**
     * Annotations of the Service only, e.g. a cloud load balancer's.
     * @default none
     */
    serviceAnnotations?: { [key: string]: pulumi.Input<string> };
    /** Ports to expose through a Service (no ports, no Service). */
    ports?: PortSpec[];
    /**
     * `ClusterIP`, `NodePort`, `LoadBalancer` or `Headless`. `ExternalName` is not offered: it is
     * a DNS alias for something outside the cluster, with no pods behind it.
     * @default "ClusterIP"
     */
    serviceType?: "ClusterIP" | "NodePort" | "LoadBalancer" | "Headless";
    /**
     * Readiness probe: the Service only routes to pods that pass it.
     * @default none (ready when started)
     */
    readinessProbe?: ProbeSpec;
    /**
     * Liveness probe: the kubelet restarts containers that fail it.
     * @default none
     */
    livenessProbe?: ProbeSpec;
    /**
     * Holds off the liveness and readiness probes until it succeeds once (slow model loads): the pod gets
     * `periodSeconds × failureThreshold` seconds to start. Same shape as the other probes.
     * @default none
     */
    startupProbe?: ProbeSpec;
    /**
     * A PodDisruptionBudget for the pods (policy/v1); `false`: none.
     * @default `{ maxUnavailable: 1 }` when the Compute runs 2 or more replicas or autoscales, none for a
     * single replica
     */
    disruptionBudget?: DisruptionBudgetSpec | false;
    /**
     * Name of the Deployment and Service.
     * @default the component name
     */
    name?: string;
    /**
     * Namespace.
     * @default `mlkube:namespace`, else the provider's
     */
    namespace?: pulumi.Input<string>;
    /**
     * Do not wait for the Deployment to become available (pulumi.com/skipAwait).
     * @default false
     */
    skipAwait?: boolean;
}

const probeSchema = lazy(() =>
    z
        .strictObject({
            path: z.string().startsWith("/").optional(),
            port: z.union([z.number().int().min(1).max(65535), z.string().min(1)]).optional(),
            command: z.array(z.string()).min(1).optional(),
            initialDelaySeconds: int32().optional(),
            periodSeconds: int32(1).optional(),
            timeoutSeconds: int32(1).optional(),
            failureThreshold: int32(1).optional(),
        })
        .refine((p) => !(p.path && p.command), {
            message: "path (HTTP) and command (exec) are mutually exclusive; pick one",
            path: ["command"],
        }),
);

const portNumber = lazy(() => z.number().int().min(1).max(65535));

/** The API server's default `--service-node-port-range`. */
export const NODE_PORT_RANGE = [30000, 32767] as const;

/** A port's name: its own, else `port-<port>` when the Service has several ports (Kubernetes requires names then). */
function portNameOf(p: { name?: string; port: number }, count: number): string | undefined {
    return p.name ?? (count > 1 ? `port-${p.port}` : undefined);
}
const intOrPercent = lazy(() =>
    z.union([
        z.number().int().nonnegative(),
        z.string().regex(/^\d+%$/, { message: 'must be a count or a percentage such as "25%"' }),
    ]),
);

/** A PDB count: a whole number of pods or a percentage "0%".."100%". */
const budgetValue = lazy(() =>
    z.union([
        z
            .number()
            .int()
            .nonnegative()
            .max(2 ** 31 - 1),
        z.string().regex(/^(100|[1-9]?[0-9])%$/, {
            error: (iss) =>
                `${JSON.stringify(iss.input)} is neither a pod count nor a percentage; use a whole number such as 1 or a percentage such as "25%"`,
        }),
    ]),
);

const disruptionBudgetSchema = lazy(() =>
    z.union([
        z.literal(false),
        z
            .strictObject({ minAvailable: budgetValue().optional(), maxUnavailable: budgetValue().optional() })
            .refine((b) => (b.minAvailable === undefined) !== (b.maxUnavailable === undefined), {
                message: "needs exactly one of minAvailable or maxUnavailable (Kubernetes allows one per budget)",
            }),
    ]),
);

/** @internal */
export const computeArgsSchema = lazy(() =>
    z
        .strictObject({
            ...podOptionsShape(),
            replicas: int32().optional(),
            strategy: z
                .strictObject({
                    type: z.enum(["Recreate", "RollingUpdate"]),
                    maxSurge: intOrPercent().optional(),
                    maxUnavailable: intOrPercent().optional(),
                })
                .superRefine((st, ctx) => {
                    if (st.type === "Recreate") {
                        for (const k of ["maxSurge", "maxUnavailable"] as const)
                            if (st[k] !== undefined)
                                ctx.addIssue({
                                    code: "custom",
                                    path: [k],
                                    message: `only applies with type "RollingUpdate"`,
                                });
                    } else if (
                        (st.maxSurge === 0 || st.maxSurge === "0%") &&
                        (st.maxUnavailable === 0 || st.maxUnavailable === "0%")
                    ) {
                        ctx.addIssue({
                            code: "custom",
                            path: ["maxUnavailable"],
                            message:
                                "maxSurge and maxUnavailable cannot both be 0 (the update could never make progress); allow one pod of either",
                        });
                    }
                })
                .optional(),
            serviceLabels: record(labelKey(), input(labelValue())).optional(),
            serviceAnnotations: annotationMap(input(z.string())).optional(),
            autoscaling: z
                .strictObject({
                    minReplicas: int32(1).optional(),
                    maxReplicas: int32(1),
                    targetCPUUtilizationPercentage: z.number().int().min(1).max(1000).optional(),
                    targetMemoryUtilizationPercentage: z.number().int().min(1).max(1000).optional(),
                })
                .refine((a) => (a.minReplicas ?? 1) <= a.maxReplicas, {
                    message: "minReplicas must not exceed maxReplicas",
                    path: ["minReplicas"],
                })
                .optional(),
            ports: z
                .array(
                    z.strictObject({
                        port: portNumber(),
                        targetPort: portNumber().optional(),
                        name: portName().optional(),
                        protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
                        nodePort: portNumber().optional(),
                    }),
                )
                .optional(),
            serviceType: z.enum(["ClusterIP", "NodePort", "LoadBalancer", "Headless"]).optional(),
            readinessProbe: probeSchema().optional(),
            livenessProbe: probeSchema().optional(),
            startupProbe: probeSchema().optional(),
            disruptionBudget: disruptionBudgetSchema().optional(),
            name: dnsLabel().optional(),
            namespace: input(dnsLabel()).optional(),
            skipAwait: z.boolean().optional(),
        })
        .superRefine((a, ctx) => {
            if (a.replicas !== undefined && a.autoscaling) {
                ctx.addIssue({
                    code: "custom",
                    path: ["replicas"],
                    message:
                        "replicas and autoscaling are mutually exclusive (the autoscaler owns the replica count); remove replicas",
                });
            }
            // Kubernetes takes a limit as the request when no request is given, so a limit alone is enough.
            if (
                a.autoscaling &&
                (a.autoscaling.targetMemoryUtilizationPercentage === undefined ||
                    a.autoscaling.targetCPUUtilizationPercentage !== undefined) &&
                a.resources?.cpu === undefined &&
                a.resources?.limits?.cpu === undefined
            ) {
                ctx.addIssue({
                    code: "custom",
                    path: ["autoscaling"],
                    message:
                        "CPU-based autoscaling needs resources.cpu (utilization is measured against the request); set resources.cpu",
                });
            }
            if (
                a.autoscaling?.targetMemoryUtilizationPercentage !== undefined &&
                a.resources?.memory === undefined &&
                a.resources?.limits?.memory === undefined
            ) {
                ctx.addIssue({
                    code: "custom",
                    path: ["autoscaling", "targetMemoryUtilizationPercentage"],
                    message: "needs resources.memory; set it",
                });
            }
            if ((a.serviceLabels || a.serviceAnnotations) && !a.ports?.length) {
                ctx.addIssue({
                    code: "custom",
                    path: [a.serviceLabels ? "serviceLabels" : "serviceAnnotations"],
                    message: "needs ports (without ports no Service is created)",
                });
            }
            if (a.serviceType && !a.ports?.length)
                ctx.addIssue({
                    code: "custom",
                    path: ["serviceType"],
                    message: "needs ports (without ports no Service is created)",
                });
            const seen = new Set<number>();
            const names = new Map<string, number>();
            const ports = a.ports ?? [];
            ports.forEach((p, i) => {
                if (seen.has(p.port))
                    ctx.addIssue({
                        code: "custom",
                        path: ["ports", i, "port"],
                        message: `port ${p.port} is listed twice`,
                    });
                seen.add(p.port);
                if (p.nodePort !== undefined && a.serviceType !== "NodePort" && a.serviceType !== "LoadBalancer") {
                    ctx.addIssue({
                        code: "custom",
                        path: ["ports", i, "nodePort"],
                        message: `only applies with serviceType "NodePort" or "LoadBalancer"`,
                    });
                } else if (
                    p.nodePort !== undefined &&
                    (p.nodePort < NODE_PORT_RANGE[0] || p.nodePort > NODE_PORT_RANGE[1])
                ) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["ports", i, "nodePort"],
                        message: `${p.nodePort} is outside the Service node-port range ${NODE_PORT_RANGE.join("-")} (the API server's default --service-node-port-range); use a port in that range or leave nodePort out`,
                    });
                }
                const name = portNameOf(p, ports.length);
                if (name === undefined) return;
                const prev = names.get(name);
                if (prev !== undefined) {
                    const defaulted = p.name === undefined || ports[prev].name === undefined;
                    ctx.addIssue({
                        code: "custom",
                        path: ["ports", p.name === undefined ? prev : i, "name"],
                        message: `port name ${JSON.stringify(name)} is also the name of ports[${p.name === undefined ? i : prev}]; port names must be unique${defaulted ? " (unnamed ports are named port-<port>)" : ""}`,
                    });
                } else names.set(name, i);
            });
            const budget = a.disruptionBudget;
            const pods = a.autoscaling ? undefined : (a.replicas ?? 1);
            if (
                budget &&
                typeof budget.minAvailable === "number" &&
                pods !== undefined &&
                budget.minAvailable >= pods &&
                pods > 0
            ) {
                ctx.addIssue({
                    code: "custom",
                    path: ["disruptionBudget", "minAvailable"],
                    message:
                        pods === 1
                            ? `${budget.minAvailable} with 1 replica allows no eviction, so the node running the pod cannot be drained; a single pod cannot stay available while it moves: run 2+ replicas, remove the budget, or use maxUnavailable: 0 to block evictions on purpose`
                            : `${budget.minAvailable} with ${pods} replicas allows no eviction, so no node running one of these pods can be drained; use at most ${pods - 1}, maxUnavailable: 1, or maxUnavailable: 0 to block evictions on purpose`,
                });
            }
            if (
                budget &&
                typeof budget.minAvailable === "number" &&
                a.autoscaling &&
                budget.minAvailable >= (a.autoscaling.minReplicas ?? 1)
            ) {
                ctx.addIssue({
                    code: "custom",
                    path: ["disruptionBudget", "minAvailable"],
                    message: `${budget.minAvailable} with autoscaling.minReplicas ${a.autoscaling.minReplicas ?? 1} blocks node drains whenever the autoscaler runs that few pods; use maxUnavailable: 1 or a lower minAvailable`,
                });
            }
            if (budget && pods === 0) {
                ctx.addIssue({
                    code: "custom",
                    path: ["disruptionBudget"],
                    message: "has nothing to protect with replicas: 0; remove it",
                });
            }
            const preStopPort = a.preStop?.port;
            if (typeof preStopPort === "string" && !names.has(preStopPort)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["preStop", "port"],
                    message: `${JSON.stringify(preStopPort)} is not the name of a port of this Compute; use a port number or one of ${[...names.keys()].map((n) => JSON.stringify(n)).join(", ") || "its ports (it has none)"}`,
                });
            }
            for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"] as const) {
                const p = a[probe];
                if (p && !p.command && p.port === undefined && !ports.length) {
                    ctx.addIssue({
                        code: "custom",
                        path: [probe, "port"],
                        message: "is required when the Compute has no ports",
                    });
                }
                if (p && typeof p.port === "string" && !names.has(p.port)) {
                    const known = [...names.keys()];
                    const guess = p.port.length <= 64 ? closest(p.port, known) : undefined;
                    ctx.addIssue({
                        code: "custom",
                        path: [probe, "port"],
                        message: `${JSON.stringify(p.port)} is not the name of a port of this Compute (it has ${known.length ? known.map((n) => JSON.stringify(n)).join(", ") : "none"})${guess ? `; did you mean ${JSON.stringify(guess)}?` : known.length ? "" : "; use a port number or declare the port in ports"}`,
                    });
                }
            }
        }),
);
schemaMatches<Agree<Resolved<ComputeArgs>, z.input<ReturnType<typeof computeArgsSchema>>>>();

/** @internal */
export type ValidatedComputeArgs = z.output<ReturnType<typeof computeArgsSchema>>;

export interface RenderedCompute {
    /**
     * The ownership guard: an empty ConfigMap `<name>.mlkube-owner` carrying the ownership marker, applied
     * unforced before every other object of the Compute. The Deployment's applies are forced (see
     * {@link REPLICAS_OWNERSHIP}), so its own marker cannot stop another stack from taking a Deployment of the
     * same name over; the guard's marker can, and it exists whatever the replicas, budget or ports (which
     * may differ between the two stacks). docs/operations.md, "Two stacks, one namespace".
     */
    guard: k8s.core.v1.ConfigMap;
    deployment: k8s.apps.v1.Deployment;
    service?: k8s.core.v1.Service;
    autoscaler?: k8s.autoscaling.v2.HorizontalPodAutoscaler;
    disruptionBudget?: k8s.policy.v1.PodDisruptionBudget;
    dependencies: pulumi.Resource[];
    /** Service port the endpoint output points at. */
    port?: number;
    /** Paths of the Deployment another manager owns once it exists (the autoscaler's `spec.replicas`); see {@link REPLICAS_OWNERSHIP}. */
    ignoreChanges?: string[];
}

/**
 * Who owns the Deployment's `spec.replicas` under server-side apply (docs/operations.md):
 * - without autoscaling, mlkube: every apply is forced (`pulumi.com/patchForce`), so a `kubectl scale`
 *   or an autoscaler left behind never blocks an update with a field conflict, and the next `pulumi up
 *   --refresh` (or any update) puts the declared count back;
 * - with autoscaling, the HorizontalPodAutoscaler: the Deployment keeps `replicas` (minReplicas on create)
 *   under `ignoreChanges`, so turning autoscaling on never drops the field (which made the API server
 *   reset it to 1), and once the autoscaler has scaled, the provider leaves the field out of the apply.
 * @internal
 */
export const REPLICAS_OWNERSHIP = {
    force: { "pulumi.com/patchForce": "true" },
    autoscaled: ["spec.replicas"],
} as const;

function probe(
    p: z.output<ReturnType<typeof probeSchema>> | undefined,
    defaultPort: number | undefined,
): k8s.core.v1.Probe | undefined {
    if (!p) return undefined;
    const timing = compact({
        initialDelaySeconds: p.initialDelaySeconds,
        periodSeconds: p.periodSeconds,
        timeoutSeconds: p.timeoutSeconds,
        failureThreshold: p.failureThreshold,
    });
    if (p.command) return { exec: { command: p.command }, ...timing };
    const port = p.port ?? defaultPort!;
    if (p.path) return { httpGet: { path: p.path, port }, ...timing };
    return { tcpSocket: { port }, ...timing };
}

/** The budget to emit: the explicit one, else maxUnavailable 1 for 2+ pods or autoscaling (never blocks a drain, keeps one pod of two serving). */
function disruptionBudget(
    a: ValidatedComputeArgs,
): { minAvailable?: number | string; maxUnavailable?: number | string } | undefined {
    if (a.disruptionBudget === false) return undefined;
    if (a.disruptionBudget)
        return compact({
            minAvailable: a.disruptionBudget.minAvailable,
            maxUnavailable: a.disruptionBudget.maxUnavailable,
        });
    // An autoscaled Compute may run many pods even when minReplicas is 1.
    return a.autoscaling || (a.replicas ?? 1) >= 2 ? { maxUnavailable: 1 } : undefined;
}

/** Guard, Deployment, Service, autoscaler and budget for validated Compute args: pure, used by the component and tests. @internal */
export function renderCompute(name: string, a: ValidatedComputeArgs): RenderedCompute {
    const objectName = a.name ?? name;
    const namespace = resolveNamespace(a.namespace);
    const selector = { [COMPUTE_SELECTOR]: objectName };
    const ports = a.ports ?? [];
    const portName = (p: (typeof ports)[number]) => portNameOf(p, ports.length);
    // Several Service ports may target one container port: the container lists it once (containerPort
    // and protocol key the list; server-side apply rejects duplicates).
    const containerPorts = new Map<string, k8s.core.v1.ContainerPort>();
    for (const p of ports) {
        const key = `${p.targetPort ?? p.port}/${p.protocol ?? "TCP"}`;
        if (!containerPorts.has(key))
            containerPorts.set(
                key,
                compact({ name: portName(p), containerPort: p.targetPort ?? p.port, protocol: p.protocol }),
            );
    }
    // A probe names a Service port; when that port's container port is listed under another name, use its number.
    const containerPortRef = (port: number | string | undefined): number | string | undefined => {
        if (typeof port !== "string") return port;
        const p = ports.find((x) => portName(x) === port);
        return p && [...containerPorts.values()].some((c) => c.name === port)
            ? port
            : (p?.targetPort ?? p?.port ?? port);
    };
    const firstTarget = ports[0] ? (ports[0].targetPort ?? ports[0].port) : undefined;
    const podCount = a.autoscaling
        ? { count: a.autoscaling.maxReplicas, field: "autoscaling.maxReplicas", unit: "replica (maxReplicas: 1)" }
        : { count: a.replicas ?? 1, field: "replicas", unit: "replica" };
    const { pod, issues } = tryBuildPod(a, {
        component: "Compute",
        name,
        objectName,
        containerName: "main",
        selectorLabels: selector,
        namespace,
        ports: [...containerPorts.values()],
        readinessProbe: probe(
            a.readinessProbe && { ...a.readinessProbe, port: containerPortRef(a.readinessProbe.port) },
            firstTarget,
        ),
        livenessProbe: probe(
            a.livenessProbe && { ...a.livenessProbe, port: containerPortRef(a.livenessProbe.port) },
            firstTarget,
        ),
        podCount,
        startupProbe: probe(a.startupProbe, firstTarget),
        defaultPort: firstTarget,
    });
    const strategy = deploymentStrategy(a, pod, issues);
    if (issues.length) throw new MlkubeValidationError("Compute", name, issues);
    const labels = objectLabels("Compute", objectName, a.labels);
    const userAnnotations = { ...a.annotations };
    const metadata = (extra?: InputMap, extraLabels?: InputMap) =>
        compact({
            name: objectName,
            namespace,
            labels: { ...labels, ...extraLabels },
            annotations: objectAnnotations({ ...userAnnotations, ...extra }),
        });

    const deployment: k8s.apps.v1.Deployment = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: metadata({
            ...REPLICAS_OWNERSHIP.force,
            ...(a.skipAwait ? { "pulumi.com/skipAwait": "true" } : undefined),
        }),
        spec: compact({
            replicas: a.autoscaling ? (a.autoscaling.minReplicas ?? 1) : (a.replicas ?? 1),
            selector: { matchLabels: selector },
            strategy,
            template: pod.template,
        }),
    };

    let service: k8s.core.v1.Service | undefined;
    if (ports.length) {
        const headless = a.serviceType === "Headless";
        service = {
            apiVersion: "v1",
            kind: "Service",
            metadata: metadata(a.serviceAnnotations, a.serviceLabels),
            spec: compact({
                type: headless ? "ClusterIP" : (a.serviceType ?? "ClusterIP"),
                clusterIP: headless ? "None" : undefined,
                selector,
                ports: ports.map((p) =>
                    compact({
                        name: portName(p),
                        port: p.port,
                        targetPort: p.targetPort ?? p.port,
                        protocol: p.protocol ?? "TCP",
                        nodePort: p.nodePort,
                    }),
                ),
            }),
        };
    }

    let autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler | undefined;
    if (a.autoscaling) {
        const s = a.autoscaling;
        const metrics: k8s.autoscaling.v2.MetricSpec[] = [];
        if (s.targetCPUUtilizationPercentage !== undefined || s.targetMemoryUtilizationPercentage === undefined) {
            metrics.push({
                type: "Resource",
                resource: {
                    name: "cpu",
                    target: { type: "Utilization", averageUtilization: s.targetCPUUtilizationPercentage ?? 80 },
                },
            });
        }
        if (s.targetMemoryUtilizationPercentage !== undefined) {
            metrics.push({
                type: "Resource",
                resource: {
                    name: "memory",
                    target: { type: "Utilization", averageUtilization: s.targetMemoryUtilizationPercentage },
                },
            });
        }
        autoscaler = {
            apiVersion: "autoscaling/v2",
            kind: "HorizontalPodAutoscaler",
            metadata: metadata(),
            spec: {
                scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: objectName },
                minReplicas: s.minReplicas ?? 1,
                maxReplicas: s.maxReplicas,
                metrics,
            },
        };
    }
    const guard: k8s.core.v1.ConfigMap = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { ...metadata(), name: `${objectName}${OWNER_GUARD_SUFFIX}` },
    };
    const budget = disruptionBudget(a);
    const pdb: k8s.policy.v1.PodDisruptionBudget | undefined = budget && {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: metadata(),
        // AlwaysAllow: pods that are not Ready (crash-looping, stuck loading) can always be evicted, so a
        // broken rollout never blocks a node drain.
        spec: { ...budget, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
    };
    return {
        guard,
        deployment,
        service,
        autoscaler,
        disruptionBudget: pdb,
        dependencies: pod.dependencies,
        port: ports[0]?.port,
        ignoreChanges: a.autoscaling ? [...REPLICAS_OWNERSHIP.autoscaled] : undefined,
    };
}

/**
 * The Deployment strategy: the user's, else Recreate when a pod mounts a ReadWriteOnce/ReadWriteOncePod
 * claim (a rolling update's new pod cannot attach it while an old pod holds it), else Kubernetes' default.
 */
function deploymentStrategy(
    a: ValidatedComputeArgs,
    pod: BuiltPod,
    issues: ValidationIssue[],
): k8s.apps.v1.DeploymentStrategy | undefined {
    const claim = pod.singleAttachClaims[0];
    const st = a.strategy;
    if (!st) return claim ? { type: "Recreate" } : undefined;
    if (st.type === "Recreate") return { type: "Recreate" };
    const surge = st.maxSurge ?? "25%";
    if (claim && surge !== 0 && surge !== "0%") {
        issues.push({
            path: ["strategy"],
            message: `a RollingUpdate that starts new pods before old ones stop (maxSurge ${JSON.stringify(surge)}) deadlocks with claim ${JSON.stringify(claim.claimName)} (${claim.accessMode}): the new pod cannot attach it while the old one holds it; use type "Recreate", or maxSurge: 0 with maxUnavailable: 1`,
        });
    }
    const rollingUpdate = compact({ maxSurge: st.maxSurge, maxUnavailable: st.maxUnavailable });
    return compact({
        type: "RollingUpdate",
        rollingUpdate: Object.keys(rollingUpdate).length ? rollingUpdate : undefined,
    });
}

/** The component name, when it doubles as the Kubernetes name. */
const componentNameSchema = lazy(() => z.object({ name: dnsLabel() }));

/**
 * Long-running pods for serving and workers: a Deployment, plus a Service with `ports` and a
 * HorizontalPodAutoscaler with `autoscaling` (see docs/concepts/compute.md).
 *
 * ```ts
 * const llm = new mlkube.Compute("llm", { image: "vllm/vllm-openai:v0.6.3", resources: { gpu: 1 }, ports: [{ port: 8000 }] });
 * ```
 */
export class Compute extends MlkubeComponent {
    /** Name of the Deployment (`args.name`, else the component name). */
    get deploymentName(): pulumi.Output<string> {
        return this.lazy("deploymentName", () => this.deployment.metadata.name);
    }
    /** Namespace of the Deployment. */
    get namespace(): pulumi.Output<string> {
        return this.lazy("namespace", () => this.deployment.metadata.namespace);
    }
    /** The Deployment child resource. */
    readonly deployment: Deployment;
    /** The Service child resource; undefined without `ports`. */
    readonly service?: Service;
    /** The HorizontalPodAutoscaler child resource; undefined without `autoscaling`. */
    readonly autoscaler?: HorizontalPodAutoscaler;
    /** The PodDisruptionBudget, when `disruptionBudget` (or its default for 2+ pods) asks for one. */
    readonly disruptionBudget?: PodDisruptionBudget;
    private readonly endpointPort?: number;

    /** The Service's name; undefined without ports. */
    get serviceName(): pulumi.Output<string | undefined> {
        return this.lazy("serviceName", () => (this.service ? this.service.metadata.name : pulumi.output(undefined)));
    }
    /**
     * In-cluster address of the first port: `<service>.<namespace>.svc.cluster.local:<port>`; undefined
     * without ports. Built on first read (an Output per Compute costs memory at thousands of workloads).
     */
    get endpoint(): pulumi.Output<string | undefined> {
        return this.lazy("endpoint", () =>
            this.service
                ? pulumi.interpolate`${this.service.metadata.name}.${this.service.metadata.namespace}.svc.cluster.local:${this.endpointPort}`
                : pulumi.output(undefined),
        );
    }

    /**
     * Creates the Deployment (and Service, autoscaler). `name` is the Pulumi resource name and the default
     * object name (a DNS-1035 label when there is a Service). Throws MlkubeValidationError before
     * registering anything when `args` are invalid.
     */
    constructor(name: string, args: ComputeArgs, opts?: pulumi.ComponentResourceOptions) {
        const { r, ns, objectName } = prepare(
            computeSpec,
            name,
            opts,
            () => {
                const a = validate(
                    "Compute",
                    name,
                    computeArgsSchema(),
                    applyStackDefaults("Compute", name, args, "resources"),
                );
                if (a.name === undefined && !isDnsLabel(name))
                    validate("Compute", name, componentNameSchema(), { name }); // the schema words the error
                const objectName = a.name ?? name;
                if (a.ports?.length && !isDns1035Label(objectName))
                    fail("Compute", name, ["name"], dns1035Message(objectName));
                return { r: renderCompute(name, a), ns: resolveNamespace(a.namespace), objectName };
            },
            ({ r, ns, objectName }) => [
                ...[r.deployment, r.service, r.autoscaler, r.disruptionBudget]
                    .filter((o) => o !== undefined)
                    .map((o) => ({ kind: o.kind as string, namespace: ns, name: objectName })),
                { kind: "ConfigMap", namespace: ns, name: `${objectName}${OWNER_GUARD_SUFFIX}` },
            ],
        );
        super(computeSpec, name, opts);
        // The guard first: its apply is not forced, so when another stack owns a Compute of this name its
        // ownership marker (src/metadata.ts) conflicts there, before the Deployment's forced apply could take
        // the other stack's Deployment over, and before a Service or budget of this stack could select the
        // other stack's pods (docs/operations.md, "Two stacks, one namespace").
        const guard = new ConfigMap(name, r.guard, { parent: this });
        const deps = [...r.dependencies, guard];
        if (r.disruptionBudget)
            this.disruptionBudget = new PodDisruptionBudget(name, r.disruptionBudget, {
                parent: this,
                dependsOn: [guard],
            });
        this.deployment = new Deployment(name, r.deployment, {
            parent: this,
            dependsOn: deps,
            ignoreChanges: keepFieldManager(r.ignoreChanges),
        });
        if (r.service) this.service = new Service(name, r.service, { parent: this, dependsOn: deps });
        if (r.autoscaler)
            this.autoscaler = new HorizontalPodAutoscaler(name, r.autoscaler, {
                parent: this,
                dependsOn: [this.deployment],
            });
        if (!pulumi.runtime.isDryRun()) {
            // Diagnosis while the provider waits for the Deployment (docs/diagnosis.md); loaded only for an update.
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for a real update, never in preview, render or tests (docs/diagnosis.md)
            (require("./diagnose/start") as typeof import("./diagnose/start")).startDiagnosis(
                this,
                opts,
                {
                    ctx: { component: "Compute", name },
                    kind: "Deployment",
                    objectName,
                    namespace: ns,
                    podLabels: { [COMPUTE_SELECTOR]: objectName },
                    progress: false,
                },
                this.deployment.status,
            );
        }
        this.endpointPort = r.port;
        // No component outputs in the state: names and namespace are the children's own outputs, and
        // `endpoint` is built when read (issue 15).
        this.finish(computeSpec);
    }
}

/** Compute in the component table (src/components.ts). @internal */
export const computeSpec: ComponentSpec<Compute> = {
    name: "Compute",
    token: COMPUTE_TYPE,
    get schema() {
        return computeArgsSchema();
    },
    source: { args: "ComputeArgs", argsFile: "src/compute.ts", classFile: "src/compute.ts" },
    create: (name, args, opts) => new Compute(name, args as never, opts),
    outputs: ["deploymentName", "namespace", "serviceName", "endpoint"],
};
