/**
 * The pod builder: the one place where pod specs are assembled, for Compute (Deployment) and TrainJob
 * (JobSet, or a Kubeflow TrainJob's trainer + runtime patch). A pure function from plain pod input (see
 * ./input: validated PodOptions whose Volumes and Secrets the component layer resolved) and a small
 * context (with the stack configuration) to a PodTemplateSpec plus the resources the pod depends on.
 * Each concern is a step in a file of its own; `assemble` runs them in order (the order of the problems
 * it reports).
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { compact, labelsOf } from "../plain";
import type { BuiltPod, PodContext } from "./context";
import { containerEnv } from "./env";
import { finalPodIssues, patchSource, PodSource } from "./final";
import type { PodConfig, PodInput } from "./input";
import { preStopHook } from "./lifecycle";
import { strategicMerge } from "./merge";
import { resourceRequirements } from "./resources";
import { scheduling, withToleration } from "./scheduling";
import { mountScratch } from "./scratch";
import { mountSecrets } from "./secrets";
import { podSecurity } from "./security";
import { mountClaims, PodVolumes } from "./volumes";

export type { BuiltPod, PodContext } from "./context";
export type { ClaimVolume, PodConfig, PodInput, PullSecret } from "./input";
export { envVar } from "./env";
export { DEFAULT_GRACE_SECONDS } from "./lifecycle";
export { parseNodeSelector, withToleration } from "./scheduling";
export { DEFAULT_FS_GROUP, SECURE_CONTAINER_CONTEXT, SECURE_POD_CONTEXT } from "./security";
export { volumeName } from "./volumes";

/** Assembles the pod template for `o` in context `ctx`; throws MlkubeValidationError listing every problem. @internal */
export function buildPod(o: PodInput, ctx: PodContext): BuiltPod {
    const issues: ValidationIssue[] = [];
    const built = assemble(o, ctx, issues);
    if (issues.length) throw new MlkubeValidationError(ctx.component, ctx.name, issues);
    return built;
}

/**
 * Like buildPod, but returns the problems instead of throwing, so a component can report them together
 * with its own (backend-specific) ones. With problems, `pod` is a best effort, only for further checks.
 * @internal
 */
export function tryBuildPod(o: PodInput, ctx: PodContext): { pod: BuiltPod; issues: ValidationIssue[] } {
    const issues: ValidationIssue[] = [];
    const pod = assemble(o, ctx, issues);
    return { pod, issues };
}

function assemble(o: PodInput, ctx: PodContext, issues: ValidationIssue[]): BuiltPod {
    const cfg = ctx.config;
    const rf = ctx.resourcesField ?? "resources";
    const dependencies: pulumi.Resource[] = [];
    const pv = new PodVolumes(ctx, issues);

    const security = podSecurity(o, issues);
    const singleAttachClaims = mountClaims(o, ctx, pv, dependencies, issues);
    const secrets = mountSecrets(o, ctx, pv, security.defaultFileMode, dependencies, issues);
    const tmpfsEnv = mountScratch(o, ctx, rf, pv, issues);
    const env = containerEnv(o, ctx, { ...secrets.secretEnv, ...tmpfsEnv }, secrets.checksums, dependencies, issues);
    const { req: resources, gpu } = resourceRequirements(o, rf, issues);
    const { nodeSelector, tolerations, gpuToleration } = scheduling(o, ctx, gpu, issues);
    const lifecycle = preStopHook(o, ctx, issues);

    const containerSecurity = security.container;
    const container: k8s.core.v1.Container = compact({
        name: ctx.containerName,
        image: o.image,
        command: o.command,
        args: o.args,
        workingDir: o.workingDir,
        imagePullPolicy: o.imagePullPolicy,
        ports: ctx.ports?.length ? ctx.ports : undefined,
        env: env.length ? env : undefined,
        envFrom: secrets.envFrom.length ? secrets.envFrom : undefined,
        resources,
        volumeMounts: pv.mounts.length ? pv.mounts : undefined,
        volumeDevices: pv.devices.length ? pv.devices : undefined,
        readinessProbe: ctx.readinessProbe,
        livenessProbe: ctx.livenessProbe,
        startupProbe: ctx.startupProbe,
        lifecycle,
        // A failed container's last log lines become its termination message (pod status), as Metaflow sets it.
        terminationMessagePolicy: "FallbackToLogsOnError",
        securityContext:
            containerSecurity && Object.keys(containerSecurity).length
                ? (containerSecurity as k8s.core.v1.SecurityContext)
                : undefined,
    });

    const podSecurityContext = security.pod;
    const uniquePull = [...new Set(secrets.pullSecrets)];
    let spec: k8s.core.v1.PodSpec = compact({
        restartPolicy: ctx.restartPolicy,
        serviceAccountName: o.serviceAccountName ?? cfg.serviceAccountName,
        imagePullSecrets: uniquePull.length ? uniquePull.map((name) => ({ name })) : undefined,
        nodeSelector: Object.keys(nodeSelector).length ? nodeSelector : undefined,
        tolerations: tolerations.length ? tolerations : undefined,
        affinity: o.affinity,
        priorityClassName: o.priorityClassName,
        runtimeClassName: o.runtimeClassName,
        topologySpreadConstraints: o.topologySpreadConstraints,
        terminationGracePeriodSeconds: o.terminationGracePeriodSeconds,
        securityContext:
            podSecurityContext && Object.keys(podSecurityContext).length
                ? (podSecurityContext as k8s.core.v1.PodSecurityContext)
                : undefined,
        containers: [container],
        volumes: pv.volumes.length ? pv.volumes : undefined,
    });
    if (o.podPatch) spec = strategicMerge(spec, o.podPatch);
    if (gpuToleration)
        spec = {
            ...spec,
            tolerations: withToleration(spec.tolerations as k8s.core.v1.Toleration[] | undefined, gpuToleration),
        };
    const sources = podSources(o, ctx, cfg);
    if (!ctx.patchedLater) issues.push(...finalPodIssues(spec, sources));

    const annotations = { ...o.podAnnotations, ...secrets.checksums };
    return {
        template: {
            metadata: compact({
                labels: { ...labelsOf(ctx.component, ctx.objectName, cfg.labels, o.podLabels), ...ctx.selectorLabels },
                annotations: Object.keys(annotations).length ? annotations : undefined,
            }),
            spec,
        },
        dependencies: [...new Set(dependencies)],
        gpu,
        gpuToleration,
        singleAttachClaims,
        sources,
    };
}

/**
 * What the user wrote of the pod, in merge order: the security contexts (merged over the defaults, at
 * containerSecurityContext / securityContext), then podPatch, whose values the profile's podPatch
 * (merged under it by applyStackDefaults) may have given.
 */
function podSources(o: PodInput, ctx: PodContext, cfg: PodConfig): PodSource[] {
    const args: PodSource = {
        spec: {
            securityContext: o.securityContext,
            containers: [{ name: ctx.containerName, securityContext: o.containerSecurityContext }],
        },
        at: (p) =>
            p[0] !== "containers"
                ? p
                : p[2] === "securityContext"
                  ? ["containerSecurityContext", ...p.slice(3)]
                  : undefined,
    };
    if (!o.podPatch) return [args];
    const profile =
        typeof o.profile === "string" && cfg.profiles && Object.hasOwn(cfg.profiles, o.profile)
            ? cfg.profiles[o.profile]
            : undefined;
    const fromProfile =
        profile && Object.hasOwn(profile, "podPatch")
            ? patchSource(profile.podPatch, ["mlkube:profiles", o.profile!, "podPatch"])
            : undefined;
    return [args, patchSource(o.podPatch, ["podPatch"], fromProfile)];
}
