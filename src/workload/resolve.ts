/**
 * From validated PodOptions to the pod builder's plain input: Volumes, references and claim names become
 * claim mounts, Secrets, references and names become bindings (./refs in src/pod), and the stack
 * configuration goes into the context. Compute and TrainJob build their pods through here.
 */
import { mlkubeConfig } from "../config";
import { ValidationIssue } from "../errors";
import { Agree, schemaMatches } from "../schema/input";
import * as builder from "../pod/builder";
import type { BuiltPod, PodConfig, PodContext, PodInput } from "../pod/builder";
import { bindingOf } from "../secret/secret";
import { claimMountOf } from "../volume";
import type { ValidatedPodOptions, VolumeMountSpec } from "./options";

/** A pod context without the configuration, which defaults to the stack's (`mlkubeConfig()`). */
export type WorkloadPodContext = Omit<PodContext, "config"> & { config?: PodConfig };

/** `o` with its Volumes and Secrets resolved into the builder's plain structures. @internal */
export function resolvePodOptions(o: ValidatedPodOptions): PodInput {
    const { volumes, secrets, imagePullSecrets, ...rest } = o;
    const resolvedSecrets = secrets?.map((s) => bindingOf(s));
    const resolvedVolumes = volumes?.map((entry) => {
        const spec: VolumeMountSpec =
            typeof entry === "object" && entry !== null && "volume" in entry ? entry : { volume: entry };
        return {
            claim: claimMountOf(spec.volume),
            mountPath: spec.mountPath,
            subPath: spec.subPath,
            readOnly: spec.readOnly,
        };
    });
    const pullSecrets = imagePullSecrets?.map((s) => ({ binding: bindingOf(s), byName: typeof s === "string" }));
    return { ...rest, volumes: resolvedVolumes, secrets: resolvedSecrets, imagePullSecrets: pullSecrets };
}

function podContext(ctx: WorkloadPodContext): PodContext {
    return { ...ctx, config: ctx.config ?? mlkubeConfig() };
}

/** Builds the pod of validated options `o` (see the pod builder's buildPod); throws on problems. @internal */
export function buildPod(o: ValidatedPodOptions, ctx: WorkloadPodContext): BuiltPod {
    const full = podContext(ctx);
    return builder.buildPod(resolvePodOptions(o), full);
}

/** Builds the pod of validated options `o`, returning its problems (see the pod builder's tryBuildPod). @internal */
export function tryBuildPod(
    o: ValidatedPodOptions,
    ctx: WorkloadPodContext,
): { pod: BuiltPod; issues: ValidationIssue[] } {
    const full = podContext(ctx);
    return builder.tryBuildPod(resolvePodOptions(o), full);
}

// Every pod option reaches the builder: PodInput (src/pod/input.ts) lists exactly the options' fields, less
// `defaultMounts` (the stack defaults resolve it before the builder runs) and the object-level `labels` and
// `annotations` (the components put them on their objects). A field added to only one of the two fails here.
schemaMatches<Agree<keyof PodInput, Exclude<keyof ValidatedPodOptions, "defaultMounts" | "labels" | "annotations">>>();
