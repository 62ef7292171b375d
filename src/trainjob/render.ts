/**
 * TrainJob args to a Kubernetes object, without Pulumi resources: validation of every field, the rules
 * between fields (common ones and the chosen backend's), and the backend's render, found by name in
 * `BACKENDS`. Pure: the component (component.ts), the renderer and the tests call it.
 */
import { z } from "zod";
import { lazy } from "../schema/lazy";
import { mlkubeConfig } from "../config";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { applyStackDefaults } from "../workload/defaults";
import { Agree, Resolved, schemaMatches, validateAndRender } from "../schema/input";
import { backendNamed } from "./backends";
import { nameIssues, TRAINJOB_COMPONENT } from "./common";
import { commonRuleIssues } from "./rules";
import { RenderedTrainJob, TrainJobArgs, trainJobFieldsSchema, ValidatedTrainJobArgs } from "./spec";

/**
 * The rules that tie TrainJob fields together: the backend's own, then those of every backend. Written over
 * the raw args, so they run even when some field is malformed: every problem is reported at once.
 * @internal
 */
export function trainJobRuleIssues(raw: unknown): ValidationIssue[] {
    if (!raw || typeof raw !== "object") return [];
    const a = raw as Record<string, unknown>;
    const backend = backendNamed(a.backend);
    return [...(backend?.rules(a) ?? []), ...commonRuleIssues(a, backend?.refusesPetEnv ?? false)];
}

/** TrainJobArgs: the fields and the rules between them. @internal */
export const trainJobArgsSchema = lazy(() =>
    trainJobFieldsSchema().superRefine((a, ctx) => {
        for (const i of trainJobRuleIssues(a)) ctx.addIssue({ code: "custom", path: [...i.path], message: i.message });
    }),
);
schemaMatches<Agree<Resolved<TrainJobArgs>, z.input<ReturnType<typeof trainJobArgsSchema>>>>();

/** Validates names and renders the object for validated args (pure; used by the component and tests). @internal */
export function renderTrainJob(name: string, args: ValidatedTrainJobArgs): RenderedTrainJob {
    const backend = backendNamed(args.backend)!;
    const objectName = args.name ?? name;
    const issues: ValidationIssue[] = nameIssues(
        objectName,
        args.numNodes ?? 1,
        args.name === undefined ? [] : ["name"],
        backend.longestName,
    );
    // Kueue: the stack default applies unless the job opts out; then suspend belongs to Kueue.
    const queue = args.queue === false ? undefined : (args.queue ?? mlkubeConfig().queue);
    const a: ValidatedTrainJobArgs = { ...args, queue: queue ?? undefined };
    if (queue && args.suspend !== undefined) {
        issues.push({
            path: ["suspend"],
            message: `is decided by Kueue for a queued job (queue ${JSON.stringify(queue)}): mlkube creates it suspended and Kueue resumes it on admission; remove suspend, or set queue: false`,
        });
    }
    issues.push(...(backend.check?.(args) ?? []));
    if (!queue && args.priorityClass !== undefined) {
        issues.push({
            path: ["priorityClass"],
            message: `only applies to a queued job (a Kueue WorkloadPriorityClass); set queue (or the stack default mlkube:queue), or use priorityClassName for the pods' PriorityClass`,
        });
    }
    try {
        const r = backend.render(name, objectName, a);
        // Once Kueue resumes the job, the next update must not suspend it again: with server-side apply the
        // provider drops an ignored field that another manager (Kueue) now owns from the applied object
        // (pulumi-kubernetes await.go handleSSAIgnoreFields), so there is neither a diff nor a conflict.
        if (!issues.length) return queue ? { ...r, ignoreChanges: ["spec.suspend"] } : r;
    } catch (e) {
        if (!(e instanceof MlkubeValidationError)) throw e;
        issues.push(...e.issues);
    }
    throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, issues);
}

/**
 * Validates and renders TrainJob args, reporting every problem at once: malformed fields, the rules
 * between fields, and (when the fields are well-formed) what the pod builder and the backend find.
 * @internal
 */
export function validateAndRenderTrainJob(
    name: string,
    args: unknown,
): { a: ValidatedTrainJobArgs; r: RenderedTrainJob } {
    // Stack profiles, default mounts and default requests first: the merged args are validated as written.
    return validateAndRender(
        TRAINJOB_COMPONENT,
        name,
        trainJobFieldsSchema(),
        trainJobRuleIssues,
        applyStackDefaults(TRAINJOB_COMPONENT, name, args, "resourcesPerNode"),
        (a) => renderTrainJob(name, a),
    );
}
