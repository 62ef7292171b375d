/**
 * The TrainJob backends by name. Adding one: a file exporting a `Backend` (see backend.ts), its name in
 * `TRAINJOB_BACKENDS` (spec.ts), and one line here — the compiler holds the three together.
 */
import type { Backend } from "./backend";
import { jobBackend } from "./job";
import { jobsetBackend } from "./jobset";
import { kubeflowBackend } from "./kubeflow";
import type { TrainJobBackend } from "./spec";

/** @internal */
export const BACKENDS: { readonly [K in TrainJobBackend]: Backend<K> } = {
    jobset: jobsetBackend,
    kubeflow: kubeflowBackend,
    job: jobBackend,
};

/** The backend `backend` names (default jobset); undefined for a name that is not a backend (the schema reports it). @internal */
export function backendNamed(backend: unknown): Backend | undefined {
    const key = backend === undefined ? "jobset" : backend;
    return typeof key === "string" && Object.hasOwn(BACKENDS, key) ? BACKENDS[key as TrainJobBackend] : undefined;
}
