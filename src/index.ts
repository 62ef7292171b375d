/**
 * mlkube: Pulumi components for ML workloads on Kubernetes.
 *
 *     import * as mlkube from "mlkube";
 *     const cache = new mlkube.Volume("model-cache", { size: "200Gi", accessMode: "ReadWriteMany" });
 *     const hf = new mlkube.Secret("hf", { provider: "huggingface" });
 *     new mlkube.Compute("llm", { image: "vllm/vllm-openai:v0.6.0", volumes: [cache], secrets: [hf], ports: [{ port: 8000 }] });
 */
export { Volume, VolumeArgs, VolumeReference, VolumeReferenceOptions, AccessMode, ClaimMount } from "./volume";
export {
    Secret,
    SecretArgs,
    SecretReference,
    SecretReferenceOptions,
    SecretKeyRef,
    SecretBinding,
    SecretMount,
    GitSshArgs,
    PROVIDERS,
    SecretProvider,
    ProviderOptions,
} from "./secret";
export {
    Compute,
    ComputeArgs,
    PortSpec,
    ProbeSpec,
    AutoscalingSpec,
    DeploymentStrategy,
    DisruptionBudgetSpec,
} from "./compute";
export {
    PodOptions,
    Resources,
    ResourceLimits,
    VolumeMountSpec,
    EmptyDirSpec,
    EphemeralVolumeSpec,
    TmpfsSpec,
    PodPatch,
    FieldRef,
    EnvValue,
    GpuVendor,
    PreStopSpec,
} from "./workload/options";
export { strategicMerge } from "./pod/merge";
export { MlkubeValidationError, ValidationIssue } from "./errors";
export { MlkubeComponent, ComponentHead } from "./base";
export { mlkubeConfig, MlkubeConfig } from "./config";
export * from "./trainjob";
