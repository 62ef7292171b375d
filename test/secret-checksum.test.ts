/**
 * The Secret checksum (issue 22, item 9): an HMAC-SHA256 under the stack's checksum key, so the
 * `checksum.mlkube.dev/*` pod annotation and `Secret.checksum` cannot be used to confirm a guessed
 * secret value offline; stable across program runs (previews stay empty), different per key, and
 * changing whenever a value changes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as path from "node:path";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret } from "../src";
import { contentChecksum } from "../src/secret/secret";
import { RENDERED_CHECKSUM } from "../src/secret/checksum";
import { collect, SecretValue } from "../src/render/collect";
import { render, toObjects, toYaml } from "../src/render";
import { checksumRun } from "./checksum-program";

const KEY_CONFIG = "mlkube:checksumKey";
const KEY_A = "k3y-A-0123456789abcdef0123456789abcdef";
const KEY_B = "k3y-B-fedcba9876543210fedcba9876543210";
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The old, unkeyed checksum: what an attacker could compute from a guess. */
function unkeyed(data: Record<string, string>): string {
    const h = crypto.createHash("sha256");
    for (const k of Object.keys(data).sort()) h.update(k).update("\0").update(b64(data[k])).update("\0");
    return h.digest("hex").slice(0, 16);
}

test("the checksum of a low-entropy value is not its unkeyed SHA-256: a dictionary of guesses confirms nothing", async () => {
    const guesses = [
        "hunter2",
        "password",
        "123456",
        "letmein",
        "qwerty",
        "admin",
        "secret",
        "changeme",
        ...Array.from({ length: 500 }, (_, i) => `pass${i}`),
    ];
    for (const config of [{}, { [KEY_CONFIG]: KEY_A }] as Record<string, string>[]) {
        const { r, checksum, annotation } = await checksumRun({ DB_PASSWORD: "hunter2" }, config);
        assert.deepEqual(r.errors, []);
        assert.match(checksum!, /^[0-9a-f]{16}$/);
        assert.equal(annotation, checksum, "the pod annotation is the Secret's checksum");
        assert.notEqual(checksum, unkeyed({ DB_PASSWORD: "hunter2" }));
        const hits = guesses.filter(
            (g) =>
                unkeyed({ DB_PASSWORD: g }) === checksum ||
                crypto.createHash("sha256").update(g).digest("hex").startsWith(checksum!),
        );
        assert.deepEqual(hits, [], "no guess matches");
    }
});

test("a different key gives a different checksum; the same key the same one, whatever the stack", async () => {
    const values = { DB_PASSWORD: "hunter2" };
    const a = await checksumRun(values, { [KEY_CONFIG]: KEY_A });
    const a2 = await checksumRun(values, { [KEY_CONFIG]: KEY_A }, undefined, "prod");
    const b = await checksumRun(values, { [KEY_CONFIG]: KEY_B });
    assert.equal(a.checksum, a2.checksum);
    assert.notEqual(a.checksum, b.checksum);
    // Without a key, stacks differ from each other and from a keyed stack.
    const dev = await checksumRun(values);
    const prod = await checksumRun(values, {}, [], "prod");
    assert.notEqual(dev.checksum, prod.checksum);
    assert.notEqual(dev.checksum, a.checksum);
});

test("same values give the same checksum across two program runs (two processes) under a configured key; a changed value gives another", () => {
    const program = path.join(__dirname, "checksum-program.ts");
    const scenarios = (order: (v: Record<string, string>) => Record<string, string>) =>
        ([{ [KEY_CONFIG]: KEY_A }, { [KEY_CONFIG]: KEY_B }] as Record<string, string>[]).flatMap((config) =>
            [
                { A: "1", B: "2" },
                { A: "1", B: "3" },
            ].map((values) => ({ config, values: order(values) })),
        );
    const runOnce = (list: ReturnType<typeof scenarios>) =>
        JSON.parse(
            execFileSync(process.execPath, ["--import", "tsx", program, JSON.stringify(list)], {
                cwd: path.join(__dirname, ".."),
                encoding: "utf8",
            }),
        ) as { checksum: string; annotation: string }[];
    const first = runOnce(scenarios((v) => v));
    const second = runOnce(scenarios((v) => Object.fromEntries(Object.entries(v).reverse())));
    assert.deepEqual(second, first, "stable across runs: previews stay empty");
    for (const r of first) {
        assert.match(r.checksum, /^[0-9a-f]{16}$/);
        assert.equal(r.annotation, r.checksum);
    }
    assert.notEqual(first[1].checksum, first[0].checksum, "a changed value rolls the pods (key A)");
    assert.notEqual(first[3].checksum, first[2].checksum, "a changed value rolls the pods (key B)");
    assert.notEqual(first[2].checksum, first[0].checksum, "the key changes the checksum");
});

const STASH_URN = "urn:pulumi:dev::mlkube::pulumi:index:Stash::mlkube-checksum-key";

test("without mlkube:checksumKey the key is 32 random bytes kept in the stack's state: one secret Stash per stack, ignoreChanges on its input, the kept value keys every checksum", async () => {
    const values = { DB_PASSWORD: "hunter2" };
    const sums: string[] = [];
    // A stack whose state already keeps a key (every `up` after the first).
    const state = new Map<string, unknown>([[STASH_URN, "kept-key-from-the-first-up"]]);
    const r = await collect(
        () => {
            const a = new Secret("a", { env: values });
            const b = new Secret("b", { env: values });
            new Compute("api", { image: "nginx", secrets: [a, b] });
            a.checksum.apply((c) => sums.push(c));
            b.checksum.apply((c) => sums.push(c));
        },
        { stashes: state },
    );
    assert.deepEqual(r.errors, []);
    const stashes = r.resources.filter((x) => x.type === "pulumi:index:Stash");
    assert.equal(stashes.length, 1, "one Stash per stack, however many Secrets");
    assert.equal(
        stashes[0].urn,
        STASH_URN,
        "parented to the stack: its URN does not depend on which Secret came first",
    );
    assert.deepEqual(
        stashes[0].options.ignoreChanges,
        ["input"],
        "later runs' candidates are discarded, so the key is stable and previews stay empty",
    );
    assert.deepEqual([...(stashes[0].options.additionalSecretOutputs ?? [])].sort(), ["input", "output"]);
    const input = stashes[0].inputs.input;
    assert.ok(input instanceof SecretValue, "the candidate key is sent as a secret");
    assert.match(String(input.value), /^[0-9a-f]{64}$/, "32 random bytes");
    // The kept value (not this run's candidate) keys the checksum.
    const key = crypto
        .createHmac("sha256", "kept-key-from-the-first-up")
        .update("mlkube.dev/secret-checksum/v2")
        .digest();
    const expected = contentChecksum({ DB_PASSWORD: b64("hunter2") }, key);
    assert.deepEqual(sums, [expected, expected]);
    const deployment = r.resources.find((x) => x.type === "kubernetes:apps/v1:Deployment")?.inputs as any;
    assert.equal(
        deployment.spec.template.metadata.annotations["checksum.mlkube.dev/a"],
        expected,
        "the pod annotation carries it, in plain text",
    );
    // A new stack (nothing kept yet): the first candidate is kept, and keys the next run too.
    const fresh = new Map<string, unknown>();
    const runFresh = async () => {
        const out: string[] = [];
        await collect(() => new Secret("a", { env: values }).checksum.apply((c) => out.push(c)), { stashes: fresh });
        return out[0];
    };
    const first = await runFresh();
    assert.equal(fresh.size, 1);
    assert.notEqual(first, expected, "another stack, another key");
    assert.equal(await runFresh(), first, "the second run keeps the first run's key");
});

test("with mlkube:checksumKey set, no Stash is registered", async () => {
    const { r } = await checksumRun({ A: "1" }, { [KEY_CONFIG]: KEY_A });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
        r.resources.filter((x) => x.type === "pulumi:index:Stash"),
        [],
    );
});

test("mlkube render: no key offline, so the annotation is a placeholder that says nothing about the content", async () => {
    const dir = path.join(__dirname, "..", "examples", "quickstart");
    const rendered = await render(dir, {});
    assert.deepEqual(rendered.errors, []);
    const annotations = rendered.objects.flatMap((o: any) =>
        Object.entries(o.spec?.template?.metadata?.annotations ?? {}).filter(([k]) =>
            k.startsWith("checksum.mlkube.dev/"),
        ),
    );
    assert.ok(annotations.length > 0, "the example's Deployment uses a Secret");
    for (const [, v] of annotations) assert.equal(v, RENDERED_CHECKSUM);
    assert.deepEqual(
        rendered.resources.filter((x: { type: string }) => x.type === "pulumi:index:Stash"),
        [],
        "no Stash offline",
    );
});

test("a plain-text or short mlkube:checksumKey is refused, without showing it", async () => {
    const plain = await checksumRun({ A: "1" }, { [KEY_CONFIG]: KEY_A }, []);
    assert.deepEqual(
        plain.r.errors.map((e) => e.message),
        [
            `Stack config "dev": mlkube:checksumKey: is stored in plain text (in Pulumi.dev.yaml), so it keeps nothing secret; set it as a secret: pulumi config set --secret mlkube:checksumKey "$(openssl rand -hex 32)", or remove it (mlkube then keeps a random key in the stack's state)`,
        ],
    );
    const short = await checksumRun({ A: "1" }, { [KEY_CONFIG]: "shortkey" });
    assert.deepEqual(
        short.r.errors.map((e) => e.message),
        [
            `Stack config "dev": mlkube:checksumKey: is 8 characters, too short for a key; use at least 16 random characters: pulumi config set --secret mlkube:checksumKey "$(openssl rand -hex 32)"`,
        ],
    );
    assert.deepEqual(short.r.resources, [], "nothing is registered");
});

test("no secret value and no key material in the rendered YAML or the outputs", async () => {
    const value = "s3cret-VALUE-hunter2";
    let checksum: pulumi.Output<string> | undefined;
    const r = await collect(
        () => {
            const s = new Secret("db", { env: { DB_PASSWORD: value } });
            new Compute("api", { image: "nginx", secrets: [s] });
            checksum = s.checksum;
        },
        { config: { [KEY_CONFIG]: KEY_A }, secretConfigKeys: [KEY_CONFIG] },
    );
    assert.deepEqual(r.errors, []);
    const shown = await new Promise<string>((resolve) => checksum!.apply(resolve));
    assert.equal(
        await (checksum as unknown as { isSecret: Promise<boolean> }).isSecret,
        false,
        "the checksum is not a secret",
    );
    const { objects, sources } = toObjects(r.resources, false);
    const yaml = toYaml(objects, sources);
    // The derived key, computed the way the library does (domain-separated HMAC of the config value).
    const derived = crypto.createHmac("sha256", KEY_A).update("mlkube.dev/secret-checksum/v2").digest("hex");
    // Everything but the Secret's own data (a Pulumi secret, redacted in the YAML): the Deployment, the component outputs.
    const others = r.resources.filter((x) => x.type !== "kubernetes:core/v1:Secret").map((x) => x.inputs);
    const everything = yaml + JSON.stringify(others) + shown;
    for (const leak of [value, b64(value), KEY_A, b64(KEY_A), derived, derived.slice(0, 16)])
        assert.ok(!everything.includes(leak), `leaked ${leak}`);
    assert.ok(
        yaml.includes(`checksum.mlkube.dev/db: ${shown}`) || yaml.includes(`checksum.mlkube.dev/db: "${shown}"`),
        "the annotation is rendered",
    );
});

test("property: under one key, the checksum is equal exactly when the data is equal (any keys and values)", () => {
    const key = crypto.randomBytes(32);
    const dataArb = fc.dictionary(
        fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/),
        fc.string({ maxLength: 12 }).map(b64),
        { maxKeys: 4 },
    );
    fc.assert(
        fc.property(dataArb, dataArb, (x, y) => {
            const same = JSON.stringify(Object.entries(x).sort()) === JSON.stringify(Object.entries(y).sort());
            assert.equal(contentChecksum(x, key) === contentChecksum(y, key), same);
            assert.equal(
                contentChecksum(x, key),
                contentChecksum(Object.fromEntries(Object.entries(x).reverse()), key),
                "key order does not matter",
            );
        }),
        { numRuns: 500, seed: 9 },
    );
});
