/**
 * mlkube: Pulumi components for ML workloads on Kubernetes.
 *
 *     import * as mlkube from "mlkube";
 *     const cache = new mlkube.Volume("model-cache", { size: "200Gi", accessMode: "ReadWriteMany" });
 *     const hf = new mlkube.Secret("hf", { provider: "huggingface" });
 *     new mlkube.Compute("llm", { image: "vllm/vllm-openai:v0.6.0", volumes: [cache], secrets: [hf], ports: [{ port: 8000 }] });
 */
export { Volume, VolumeArgs, VolumeReference, AccessMode, ClaimMount, volumeArgsSchema, renderClaim } from "./volume";
export { Secret, SecretArgs, SecretReference, SecretKeyRef, SecretBinding, SecretMount, GitSshArgs, secretArgsSchema, renderSecret, PROVIDERS, SecretProvider, ProviderOptions } from "./secret";
export { Compute, ComputeArgs, PortSpec, ProbeSpec, AutoscalingSpec, DisruptionBudgetSpec, computeArgsSchema, renderCompute } from "./compute";
export { PodOptions, Resources, ResourceLimits, VolumeMountSpec, EmptyDirSpec, EphemeralVolumeSpec, TmpfsSpec, PodPatch, FieldRef, EnvValue, GpuVendor, PreStopSpec } from "./pod/options";
export { PROFILE_MERGE, PROFILE_LABEL, ProfileField } from "./pod/defaults";
export { buildPod, PodContext, BuiltPod, SECURE_POD_CONTEXT, SECURE_CONTAINER_CONTEXT } from "./pod/builder";
export { strategicMerge } from "./pod/merge";
export { MlkubeValidationError, ValidationIssue } from "./errors";
export { mlkubeConfig, MlkubeConfig } from "./config";
export * from "./trainjob";
