/**
 * The multi-language provider (src/provider): construct inputs as the engine delivers them (plain values,
 * Outputs with dependencies and secretness, resource references, the wire forms) become the args of
 * mlkube's components, and the objects emitted equal those of the equivalent TypeScript program.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret, TrainJob, Volume } from "../src";
import { MlkubeProvider, snakeCaseHint, forOtherLanguages } from "../src/provider";
import { SecretValue } from "../src/render/collect";
import { claimObjects, releaseObjects, resetObjectRegistry } from "../src/registry";
import { emit, Emitted } from "./helpers";

/** schema.json at the repo root once generated (scripts/gen-schema.ts), else the test fixture. */
const ROOT_SCHEMA = path.join(__dirname, "..", "schema.json");
const SCHEMA = fs.readFileSync(
    fs.existsSync(ROOT_SCHEMA) ? ROOT_SCHEMA : path.join(__dirname, "provider-fixtures", "schema.json"),
    "utf8",
);

const VOLUME = "mlkube:index:Volume";
const SECRET = "mlkube:index:Secret";
const COMPUTE = "mlkube:index:Compute";
const TRAINJOB = "mlkube:index:TrainJob";

/** An Output as the engine delivers one: a value with dependencies, maybe secret, maybe unknown. */
function wire<T>(
    value: T,
    opts: { deps?: pulumi.Resource[]; secret?: boolean; known?: boolean } = {},
): pulumi.Output<T> {
    const OutputImpl = pulumi.Output as unknown as new (
        r: Set<pulumi.Resource> | pulumi.Resource[],
        p: Promise<T>,
        k: Promise<boolean>,
        s: Promise<boolean>,
        a: Promise<Set<pulumi.Resource>>,
    ) => pulumi.Output<T>;
    const deps = opts.deps ?? [];
    return new OutputImpl(
        deps,
        Promise.resolve(value),
        Promise.resolve(opts.known ?? true),
        Promise.resolve(opts.secret ?? false),
        Promise.resolve(new Set(deps)),
    );
}

const value = <T>(o: pulumi.Input<T> | undefined) =>
    new Promise<T>((res) => pulumi.output(o as pulumi.Input<T>).apply((v) => res(v as T)));

/** Runs `program` with a fresh provider (fixture/generated schema) under the mocks. */
async function run(
    program: (p: MlkubeProvider) => Promise<unknown>,
    opts: { preview?: boolean } = {},
): Promise<Emitted> {
    const p = new MlkubeProvider({ schema: SCHEMA, version: "0.1.0" });
    return emit(() => program(p), {}, opts);
}

/** The live component a reference to `urn` deserializes to (what the SDK's resource module hook returns). */
async function ref(
    p: MlkubeProvider,
    r: { urn: pulumi.Input<string> },
    type: string,
    name: string,
): Promise<pulumi.Resource> {
    return p.resolveReference(name, type, await value(r.urn));
}

const messages = (e: Emitted) => e.errors.map((x) => x.message);

/** The Kubernetes objects emitted, in a stable order (registration order differs between the two programs). */
const objects = (e: Emitted) =>
    e.objects().sort((a, b) => `${a.kind}/${a.metadata?.name}`.localeCompare(`${b.kind}/${b.metadata?.name}`));

test("provider: Volume and Secret from wire inputs emit what the TypeScript components emit, and return their outputs", async () => {
    let state: pulumi.Inputs = {};
    let sstate: pulumi.Inputs = {};
    const viaProvider = await run(async (p) => {
        state = (
            await p.construct(
                "data",
                VOLUME,
                {
                    size: "10Gi",
                    accessMode: "ReadWriteMany",
                    storageClass: "nfs",
                    labels: { team: "ml" },
                    volumeMode: "Block",
                },
                {},
            )
        ).state;
        sstate = (
            await p.construct("hf", SECRET, { env: wire({ HF_TOKEN: "tok" }, { secret: true }), mount: "files" }, {})
        ).state;
    });
    const direct = await emit(() => {
        new Volume("data", {
            size: "10Gi",
            accessMode: "ReadWriteMany",
            storageClass: "nfs",
            labels: { team: "ml" },
            volumeMode: "Block",
        });
        new Secret("hf", { env: pulumi.secret({ HF_TOKEN: "tok" }), mount: "files" });
    });
    assert.deepEqual(messages(viaProvider), []);
    assert.deepEqual(objects(viaProvider), objects(direct));
    assert.deepEqual(
        await Promise.all(
            ["claimName", "namespace", "mountPath", "readOnly", "volumeMode", "accessMode"].map((k) => value(state[k])),
        ),
        ["data", "default", "/mnt/data", false, "Block", "ReadWriteMany"],
    );
    assert.deepEqual(await value(sstate.keys), ["HF_TOKEN"]);
    assert.match(String(await value(sstate.checksum)), /^[0-9a-f]{16}$/);
    assert.equal(await value(sstate.mount), "files");
    assert.ok(viaProvider.get("Secret", "hf").data instanceof SecretValue, "the Secret's data stays secret");
    assert.ok(
        !JSON.stringify(await Promise.all(Object.values(sstate).map((o) => value(o)))).includes("tok"),
        "no value in the outputs",
    );
    // Provider-built Volumes and Secrets keep their outputs in the state (what the fallback reads back).
    const comp = viaProvider.resources.find((r) => r.type === SECRET)!;
    assert.equal(comp.custom, false);
});

test("provider: Volumes and Secrets it builds keep their outputs in the state (what the fallback reads), names only", async () => {
    const state = new Map<string, Record<string, unknown>>();
    const out = await run(async (p) => {
        const monitor = (
            require("@pulumi/pulumi/runtime/settings") as {
                getMonitor(): { registerResourceOutputs(req: unknown, cb: unknown): unknown };
            }
        ).getMonitor();
        const original = monitor.registerResourceOutputs.bind(monitor);
        monitor.registerResourceOutputs = (req, cb) => {
            const r = req as {
                getUrn(): string;
                getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
            };
            state.set(r.getUrn(), r.getOutputs()?.toJavaScript() ?? {});
            return original(req, cb);
        };
        await p.construct("data", VOLUME, { size: "1Gi", volumeMode: "Block" }, {});
        await p.construct("hf", SECRET, { env: { HF_TOKEN: wire("tok-VALUE", { secret: true }) } }, {});
        await p.construct("api", COMPUTE, { image: "busybox" }, {});
    });
    assert.deepEqual(messages(out), []);
    const of = (t: string) => [...state.entries()].find(([u]) => u.endsWith(t))?.[1] ?? {};
    assert.deepEqual(Object.keys(of(`${VOLUME}::data`)).sort(), [
        "accessMode",
        "claimName",
        "mountPath",
        "namespace",
        "readOnly",
        "volumeMode",
    ]);
    assert.equal(of(`${VOLUME}::data`).volumeMode, "Block");
    assert.deepEqual(Object.keys(of(`${SECRET}::hf`)).sort(), [
        "checksum",
        "imagePull",
        "keys",
        "mount",
        "mountPath",
        "namespace",
        "secretName",
    ]);
    assert.deepEqual(of(`${SECRET}::hf`).keys, ["HF_TOKEN"]);
    assert.ok(!JSON.stringify([...state.values()]).includes("tok-VALUE"), "no secret value in any state");
    assert.deepEqual(of(`${COMPUTE}::api`), {}, "a Compute keeps the state small, as in TypeScript");
});

test("provider: Compute with live references, wire forms and env forms equals the TypeScript program", async () => {
    const viaProvider = await run(async (p) => {
        const v = await p.construct(
            "cache",
            VOLUME,
            { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" },
            {},
        );
        const s = await p.construct("hf", SECRET, { env: { HF_TOKEN: wire("tok", { secret: true }) } }, {});
        const vol = await ref(p, v, VOLUME, "cache");
        const sec = await ref(p, s, SECRET, "hf");
        await p.construct(
            "api",
            COMPUTE,
            {
                image: "vllm/vllm-openai:v0.6.3",
                replicas: 2,
                // The engine wraps a top-level value holding references into an Output with their dependencies.
                volumes: wire(
                    [
                        vol,
                        { claimName: "datasets", mountPath: "/data", readOnly: true },
                        "scratch",
                        { volume: vol, mountPath: "/models-ro", readOnly: true, subPath: "hf" },
                    ],
                    { deps: [vol] },
                ),
                secrets: wire([sec, { secretName: "wandb", mount: "files" }], { deps: [sec] }),
                imagePullSecrets: [{ secretName: "regcred", imagePull: true }, "other-regcred"],
                env: wire(
                    {
                        TOKEN: { secret: sec, key: "HF_TOKEN" },
                        EXT: { secretName: "ext", key: "K", optional: true },
                        POD_IP: { fieldRef: "status.podIP" },
                        MODE: "serve",
                    },
                    { deps: [sec] },
                ),
                nodeSelector: { pool: "gpu" },
                ports: [{ port: 8000 }],
            },
            {},
        );
    });
    const direct = await emit(() => {
        const vol = new Volume("cache", { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" });
        const sec = new Secret("hf", { env: { HF_TOKEN: pulumi.secret("tok") } });
        new Compute("api", {
            image: "vllm/vllm-openai:v0.6.3",
            replicas: 2,
            volumes: [
                vol,
                Volume.existing("datasets", { mountPath: "/data", readOnly: true }),
                "scratch",
                { volume: vol, mountPath: "/models-ro", readOnly: true, subPath: "hf" },
            ],
            secrets: [sec, Secret.existing("wandb", { mount: "files" })],
            imagePullSecrets: [Secret.existing("regcred", { imagePull: true }), "other-regcred"],
            env: {
                TOKEN: sec.ref("HF_TOKEN"),
                EXT: Secret.existing("ext").ref("K", true),
                POD_IP: { fieldRef: "status.podIP" },
                MODE: "serve",
            },
            nodeSelector: { pool: "gpu" },
            ports: [{ port: 8000 }],
        });
    });
    assert.deepEqual(messages(viaProvider), []);
    assert.deepEqual(objects(viaProvider), objects(direct));
    assert.deepEqual(
        viaProvider.resource("Deployment", "api").options.dependsOn,
        direct.resource("Deployment", "api").options.dependsOn,
        "the Deployment depends on the claim and the Secret",
    );
    const annotations = viaProvider.get("Deployment", "api").spec.template.metadata.annotations;
    assert.match(
        annotations["checksum.mlkube.dev/hf"],
        /^[0-9a-f]{16}$/,
        "pods roll when the referenced Secret changes",
    );
});

/**
 * A component another provider process built, as the fallback sees it: a resource whose outputs come from
 * the engine's state (RemoteComponent reads them with getResource; here they are given).
 */
class ForeignComponent extends pulumi.ComponentResource {
    readonly resource: pulumi.Resource = this;
    constructor(
        readonly type: string,
        name: string,
        private readonly outs: Record<string, unknown>,
    ) {
        super(type, name, {}, {}, true);
    }
    output(k: string) {
        return Object.hasOwn(this.outs, k) ? pulumi.output(this.outs[k]) : undefined;
    }
}

test("provider: a reference built outside this process is rebuilt from its outputs, losslessly (volumeMode, access mode, checksum, dependency)", async () => {
    let checksum = "";
    const viaProvider = await run(async (p) => {
        const live = new Secret("cfg", { env: { A: "1" } });
        checksum = await value(live.checksum);
        const vol = new ForeignComponent(VOLUME, "blk", {
            claimName: "blk",
            mountPath: "/dev/xvdb",
            readOnly: false,
            volumeMode: "Block",
            accessMode: "ReadWriteOnce",
        });
        const sec = new ForeignComponent(SECRET, "cfg2", {
            secretName: "cfg",
            mount: "env",
            mountPath: "/etc/mlkube/secrets/cfg",
            imagePull: false,
            keys: ["A"],
            checksum,
        });
        await p.construct(
            "api",
            COMPUTE,
            { image: "busybox", volumes: [vol], secrets: [sec], env: { X: { secret: sec, key: "A" } } },
            {},
        );
        await assert.rejects(
            p.construct("bad", COMPUTE, { image: "busybox", env: { X: { secret: sec, key: "B" } } }, {}),
            /env\.X: this Secret has no key "B" \(it has "A"\)/,
        );
        await assert.rejects(
            p.construct("rwo", COMPUTE, { image: "busybox", replicas: 2, volumes: [vol] }, {}),
            /claim "blk" is ReadWriteOnce/,
        );
        const git = new ForeignComponent(SECRET, "git", { secretName: "git", mount: "gitSsh" });
        await assert.rejects(
            p.construct("g", COMPUTE, { image: "busybox", secrets: [git] }, {}),
            /secrets\[0\]: the Secret this refers to was not created by this provider process and could not be rebuilt from its outputs: a gitSsh Secret cannot be rebuilt/,
        );
    });
    assert.deepEqual(messages(viaProvider), []);
    const pod = viaProvider.get("Deployment", "api").spec.template;
    assert.deepEqual(
        pod.spec.containers[0].volumeDevices,
        [{ name: "pvc-blk", devicePath: "/dev/xvdb" }],
        "a Block volume stays a device",
    );
    assert.equal(
        pod.metadata.annotations["checksum.mlkube.dev/cfg"],
        checksum,
        "the checksum survives: pods still roll",
    );
    assert.deepEqual(pod.spec.containers[0].env, [
        { name: "X", valueFrom: { secretKeyRef: { name: "cfg", key: "A" } } },
    ]);
    const deps = viaProvider.resource("Deployment", "api").options.dependsOn ?? [];
    assert.ok(
        deps.some((u) => u.endsWith("mlkube:index:Volume::blk")) &&
            deps.some((u) => u.endsWith("mlkube:index:Secret::cfg2")),
        `depends on the referenced components: ${deps.join(", ")}`,
    );
});

test("provider: references resolve to the live component by URN, else to a component rehydrated from its URN", async () => {
    await run(async (p) => {
        const v = await p.construct("v", VOLUME, { size: "1Gi" }, {});
        const urn = await value(v.urn);
        assert.ok(p.resolveReference("v", VOLUME, urn) instanceof Volume);
        const other = p.resolveReference("w", VOLUME, urn.replace("::v", "::w")) as unknown as {
            type: string;
            output(k: string): unknown;
        };
        assert.ok(!(other instanceof Volume));
        assert.equal(other.type, VOLUME);
        assert.ok(pulumi.Output.isInstance(other.output("volumeMode")), "its outputs are read from the engine");
        assert.equal(other.output("constructor"), undefined);
    });
});

test("provider: TrainJob on every backend, with references; its outputs include backend and state", async () => {
    for (const backend of ["jobset", "kubeflow", "job"] as const) {
        let state: pulumi.Inputs = {};
        const viaProvider = await run(async (p) => {
            const v = await p.construct(
                "ds",
                VOLUME,
                { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" },
                {},
            );
            const vol = await ref(p, v, VOLUME, "ds");
            state = (
                await p.construct(
                    "ft",
                    TRAINJOB,
                    {
                        image: "pytorch",
                        command: ["torchrun", "train.py"],
                        numNodes: 2,
                        backend,
                        volumes: wire([vol], { deps: [vol] }),
                        env: { SEED: "1" },
                    },
                    {},
                )
            ).state;
        });
        const direct = await emit(() => {
            const vol = new Volume("ds", { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" });
            new TrainJob("ft", {
                image: "pytorch",
                command: ["torchrun", "train.py"],
                numNodes: 2,
                backend,
                volumes: [vol],
                env: { SEED: "1" },
            });
        });
        assert.deepEqual(messages(viaProvider), [], backend);
        assert.deepEqual(objects(viaProvider), objects(direct), backend);
        assert.equal(await value(state.backend), backend);
        assert.equal(await value(state.jobName), "ft");
    }
});

test("provider: secrets stay secret — Input leaves inside an opened secret become secret Outputs; a secret on a plain field is refused", async () => {
    const out = await run(async (p) => {
        // A value holding a secret arrives as one secret Output (older SDKs bubble secretness up).
        await p.construct(
            "api",
            COMPUTE,
            { image: "busybox", env: wire({ TOKEN: "s3cr3t-value", MODE: "serve" }, { secret: true }) },
            {},
        );
        await assert.rejects(
            p.construct("bad", COMPUTE, { image: "busybox", replicas: wire(2, { secret: true }) }, {}),
            (e: Error) => {
                assert.equal(
                    e.message,
                    'Compute "bad": replicas: is a secret, but this field shapes the generated objects and would be stored in plain text; pass a plain value',
                );
                return true;
            },
        );
        await p.construct(
            "direct",
            COMPUTE,
            {
                image: wire("registry/private:1", { secret: true }),
                env: { TOKEN: wire("s3cr3t-value", { secret: true }) },
            },
            {},
        );
    });
    assert.deepEqual(messages(out), []);
    const env = out.get("Deployment", "api").spec.template.spec.containers[0].env;
    assert.ok(
        env.every((e: { value: unknown }) => e.value instanceof SecretValue),
        "every value of the secret map is secret",
    );
    const direct = out.get("Deployment", "direct").spec.template.spec.containers[0];
    assert.ok(direct.image instanceof SecretValue);
    assert.ok(direct.env[0].value instanceof SecretValue, "a secret env value (an Input in a union) is kept, secret");
});

/** Some other resource of the program (a dependency). */
class Thing extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:index:Thing", name, {});
    }
}

test("provider: dependencies are kept — Input Outputs as property dependencies, plain values' as the component's dependsOn", async () => {
    const out = await run(async (p) => {
        const other = new Thing("thing");
        const ns = new Thing("ns");
        await p.construct(
            "api",
            COMPUTE,
            { image: wire("busybox", { deps: [other] }), replicas: wire(2, { deps: [ns] }) },
            {},
        );
    });
    assert.deepEqual(messages(out), []);
    const comp = out.resources.find((r) => r.type === COMPUTE)!;
    assert.ok(
        comp.options.dependsOn?.some((u) => u.endsWith("::ns")),
        "a plain field's dependency becomes the component's",
    );
    assert.ok(
        out.resource("Deployment", "api").options.dependsOn?.some((u) => u.endsWith("::thing")),
        "an Input keeps its dependency down to the Deployment",
    );
    assert.equal(out.get("Deployment", "api").spec.replicas, 2);
});

test("provider: invalid input gets mlkube's own message, worded for YAML/Python, with the snake_case hint", async () => {
    const out = await run(async (p) => {
        const fails = async (type: string, inputs: pulumi.Inputs, expected: string | RegExp) =>
            assert.rejects(p.construct("x", type, inputs, {}), (e: Error) => {
                if (typeof expected === "string") assert.equal(e.message, expected);
                else assert.match(e.message, expected);
                assert.ok(!/pulumi\.Output/.test(e.message), e.message);
                return true;
            });
        await fails(VOLUME, { size: "16GB" }, 'Volume "x": size: "16GB" is not a Kubernetes quantity; use "16Gi"');
        await fails(
            VOLUME,
            { size: "1Gi", accessMode: "ReadWriteMeny" },
            /accessMode: "ReadWriteMeny" is not one of .*; did you mean "ReadWriteMany"\?/,
        );
        await fails(
            VOLUME,
            { size: "1Gi", storage_class: "nfs" },
            /storage_class: unknown field; did you mean "storageClass"\?\n {2}\(field names are camelCase: write storageClass, not storage_class;/,
        );
        await fails(
            COMPUTE,
            { image: "busybox", replicas: "two" },
            'Compute "x": replicas: expected a number, got a string',
        );
        await fails(
            TRAINJOB,
            { image: "busybox", resourcesPerNode: { memory: "16GB" } },
            /resourcesPerNode\.memory: "16GB" is not a Kubernetes quantity; use "16Gi"\n {2}\(field paths are the schema's camelCase names: Python's resources_per_node is resourcesPerNode/,
        );
        await fails(
            COMPUTE,
            { image: "busybox", env: { T: { secret: "not-a-resource", key: "K" } } },
            'Compute "x": env.T.secret: expected a Secret resource',
        );
        await fails(
            COMPUTE,
            { image: "busybox", env: { T: { key: "K" } } },
            'Compute "x": env.T: give exactly one of secret (a Secret resource) or secretName (the name of an existing Secret)',
        );
        await fails(
            COMPUTE,
            { image: "busybox", volumes: [{ claimName: "Bad_Name" }] },
            /volumes\[0\]\.claimName: "Bad_Name" is not a valid Kubernetes name/,
        );
        await fails("mlkube:index:Nope", {}, /unknown resource type mlkube:index:Nope/);
        // A Python dict in a union position keeps its snake_case keys.
        await fails(
            COMPUTE,
            { image: "busybox", volumes: [{ claim_name: "data", mount_path: "/data" }] },
            /volumes\[0\]\.claim_name: unknown field; write "claimName" \(in Python, dicts inside union positions keep their keys as written[^]*volumes\[0\]\.mount_path: unknown field; write "mountPath"/,
        );
        await fails(
            COMPUTE,
            { image: "busybox", env: { A: { field_ref: "status.podIP" } } },
            /env\.A\.field_ref: unknown field; write "fieldRef"/,
        );
    });
    assert.deepEqual(messages(out), []);
});

test("provider: a Volume where a Secret is expected (and the reverse) is named, not a crash", async () => {
    const out = await run(async (p) => {
        const v = await p.construct("v", VOLUME, { size: "1Gi" }, {});
        const vol = await ref(p, v, VOLUME, "v");
        await assert.rejects(
            p.construct("c", COMPUTE, { image: "busybox", secrets: [vol] }, {}),
            /Compute "c": secrets\[0\]: expected a Secret resource, got a Volume/,
        );
        await assert.rejects(
            p.construct("d", COMPUTE, { image: "busybox", env: { A: { secret: vol, key: "k" } } }, {}),
            /env\.A\.secret: expected a Secret resource, got a Volume/,
        );
    });
    assert.deepEqual(messages(out), []);
});

test("provider: values that must be known are refused in preview when they are not (the wire wording)", async () => {
    const out = await run(
        async (p) => {
            await assert.rejects(
                p.construct("c", COMPUTE, { image: "busybox", volumes: wire(undefined, { known: false }) }, {}),
                (e: Error) => {
                    assert.equal(
                        e.message,
                        'Compute "c": volumes: must be known when the program runs (not an output of a resource that does not exist yet): this field shapes the generated objects',
                    );
                    return true;
                },
            );
            // Unknown Inputs are fine (namespace of another resource, during preview).
            await p.construct("ok", COMPUTE, { image: "busybox", namespace: wire(undefined, { known: false }) }, {});
        },
        { preview: true },
    );
    assert.deepEqual(messages(out), []);
});

test("provider: hostile input — __proto__ keys, wrong types, huge strings, secrets in bad fields — never crashes or leaks", async () => {
    const out = await run(async (p) => {
        const hostile = JSON.parse('{"size":"1Gi","labels":{"__proto__":{"polluted":"yes"},"ok":"1"}}');
        await assert.rejects(
            p.construct("v", VOLUME, hostile, {}),
            /labels\.__proto__: "__proto__" is not allowed as a key/,
        );
        assert.equal(({} as Record<string, unknown>).polluted, undefined, "no prototype pollution");
        await assert
            .rejects(
                p
                    .construct("w", VOLUME, JSON.parse('{"size":"1Gi","__proto__":{"x":1}}') as pulumi.Inputs, {})
                    .then(() => {
                        throw new Error("accepted");
                    }),
                /./,
            )
            .catch(() => undefined); // the SDK never delivers an own __proto__ input; either outcome is fine, no crash
        const huge = "a".repeat(1_000_000);
        await assert.rejects(
            p.construct("h", VOLUME, { size: huge }, {}),
            (e: Error) => e.message.length < 2000 && /size: "a{100}"…\(1000000 characters\)/.test(e.message),
        );
        for (const bad of [null, 42, [[]], { nested: { deep: true } }, true]) {
            await assert.rejects(
                p.construct("t", COMPUTE, { image: "busybox", volumes: bad as never }, {}),
                /Compute "t":[^]*volumes/,
            );
            await assert.rejects(
                p.construct("t", COMPUTE, { image: "busybox", env: { A: bad } as never }, {}),
                /Compute "t":[^]*env\.A/,
            );
        }
        // A secret read where a plain field sits inside an opened secret never appears in a message.
        await assert.rejects(
            p.construct(
                "g",
                SECRET,
                { gitSsh: wire({ privateKeyFile: "/nonexistent/TOPSECRET-KEY-PATH" }, { secret: true }) },
                {},
            ),
            (e: Error) => {
                assert.ok(!e.message.includes("TOPSECRET"), e.message);
                assert.match(
                    e.message,
                    /gitSsh\.privateKeyFile: is not valid \(the value is a secret, so it is not shown/,
                );
                return true;
            },
        );
        // A secret Input value that fails validation is reported without its value.
        await p.construct("k", SECRET, { env: { "bad key": wire("hunter2-secret", { secret: true }) } }, {}).then(
            () => assert.fail("accepted"),
            (e: Error) => assert.ok(!e.message.includes("hunter2"), e.message),
        );
    });
    assert.deepEqual(messages(out), []);
});

test("provider: one provider process serves a second deployment (preview, then update) with the same components", async () => {
    const p = new MlkubeProvider({ schema: SCHEMA, version: "0.1.0" });
    // The object registry is per process (collect() resets it per run; a plugin process is not reset):
    // the provider releases a component's objects before building it again.
    resetObjectRegistry();
    for (const deployment of [1, 2]) {
        const again = await emit(async () => {
            await p.construct("data", VOLUME, { size: "1Gi" }, {});
        });
        assert.deepEqual(messages(again), [], `deployment ${deployment}`);
    }
    // In a TypeScript program the same type and name under two parents still conflict.
    const claim = [{ kind: "PersistentVolumeClaim", namespace: undefined, name: "data" }];
    resetObjectRegistry();
    claimObjects("Volume", "data", claim);
    assert.throws(
        () => claimObjects("Volume", "data", claim),
        /PersistentVolumeClaim "data" is also created by Volume "data"/,
    );
    // …and what the provider does before building a component again: release, then claim.
    releaseObjects("Volume", "data");
    assert.doesNotThrow(() => claimObjects("Volume", "data", claim));
    assert.throws(() => claimObjects("Volume", "other", claim), /also created by Volume "data"/);
    resetObjectRegistry();
    // …while two components that would create one object still conflict.
    const out = await emit(async () => {
        await p.construct("a", VOLUME, { size: "1Gi", name: "shared" }, {});
        await assert.rejects(
            p.construct("b", VOLUME, { size: "1Gi", name: "shared" }, {}),
            /Volume "b": PersistentVolumeClaim "shared" is also created by Volume "a"/,
        );
    });
    assert.deepEqual(messages(out), []);
});

test("provider: GetSchema is schema.json, the version is the package's, messages drop TypeScript wording", () => {
    const p = new MlkubeProvider({ schema: SCHEMA });
    assert.equal(p.schema, SCHEMA);
    assert.equal(p.version, JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).version);
    assert.equal(
        forOtherLanguages("x: must be known when the program runs (not a pulumi.Output/Promise): y"),
        "x: must be known when the program runs (not an output of a resource that does not exist yet): y",
    );
    assert.equal(snakeCaseHint([{ path: ["image"], message: "" }]), undefined);
    assert.match(
        snakeCaseHint([{ path: ["resourcesPerNode", "gpu"], message: "" }]) ?? "",
        /Python's resources_per_node is resourcesPerNode/,
    );
    assert.equal(
        snakeCaseHint([
            {
                path: ["volumes", 0, "claim_name"],
                message:
                    'unknown field; write "claimName" (in Python, dicts inside union positions keep their keys as written: …)',
            },
        ]),
        undefined,
        "no second hint",
    );
});
