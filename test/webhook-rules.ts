/**
 * What the JobSet and Kubeflow Trainer admission webhooks (JobSet v0.12, Trainer v2.3) and the CRDs'
 * CEL rules refuse when a JobSet or TrainJob is created, for the checker (test/conformance.ts).
 * Calibrated against the real webhooks by test/cluster/calibration.test.ts.
 */

import { isDnsSubdomain, isObj, list, num, str } from "./server-rules";

type Any = any;

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const isDns1035 = (s: string) => s.length <= 63 && DNS1035_LABEL.test(s);
const DOMAIN_PREFIXED_PATH = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/\S+$/;

/** The JobSet webhook's ValidateCreate (after its defaulting: completionMode Indexed, groupName "default"). */
function jobSetErrors(o: Any): string[] {
    const s = o.spec;
    if (!isObj(s)) return [];
    const errs: string[] = [];
    const name = String(o.metadata?.name ?? "");
    const rjobs = list(s.replicatedJobs);
    if (rjobs[0]?.dependsOn !== undefined && rjobs[0]?.dependsOn !== null)
        errs.push("spec.replicatedJobs[0].dependsOn: DependsOn can't be set for the first ReplicatedJob");
    const sub = s.network?.subdomain;
    if (typeof sub === "string" && sub !== "" && !(isDnsSubdomain(sub) && isDns1035(sub)))
        errs.push(
            `spec.network.subdomain: ${str(sub)} must be a DNS-1035 label (≤ 63 characters, starting with a letter)`,
        );
    if (
        s.managedBy !== undefined &&
        (typeof s.managedBy !== "string" || !DOMAIN_PREFIXED_PATH.test(s.managedBy) || s.managedBy.length > 63)
    )
        errs.push(`spec.managedBy: ${str(s.managedBy)} must be a domain-prefixed path of at most 63 characters`);
    const names = new Set<string>();
    rjobs.forEach((rj, i) => {
        const at = `spec.replicatedJobs[${i}]`;
        const replicas = num(rj?.replicas) ?? 1;
        const parallelism = num(rj?.template?.spec?.parallelism) ?? 1;
        if (replicas * parallelism > 2147483647)
            errs.push(`${at}: the product of replicas and parallelism must not exceed 2147483647`);
        const group = rj?.groupName ?? "default";
        if (!isDns1035(String(group)))
            errs.push(`${at}.groupName: ${str(group)} must be a DNS-1035 label (≤ 63 characters)`);
        const jobName = `${name}-${String(rj?.name)}-${replicas - 1}`;
        if (!isDns1035(jobName))
            errs.push(
                `${at}: the Job names of this JobSet (${str(jobName)}) must be DNS-1035 labels of at most 63 characters (JobSet name too long, or not starting with a letter)`,
            );
        const mode = rj?.template?.spec?.completionMode ?? "Indexed";
        const completions = num(rj?.template?.spec?.completions);
        if (mode === "Indexed" && completions !== undefined) {
            const podName = `${jobName}-${completions - 1}-abcde`;
            if (!isDns1035(podName))
                errs.push(
                    `${at}: the pod names of this JobSet (${str(podName)}) must be DNS-1035 labels of at most 63 characters`,
                );
        }
        const dep = list(rj?.dependsOn)[0];
        if (dep !== undefined && !names.has(dep?.name))
            errs.push(
                `${at}.dependsOn: replicatedJob ${str(rj?.name)} cannot depend on replicatedJob ${str(dep?.name)}`,
            );
        names.add(rj?.name);
    });
    for (const t of list(s.successPolicy?.targetReplicatedJobs))
        if (!names.has(t))
            errs.push(`spec.successPolicy.targetReplicatedJobs: ${str(t)} does not appear in .spec.replicatedJobs`);
    const ruleNames = new Set<string>();
    list(s.failurePolicy?.rules).forEach((r, i) => {
        const rn = String(r?.name ?? `failurePolicyRule${i}`);
        if (!/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/.test(rn) || rn.length > 128)
            errs.push(`spec.failurePolicy.rules[${i}].name: ${str(rn)} is not a valid rule name`);
        if (ruleNames.has(rn)) errs.push(`spec.failurePolicy.rules[${i}].name: rule names are not unique (${str(rn)})`);
        ruleNames.add(rn);
        for (const t of list(r?.targetReplicatedJobs))
            if (!names.has(t))
                errs.push(
                    `spec.failurePolicy.rules[${i}].targetReplicatedJobs: ${str(t)} does not appear in .spec.replicatedJobs`,
                );
    });
    if (s.startupPolicy?.startupPolicyOrder === "InOrder" && rjobs.some((rj) => rj?.dependsOn !== undefined))
        errs.push("spec: StartupPolicy and DependsOn APIs are mutually exclusive");
    return errs;
}

/** torchrun's reserved env names (Trainer `constants.TorchRunReservedEnvNames`). */
const TORCHRUN_RESERVED = new Set([
    "PET_NNODES",
    "PET_NPROC_PER_NODE",
    "PET_NODE_RANK",
    "PET_MASTER_ADDR",
    "PET_MASTER_PORT",
]);
/** ClusterTrainingRuntimes with the Torch ML policy (the local cluster installs torch-distributed). */
const TORCH_RUNTIMES = new Set(["torch-distributed"]);

/** The TrainJob CRD's CEL rules on create and the Trainer webhook (torch plugin: reserved env names). */
function trainJobErrors(o: Any): string[] {
    const errs: string[] = [];
    const name = o.metadata?.name;
    if (typeof name === "string" && !(name.length <= 63 && DNS1035_LABEL.test(name)))
        errs.push(
            `metadata.name: ${str(name)} must match RFC 1035 DNS label format (≤ 63 characters, starting with a letter)`,
        );
    const s = o.spec;
    if (!isObj(s)) return errs;
    if (
        s.managedBy !== undefined &&
        !["trainer.kubeflow.org/trainjob-controller", "kueue.x-k8s.io/multikueue"].includes(s.managedBy)
    )
        errs.push(
            `spec.managedBy: ManagedBy must be trainer.kubeflow.org/trainjob-controller or kueue.x-k8s.io/multikueue if set`,
        );
    for (const k of ["dataset", "model"]) {
        const uri = s.initializer?.[k]?.storageUri;
        if (typeof uri === "string" && uri !== "" && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\/.+$/.test(uri))
            errs.push(
                `spec.initializer.${k}.storageUri: storageUri may be empty, or it must be a valid URI (scheme://...)`,
            );
    }
    list(s.runtimePatches).forEach((p, i) => {
        if (typeof p?.manager !== "string" || !DOMAIN_PREFIXED_PATH.test(p.manager))
            errs.push(
                `spec.runtimePatches[${i}].manager: ${str(p?.manager)} must be a domain-prefixed path (such as "acme.io/foo")`,
            );
    });
    const trainer = s.trainer;
    if (isObj(trainer) && trainer.numProcPerNode !== undefined && TORCH_RUNTIMES.has(s.runtimeRef?.name)) {
        const reserved = list(trainer.env)
            .map((e) => e?.name)
            .filter((n) => TORCHRUN_RESERVED.has(n));
        if (reserved.length)
            errs.push(`spec.trainer.env: must not have reserved envs, invalid envs configured: ${reserved.join(", ")}`);
    }
    return errs;
}

/** The webhooks' and CEL rules' refusals of a JobSet or TrainJob (none for other kinds). */
export function webhookErrors(o: Any): string[] {
    if (!isObj(o)) return [];
    if (o.kind === "JobSet") return jobSetErrors(o);
    if (o.kind === "TrainJob") return trainJobErrors(o);
    return [];
}
