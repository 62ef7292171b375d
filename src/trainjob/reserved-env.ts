/**
 * The environment names a TrainJob sets itself, refused wherever a user could set them: in `env` and as
 * keys of env-mounted Secrets, on every backend. One rule (reservedEnvMessage), used for both.
 *
 * - PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT: the Kubeflow torch
 *   plugin's (mlkube sets them itself on jobset/job); the Trainer's webhook rejects them in
 *   `spec.trainer.env` ("must not have reserved envs"), where env-mounted Secret keys end up on kubeflow.
 * - MASTER_ADDR, MASTER_PORT, NODE_RANK: mlkube's, on every backend. As an env-mounted Secret key such a
 *   name would be silently shadowed (a container's env wins over envFrom) or dropped (kubeflow).
 * Not WORLD_SIZE/RANK: torchrun sets those per worker and mlkube neither sets nor reserves them.
 */
import * as pulumi from "@pulumi/pulumi";
import { MlkubeValidationError, ValidationIssue } from "../errors";
import { bindingOf, Secret, SecretLike, SecretReference } from "../secret/secret";
import { PET_ENV, RESERVED_ENV_FIX, TORCH_ENV, TRAINJOB_COMPONENT } from "./common";

/** Every name a TrainJob reserves, on every backend. */
export const RESERVED_ENV: readonly string[] = [...PET_ENV, ...TORCH_ENV];
const RESERVED = new Set(RESERVED_ENV);

/** Why `name` is reserved (the part after "is reserved: "), ending with `fix`; undefined when it is not. */
export function reservedEnvMessage(
    name: string,
    kubeflow: boolean,
    fix: string = RESERVED_ENV_FIX[name],
): string | undefined {
    if (!RESERVED.has(name)) return undefined;
    return `TrainJob sets the torch rendezvous variables (${RESERVED_ENV.join(", ")}) itself${kubeflow && PET_ENV.includes(name) ? " and the Kubeflow Trainer rejects PET_* in spec.trainer.env" : ""}; ${fix}`;
}

/** The issue for key `key` of env-mounted Secret `secretName` (secrets[i]), or undefined. Names the key, never a value. */
function secretKeyIssue(secretName: string, key: string, i: number, kubeflow: boolean): ValidationIssue | undefined {
    const why = reservedEnvMessage(key, kubeflow, `rename the key, or mount the Secret as files (mount: "files")`);
    return why === undefined
        ? undefined
        : {
              path: ["secrets", i],
              message: `Secret ${JSON.stringify(secretName)} holds key ${JSON.stringify(key)}, which is reserved: ${why}`,
          };
}

/** The key names of a Secret or reference: known now, known when an Output resolves, or unknown (undefined). */
export function secretKeyNames(s: SecretLike): readonly string[] | pulumi.Output<string[]> | undefined {
    if (s instanceof Secret) return s.keyNames ?? s.keys;
    if (s instanceof SecretReference) return s.keyNames;
    return undefined;
}

/**
 * For each entry of `secrets` mounted as env (envFrom): its keys, checked against the reserved names.
 * Keys known now add their issues to `issues`; keys that come from an Output are returned as an Output
 * that fails the update with the same message when they resolve (the caller puts it in the object).
 * Entries not mounted as env, or whose keys are unknown, are undefined.
 */
export function checkedEnvSecretKeys(
    name: string,
    secrets: readonly unknown[] | undefined,
    kubeflow: boolean,
    issues: ValidationIssue[],
): (readonly string[] | pulumi.Output<string[]> | undefined)[] {
    return (secrets ?? []).map((s, i) => {
        const b = bindingOf(s as SecretLike);
        if (b.kind !== "env") return undefined;
        const keys = secretKeyNames(s as SecretLike);
        if (keys === undefined) return undefined;
        if (!pulumi.Output.isInstance(keys)) {
            for (const k of keys) {
                const issue = secretKeyIssue(b.secretName, k, i, kubeflow);
                if (issue) issues.push(issue);
            }
            return keys;
        }
        return keys.apply((ks) => {
            const found = ks
                .map((k) => secretKeyIssue(b.secretName, k, i, kubeflow))
                .filter((x): x is ValidationIssue => x !== undefined);
            if (found.length) throw new MlkubeValidationError(TRAINJOB_COMPONENT, name, found);
            return ks;
        });
    });
}
