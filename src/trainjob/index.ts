export { TrainJob } from "./component";
export { TrainJobArgs, TrainJobBackend, TrainJobPort, RuntimeRef, TRAINJOB_TYPE } from "./spec";
export {
    RuntimePatch,
    TrainingRuntimeSpecPatch,
    JobSetTemplatePatch,
    JobSetSpecPatch,
    ReplicatedJobPatch,
    JobTemplatePatch,
    JobSpecPatch,
    PodTemplatePatch,
    PodSpecPatch,
    ContainerPatch,
    PatchMetadata,
    MLKUBE_MANAGER,
    serializePatch,
} from "./patches";
export { TrainJobFailedError, MASTER_PORT } from "./common";
export { JOBSET_IMMUTABLE } from "./jobset";
export { TRAINJOB_IMMUTABLE, DEFAULT_RUNTIME } from "./kubeflow";
export { JOB_IMMUTABLE } from "./job";
export { Initializers, InitializerSource, INITIALIZER_PATHS } from "./initializer";
