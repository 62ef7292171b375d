/**
 * Reserved env names from Secret keys (issue 22, item 3): an env-mounted Secret whose key is a name the
 * TrainJob sets itself (PET_*, MASTER_ADDR, MASTER_PORT, NODE_RANK) is refused on every backend, like the
 * same name in `env`: keys known now in the constructor, keys from an Output when they resolve (the
 * update fails with the same message). Messages name the key, never a value.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret, TrainJob, TrainJobArgs } from "../src";
import { collect } from "../src/render/collect";
import { RESERVED_ENV } from "../src/trainjob/reserved-env";
import { assertFails, emit } from "./helpers";

const base: TrainJobArgs = { image: "ghcr.io/acme/train:1.0", command: ["torchrun"], args: ["/app/train.py"] };
const BACKENDS = ["jobset", "kubeflow", "job"] as const;
const VARS =
    "(PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK, PET_MASTER_ADDR, PET_MASTER_PORT, MASTER_ADDR, MASTER_PORT, NODE_RANK)";
const VALUE = "v4lue-NEVER-SHOWN";

function message(backend: string, secret: string, key: string): string {
    const pet =
        key.startsWith("PET_") && backend === "kubeflow"
            ? " and the Kubeflow Trainer rejects PET_* in spec.trainer.env"
            : "";
    return `TrainJob "t": secrets[0]: Secret ${JSON.stringify(secret)} holds key ${JSON.stringify(key)}, which is reserved: TrainJob sets the torch rendezvous variables ${VARS} itself${pet}; rename the key, or mount the Secret as files (mount: "files")`;
}

test("every backend: a Secret key that is a reserved rendezvous name fails in the constructor, naming the key, not the value", async () => {
    for (const backend of BACKENDS) {
        for (const key of ["PET_NNODES", "PET_MASTER_ADDR", "MASTER_ADDR", "NODE_RANK"]) {
            await assertFails(
                () =>
                    new TrainJob("t", {
                        ...base,
                        backend,
                        secrets: [new Secret("s", { env: { [key]: VALUE, OK: "1" } })],
                    }),
                message(backend, "s", key),
            );
        }
        // fromEnv and a reference that lists its keys are checked the same way.
        process.env.PET_NODE_RANK = VALUE;
        try {
            await assertFails(
                () =>
                    new TrainJob("t", { ...base, backend, secrets: [new Secret("e", { fromEnv: ["PET_NODE_RANK"] })] }),
                message(backend, "e", "PET_NODE_RANK"),
            );
        } finally {
            delete process.env.PET_NODE_RANK;
        }
        await assertFails(
            () => new TrainJob("t", { ...base, backend, secrets: [Secret.existing("ext", { keys: ["MASTER_PORT"] })] }),
            /^TrainJob "t": (secrets\[0\]: |[^]*- secrets\[0\]: )Secret "ext" holds key "MASTER_PORT", which is reserved/,
        );
    }
});

test("every backend: keys known only at run time (an Output map) fail the update with the same message when they resolve", async () => {
    for (const backend of BACKENDS) {
        const r = await collect(
            () =>
                new TrainJob("t", {
                    ...base,
                    backend,
                    secrets: [new Secret("s", { env: pulumi.secret({ PET_NNODES: VALUE }) })],
                }),
        );
        const msgs = r.errors.map((e) => e.message);
        assert.deepEqual(msgs, [message(backend, "s", "PET_NNODES")], backend);
        assert.ok(!msgs.join("\n").includes(VALUE));
        // A harmless Output map still renders, and the objects are unchanged by the check.
        const ok = await emit(
            () =>
                new TrainJob("t", {
                    ...base,
                    backend,
                    secrets: [new Secret("s", { env: pulumi.output({ HF_TOKEN: VALUE }) })],
                }),
        );
        assert.deepEqual(ok.errors, [], backend);
        const plain = await emit(
            () => new TrainJob("t", { ...base, backend, secrets: [new Secret("s", { env: { HF_TOKEN: VALUE } })] }),
        );
        const kind = backend === "jobset" ? "JobSet" : backend === "kubeflow" ? "TrainJob" : "Job";
        assert.deepEqual(JSON.stringify(ok.get(kind, "t").spec), JSON.stringify(plain.get(kind, "t").spec), backend);
    }
});

test("files-mounted Secrets and Compute are not affected (Compute sets no rendezvous names)", async () => {
    for (const backend of BACKENDS) {
        const out = await emit(
            () =>
                new TrainJob("t", {
                    ...base,
                    backend,
                    secrets: [new Secret("s", { env: { MASTER_ADDR: "x" }, mount: "files" })],
                }),
        );
        assert.deepEqual(out.errors, [], backend);
    }
    const c = await emit(
        () =>
            new Compute("c", {
                image: "nginx",
                secrets: [new Secret("s", { env: { MASTER_ADDR: "x", PET_NNODES: "2" } })],
            }),
    );
    assert.deepEqual(c.errors, []);
});

test("property: on any backend, a TrainJob with env-mounted Secrets fails exactly when some key is reserved, naming those keys and no value", async () => {
    const keyArb = fc.oneof(
        fc.constantFrom(...RESERVED_ENV),
        fc.constantFrom("HF_TOKEN", "WORLD_SIZE", "RANK", "PET_OTHER", "MASTER", "node_rank"),
    );
    await fc.assert(
        fc.asyncProperty(
            fc.constantFrom(...BACKENDS),
            fc.array(fc.tuple(fc.uniqueArray(keyArb, { minLength: 1, maxLength: 4 }), fc.boolean()), {
                minLength: 1,
                maxLength: 3,
            }),
            async (backend, secrets) => {
                const r = await collect(
                    () =>
                        new TrainJob("t", {
                            ...base,
                            backend,
                            secrets: secrets.map(([keys, asOutput], i) => {
                                const map = Object.fromEntries(keys.map((k) => [k, `${VALUE}-${i}`]));
                                return new Secret(`s${i}`, { env: asOutput ? pulumi.output(map) : map });
                            }),
                        }),
                );
                const text = r.errors.map((e) => e.message).join("\n");
                const reserved = secrets.flatMap(([keys], i) =>
                    keys.filter((k) => RESERVED_ENV.includes(k)).map((k) => ({ i, k })),
                );
                assert.ok(!text.includes(VALUE), text);
                if (!reserved.length) {
                    assert.deepEqual(
                        r.errors.map((e) => e.message),
                        [],
                    );
                    return;
                }
                assert.ok(r.errors.length > 0, "expected an error");
                // Plain keys are all reported at once; Output keys at least the first Secret's that resolves.
                const plainOnes = reserved.filter(({ i }) => !secrets[i][1]);
                for (const { i, k } of plainOnes)
                    assert.ok(
                        text.includes(`secrets[${i}]: Secret "s${i}" holds key "${k}", which is reserved`),
                        `${k} in s${i}: ${text}`,
                    );
                if (!plainOnes.length)
                    assert.match(text, /secrets\[\d\]: Secret "s\d" holds key "[A-Z_]+", which is reserved/);
            },
        ),
        { numRuns: 60, seed: 3 },
    );
});
