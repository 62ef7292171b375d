/** Secrets in the pod: as env (envFrom), as files (a secret volume), as git-ssh keys or as image pull secrets. */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes/types/input";
import { ValidationIssue } from "../errors";
import { compact, InputMap } from "../plain";
import type { PodContext } from "./context";
import type { PodInput } from "./input";
import { PodVolumes, volumeName } from "./volumes";

/** The pod template annotation that carries a digest of Secret `secretName`'s content. */
export function checksumKey(secretName: string): string {
    const key = `checksum.mlkube.dev/${secretName}`;
    return secretName.length <= 63 ? key : `checksum.mlkube.dev/${volumeName("", secretName)}`;
}

/** What the Secrets add to the pod besides volumes and mounts. */
export interface PodSecrets {
    envFrom: k8s.core.v1.EnvFromSource[];
    /** Env vars the Secrets need (GOOGLE_APPLICATION_CREDENTIALS, GIT_SSH_COMMAND), unless the user sets them. */
    secretEnv: Record<string, string>;
    /** Image pull secret names: the stack's, the Secrets', then `imagePullSecrets`. */
    pullSecrets: string[];
    /** Pod template annotations with each mounted Secret's digest (when the pods roll on a change). */
    checksums: InputMap;
}

/** Mounts `secrets` and lists `imagePullSecrets` (a named Secret there must be a registry credential). */
export function mountSecrets(
    o: PodInput,
    ctx: PodContext,
    pv: PodVolumes,
    defaultFileMode: number,
    dependencies: pulumi.Resource[],
    issues: ValidationIssue[],
): PodSecrets {
    const envFrom: k8s.core.v1.EnvFromSource[] = [];
    const secretEnv: Record<string, string> = {};
    const pullSecrets: string[] = [...(ctx.config.imagePullSecrets ?? [])];
    const checksums: InputMap = {};
    const roll = ctx.rollOnSecretChange !== false;
    (o.secrets ?? []).forEach((b, i) => {
        if (b.resource) dependencies.push(b.resource);
        pv.sameNamespace(b.namespace, `Secret ${JSON.stringify(b.secretName)}`, ["secrets", i]);
        if (b.kind === "env") envFrom.push({ secretRef: { name: b.secretName } });
        else if (b.kind === "imagePull") pullSecrets.push(b.secretName);
        else {
            const vname = volumeName("secret-", b.secretName);
            pv.addVolume(
                {
                    name: vname,
                    secret: compact({
                        secretName: b.secretName,
                        defaultMode: b.fileMode ?? defaultFileMode,
                        items: b.items,
                    }),
                },
                ["secrets", i],
            );
            pv.addMount({ name: vname, mountPath: b.mountPath, readOnly: true }, ["secrets", i]);
        }
        Object.assign(secretEnv, b.env);
        if (b.checksum && b.kind !== "imagePull" && roll) checksums[checksumKey(b.secretName)] = b.checksum;
    });
    (o.imagePullSecrets ?? []).forEach(({ binding: b, byName }, i) => {
        if (b.resource) dependencies.push(b.resource);
        if (!byName && b.kind !== "imagePull") {
            issues.push({
                path: ["imagePullSecrets", i],
                message: `Secret ${JSON.stringify(b.secretName)} is not a registry credential; use a Secret with provider: "docker" or Secret.existing(name, { imagePull: true })`,
            });
        }
        pullSecrets.push(b.secretName);
    });
    return { envFrom, secretEnv, pullSecrets, checksums };
}
