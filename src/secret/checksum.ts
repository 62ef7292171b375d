/**
 * The content checksum of a Secret: the value of the `checksum.mlkube.dev/<secret>` pod annotation that
 * rolls a workload's pods when a Secret changes, and of `Secret.checksum`. Both are readable by anyone
 * who can read a Deployment or the stack's outputs, so the checksum is an HMAC-SHA256 under a key that
 * never appears in plain text: an unkeyed hash of a low-entropy value (a short password) could be
 * confirmed offline by hashing guesses. See docs/concepts/secret.md ("The checksum") for the threat model.
 *
 * The key, in order:
 * 1. `mlkube:checksumKey`, a secret stack config value (`pulumi config set --secret mlkube:checksumKey
 *    "$(openssl rand -hex 32)"`): stable across runs, per stack, encrypted by the stack's secrets
 *    provider. A plain-text (non-secret) or short value is refused.
 * 2. Without it: derived from the project and stack names. Still stable across runs and different per
 *    stack, but not secret: a warning says so once per program.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { MlkubeValidationError } from "../errors";

/** The stack config key of the checksum key. */
export const CHECKSUM_KEY_CONFIG = "mlkube:checksumKey";
/** The shortest `mlkube:checksumKey` accepted (characters). */
export const MIN_CHECKSUM_KEY_LENGTH = 16;
/** Domain separation: a key of these checksums is used for nothing else. */
const PURPOSE = "mlkube.dev/secret-checksum/v2";

let cache: { raw: string | undefined; project: string; stack: string; key: Buffer } | undefined;
let warned = false;

/**
 * The HMAC key of this program's checksums (see the file comment). Throws MlkubeValidationError when
 * `mlkube:checksumKey` is set in plain text or too short; the message never contains the value.
 * @internal
 */
export function checksumKey(): Buffer {
    const raw = pulumi.runtime.getConfig(CHECKSUM_KEY_CONFIG);
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    if (cache && cache.raw === raw && cache.project === project && cache.stack === stack) return cache.key;
    let key: Buffer;
    if (raw !== undefined) {
        const problem = !isSecretConfig(CHECKSUM_KEY_CONFIG)
            ? `is stored in plain text (in Pulumi.${stack}.yaml), so it keeps nothing secret; set it as a secret: pulumi config set --secret ${CHECKSUM_KEY_CONFIG} "$(openssl rand -hex 32)"`
            : raw.length < MIN_CHECKSUM_KEY_LENGTH
              ? `is ${raw.length} characters, too short for a key; use at least ${MIN_CHECKSUM_KEY_LENGTH} random characters: pulumi config set --secret ${CHECKSUM_KEY_CONFIG} "$(openssl rand -hex 32)"`
              : undefined;
        if (problem) throw new MlkubeValidationError("Stack config", stack, [{ path: [CHECKSUM_KEY_CONFIG], message: problem }]);
        key = crypto.createHmac("sha256", raw).update(PURPOSE).digest();
    } else {
        if (!warned) {
            warned = true;
            pulumi.log.warn(
                `${CHECKSUM_KEY_CONFIG} is not set: the checksums of Secrets (Secret.checksum, the checksum.mlkube.dev/* pod annotations) are keyed with the project and stack names, which are not secret, so someone who can read a Deployment could test guesses of a weak secret value offline; set a random key: pulumi config set --secret ${CHECKSUM_KEY_CONFIG} "$(openssl rand -hex 32)" (pods using Secrets roll once)`,
            );
        }
        key = crypto.createHmac("sha256", `${PURPOSE}/stack`).update(`${project}\0${stack}`).digest();
    }
    cache = { raw, project, stack, key };
    return key;
}

/** Whether config `key` is a secret (`secure:`): the SDK's own (internal) answer, as Config.getSecret uses it. */
function isSecretConfig(key: string): boolean {
    const sdk = pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean };
    // An SDK without it: accept the value (the check is a guard against a mistake, not the protection itself).
    return sdk.isConfigSecret ? sdk.isConfigSecret(key) : true;
}

/**
 * The checksum of a Secret's data (base64 values by key): 16 hex digits of an HMAC-SHA256 under
 * `key` of the keys and values in key order. Equal data gives an equal checksum; any change gives
 * another. Not secret (nothing about a value can be learnt from it without the key).
 */
export function contentChecksum(data: Record<string, string>, key: Buffer = checksumKey()): string {
    const h = crypto.createHmac("sha256", key);
    // Keys are Secret keys (no NUL) and values base64 (no NUL): the encoding is unambiguous.
    for (const k of Object.keys(data).sort()) h.update(k).update("\0").update(data[k]).update("\0");
    return h.digest("hex").slice(0, 16);
}
