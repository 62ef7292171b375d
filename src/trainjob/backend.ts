/**
 * The contract every TrainJob backend keeps. A backend is one file (jobset.ts, kubeflow.ts, job.ts) that
 * exports one `Backend`, plus one line in `BACKENDS` (backends.ts); the component finds it by name.
 */
import { ValidationIssue } from "../errors";
import type { RenderedTrainJob, TrainJobBackend, ValidatedTrainJobArgs } from "./spec";

/** The longest name a job of `numNodes` nodes produces (must fit in 63 characters), and how to say it. */
export type LongestName = (objectName: string, numNodes: number) => { name: string; what: string } | undefined;

/** One way of running a TrainJob. @internal */
export interface Backend<N extends TrainJobBackend = TrainJobBackend> {
    /** The `backend` value that picks it. */
    readonly name: N;
    /** The controller refuses the PET_* torch variables in the job's env (the Kubeflow Trainer's webhook does). */
    readonly refusesPetEnv: boolean;
    /**
     * The backend's own rules over the raw args (fields that only it takes or refuses), written defensively
     * (a field may be malformed): they run even when the fields do not validate, so every problem is reported at once.
     */
    rules(raw: Record<string, unknown>): ValidationIssue[];
    /** Its rules over validated args that need the values (initializer volumes, the runtime). Default: none. */
    check?(a: ValidatedTrainJobArgs): ValidationIssue[];
    /** The longest generated name, when it is not the pod hostname of the last node (`<name>-node-0-<n>`). */
    readonly longestName?: LongestName;
    /** The job object for validated args (pure); throws MlkubeValidationError with every problem it finds. */
    render(name: string, objectName: string, a: ValidatedTrainJobArgs): RenderedTrainJob;
}
