/**
 * The content checksum of a Secret: the value of the `checksum.mlkube.dev/<secret>` pod annotation that
 * rolls a workload's pods when a Secret changes, and of `Secret.checksum`. Both are readable by anyone
 * who can read a Deployment or the stack's outputs, so the checksum is an HMAC-SHA256 under a key that
 * never appears in plain text: an unkeyed hash of a low-entropy value (a short password) could be
 * confirmed offline by hashing guesses. See docs/concepts/secret.md ("The checksum") for the threat model.
 *
 * The key, in order:
 * 1. `mlkube:checksumKey`, a secret stack config value (`pulumi config set --secret mlkube:checksumKey
 *    "$(openssl rand -hex 32)"`): for teams that want one key they manage. A plain-text (non-secret) or
 *    short value is refused.
 * 2. Without it (the default): 32 random bytes generated on the stack's first `pulumi up` and kept in the
 *    stack's state as a secret, in one `pulumi:index:Stash` resource per stack (`mlkube-checksum-key`,
 *    the engine's own builtin: no provider, works from every language, the plugin included). Later runs
 *    generate a new candidate, which `ignoreChanges` discards: the Stash keeps its first value, so
 *    checksums are stable across runs and previews stay empty.
 * 3. `mlkube render` (offline, no state, `secure:` config never decrypted): no key at all; the annotation
 *    renders as {@link RENDERED_CHECKSUM}, so rendered YAML says nothing about secret content.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { MlkubeValidationError } from "../errors";

/** The stack config key of the checksum key. */
export const CHECKSUM_KEY_CONFIG = "mlkube:checksumKey";
/** The shortest `mlkube:checksumKey` accepted (characters). */
export const MIN_CHECKSUM_KEY_LENGTH = 16;
/** The name of the per-stack Stash resource that keeps the generated key. */
export const CHECKSUM_KEY_STASH = "mlkube-checksum-key";
/** What a checksum renders as in `mlkube render` (no key offline; see the file comment). */
export const RENDERED_CHECKSUM = "<set at deploy>";
/** Domain separation: a key of these checksums is used for nothing else. */
const PURPOSE = "mlkube.dev/secret-checksum/v2";
/**
 * Set (to true) on `globalThis` while `mlkube render` runs a program. A global symbol, not a module
 * variable: the program may load another copy of mlkube than the renderer's.
 */
const RENDERING = Symbol.for("mlkube.rendering");

/** Marks (or unmarks) an offline render in progress. @internal */
export function setRendering(on: boolean): void {
    (globalThis as Record<symbol, unknown>)[RENDERING] = on || undefined;
}

/** Whether `mlkube render` is running the program. @internal */
export function isRendering(): boolean {
    return (globalThis as Record<symbol, unknown>)[RENDERING] === true;
}

/**
 * The stashed key of each deployment. A program (or the plugin) process runs one deployment, so the
 * project and stack name it; under mocks (unit tests, several programs in one process) each
 * `setMocks` installs a new monitor, which names it.
 */
const stashed = new Map<unknown, pulumi.Output<string>>();
/**
 * The HMAC key of this program's checksums (see the file comment): a Buffer (configured), an Output
 * (the per-stack key in state, hex: Buffers do not survive `pulumi.all`) or undefined (rendering offline). Throws MlkubeValidationError when
 * `mlkube:checksumKey` is set in plain text or too short; the message never contains the value.
 * @internal
 */
export function checksumKey(): Buffer | pulumi.Output<string> | undefined {
    if (isRendering()) return undefined;
    const raw = pulumi.runtime.getConfig(CHECKSUM_KEY_CONFIG);
    const stack = pulumi.getStack();
    if (raw !== undefined) {
        const problem = !isSecretConfig(CHECKSUM_KEY_CONFIG)
            ? `is stored in plain text (in Pulumi.${stack}.yaml), so it keeps nothing secret; set it as a secret: pulumi config set --secret ${CHECKSUM_KEY_CONFIG} "$(openssl rand -hex 32)", or remove it (mlkube then keeps a random key in the stack's state)`
            : raw.length < MIN_CHECKSUM_KEY_LENGTH
              ? `is ${raw.length} characters, too short for a key; use at least ${MIN_CHECKSUM_KEY_LENGTH} random characters: pulumi config set --secret ${CHECKSUM_KEY_CONFIG} "$(openssl rand -hex 32)"`
              : undefined;
        if (problem)
            throw new MlkubeValidationError("Stack config", stack, [{ path: [CHECKSUM_KEY_CONFIG], message: problem }]);
        return crypto.createHmac("sha256", raw).update(PURPOSE).digest();
    }
    return stashedKey();
}

/** The per-stack key kept in the state (one Stash per deployment, registered by the first Secret that needs it). */
function stashedKey(): pulumi.Output<string> {
    const monitor = pulumi.runtime.getMonitor();
    const id = monitor?.constructor?.name === "MockMonitor" ? monitor : `${pulumi.getProject()}\0${pulumi.getStack()}`;
    let key = stashed.get(id);
    if (!key) {
        const stash = new pulumi.Stash(
            CHECKSUM_KEY_STASH,
            // A fresh candidate every run; ignoreChanges keeps the first one (the engine then diffs nothing).
            { input: pulumi.secret(crypto.randomBytes(32).toString("hex")) },
            { ignoreChanges: ["input"], additionalSecretOutputs: ["input", "output"] },
        );
        // `output` is what the engine kept; mocks (unit tests) echo only the inputs.
        key = pulumi.all([stash.output, stash.input]).apply(([kept, candidate]) =>
            crypto
                .createHmac("sha256", String(kept ?? candidate))
                .update(PURPOSE)
                .digest("hex"),
        );
        stashed.set(id, key);
    }
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
export function contentChecksum(data: Record<string, string>, key: Buffer): string {
    const h = crypto.createHmac("sha256", key);
    // Keys are Secret keys (no NUL) and values base64 (no NUL): the encoding is unambiguous.
    for (const k of Object.keys(data).sort()) h.update(k).update("\0").update(data[k]).update("\0");
    return h.digest("hex").slice(0, 16);
}

/**
 * The checksum of data that may be an Output, under a key that may be one (or none: rendering). Never
 * secret itself: the HMAC reveals nothing without the key.
 * @internal
 */
export function checksumOf(
    data: Record<string, string> | pulumi.Output<Record<string, string>>,
    key: Buffer | pulumi.Output<string> | undefined,
): pulumi.Input<string> {
    if (key === undefined) return RENDERED_CHECKSUM;
    if (!pulumi.Output.isInstance(key))
        return pulumi.Output.isInstance(data)
            ? pulumi.unsecret(data.apply((d) => contentChecksum(d, key)))
            : contentChecksum(data, key);
    // Nested applies, not pulumi.all: all() deep-walks its inputs and costs ~120 more promises per Secret (issue 27).
    const withKey = (d: Record<string, string>) => key.apply((k) => contentChecksum(d, Buffer.from(k, "hex")));
    return pulumi.unsecret(pulumi.Output.isInstance(data) ? data.apply(withKey) : withKey(data));
}
