/**
 * Messages that name the field and the right fix (issue 22 item 10): union failures report the branch
 * the value was meant for (src/schema/input.ts toIssues), never a bare "Invalid input"; the provider's
 * key-case hint fits the program's language; an HPA with only a CPU limit; the fixes suggested for env
 * on an initializer patch and for a volume mounted twice in a runtime patch.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { Compute, MlkubeValidationError, Secret, TrainJob, Volume } from "../src";
import { collect } from "../src/render/collect";
import { forOtherLanguages, programLanguage, snakeCaseHint, MlkubeProvider } from "../src/provider";
import { assertFails, emit } from "./helpers";

const SCHEMA = fs.readFileSync(path.join(__dirname, "..", "schema.json"), "utf8");
const COMPUTE = "mlkube:index:Compute";

// ---------------------------------------------------------------------------------------------
// Unions

test('a snake_case or unknown key in a volume mount names the field and the fix (was volumes[0]: "Invalid input")', async () => {
    await assertFails(
        () => new Compute("a", { image: "busybox", volumes: [{ volume: "claim", mount_path: "/x" } as never] }),
        'Compute "a": volumes[0].mount_path: unknown field; did you mean "mountPath"?',
    );
    await assertFails(
        () => new Compute("a", { image: "busybox", volumes: [{ volume: "claim", mountPth: "/x" } as never] }),
        'Compute "a": volumes[0].mountPth: unknown field; did you mean "mountPath"?',
    );
    await assertFails(
        () => new Compute("a", { image: "busybox", volumes: [{ volume: "claim", mountPath: "x" }] }),
        /^Compute "a": volumes\[0\]\.mountPath: .*absolute/,
    );
    await assertFails(
        () => new Compute("a", { image: "busybox", volumes: [42 as never] }),
        'Compute "a": volumes[0]: expected a Volume, a VolumeReference, a string or an object, got a number',
    );
    await assertFails(
        () => new Compute("a", { image: "busybox", env: { A: { field_ref: "status.podIP" } as never } }),
        /^Compute "a": env\.A\.field_ref: unknown field; did you mean "fieldRef"\?/,
    );
});

test('property: no mlkube error is a bare "Invalid input" (hostile values at any position of valid args of every component)', async () => {
    const keys = fc.constantFrom(
        "mount_path",
        "claim_name",
        "volume",
        "mountPath",
        "name",
        "fieldRef",
        "field_ref",
        "secretName",
        "key",
        "port",
        "path",
        "command",
        "x",
    );
    const hostile = fc.oneof(
        fc.anything({ maxDepth: 2 }),
        fc.dictionary(keys, fc.anything({ maxDepth: 1 }), { maxKeys: 3 }),
        fc.array(fc.dictionary(keys, fc.string(), { maxKeys: 2 }), { maxLength: 2 }),
    );
    const seen: string[] = [];
    const r = await collect(() => {
        const vol = new Volume("data", { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" });
        const sec = new Secret("tok", { env: { TOKEN: "t" } });
        const bases: [string, (a: any, n: string) => unknown, () => any][] = [
            [
                "Compute",
                (a, n) => new Compute(n, a),
                () => ({
                    image: "busybox",
                    env: { A: "1", P: { fieldRef: "status.podIP" }, T: sec.ref("TOKEN") },
                    volumes: [vol, "claim", { volume: "c2", mountPath: "/m" }],
                    secrets: [sec],
                    resources: { cpu: 1, memory: "1Gi" },
                    nodeSelector: "a=b",
                    preStop: { sleepSeconds: 1 },
                    ports: [{ port: 80 }],
                    readinessProbe: { port: 80, path: "/" },
                    tolerations: [{ key: "k", operator: "Exists" }],
                }),
            ],
            [
                "TrainJob",
                (a, n) => new TrainJob(n, a),
                () => ({
                    image: "pytorch",
                    numNodes: 2,
                    volumes: [vol],
                    initializer: { dataset: { storageUri: "hf://a/b", env: { A: "1" }, secret: sec }, volume: vol },
                    ports: [{ port: 9000, name: "m" }],
                    runtimePatches: [
                        {
                            manager: "example.com/x",
                            trainingRuntimeSpec: {
                                template: {
                                    spec: {
                                        replicatedJobs: [
                                            {
                                                name: "node",
                                                template: {
                                                    spec: { template: { spec: { nodeSelector: { a: "b" } } } },
                                                },
                                            },
                                        ],
                                    },
                                },
                            },
                        },
                    ],
                }),
            ],
            [
                "Volume",
                (a, n) => new Volume(n, a),
                () => ({ size: "1Gi", accessMode: "ReadWriteOnce", labels: { a: "b" } }),
            ],
            ["Secret", (a, n) => new Secret(n, a), () => ({ env: { A: "x" }, mount: "files", mountPath: "/s" })],
        ];
        let n = 0;
        const positions = (v: unknown, at: (string | number)[] = []): (string | number)[][] => {
            const out = [at];
            if (
                v !== null &&
                typeof v === "object" &&
                (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)
            )
                for (const k of Object.keys(v))
                    out.push(...positions((v as any)[k], [...at, Array.isArray(v) ? Number(k) : k]));
            return out;
        };
        const set = (v: any, p: (string | number)[], x: unknown): any => {
            if (!p.length) return x;
            const c = Array.isArray(v) ? v.slice() : { ...v };
            c[p[0]] = set(v[p[0]], p.slice(1), x);
            return c;
        };
        for (const [kind, build, make] of bases) {
            const all = positions(make());
            fc.assert(
                fc.property(fc.constantFrom(...all), hostile, (p, x) => {
                    try {
                        build(set(make(), p, x), `${kind.toLowerCase()}${n++}`);
                    } catch (e) {
                        assert.ok(
                            e instanceof MlkubeValidationError,
                            `${kind} ${JSON.stringify(p)}: ${(e as Error)?.stack}`,
                        );
                        for (const i of e.issues) {
                            seen.push(i.message);
                            assert.doesNotMatch(
                                i.message,
                                /Invalid input|Invalid option/,
                                `${kind} ${JSON.stringify(p)} = ${JSON.stringify(x)}`,
                            );
                        }
                    }
                }),
                { numRuns: Number(process.env.MESSAGE_RUNS ?? 200) },
            );
        }
    });
    assert.deepEqual(
        r.errors.map((e) => e.message.slice(0, 2000)),
        [],
    );
    assert.ok(seen.length > 100, "the hostile values were refused");
});

test("a Secret key reference whose resource is not a resource is refused with the field (found by the property above: was Pulumi's \"'dependsOn' was passed a value that was not a Resource\")", async () => {
    await assertFails(
        () => new Compute("a", { image: "busybox", env: { A: { secretName: "s", key: "k", resource: 5 } as never } }),
        'Compute "a": env.A.resource: expected a Pulumi resource (e.g. the Volume or Secret the reference stands for)',
    );
});

// ---------------------------------------------------------------------------------------------
// The provider's hint, by language

test("provider: the key-case hint says what fits the program's language (YAML keys are camelCase; the Python hint only for Python)", async () => {
    const issues = [{ path: ["volumes", 0, "claim_name"], message: "unknown field" }];
    assert.match(snakeCaseHint(issues, "python") ?? "", /in Python, dicts inside union positions/);
    const yaml = snakeCaseHint(issues, "yaml") ?? "";
    assert.match(yaml, /write claimName, not claim_name/);
    assert.doesNotMatch(yaml, /Python/);
    assert.equal(
        snakeCaseHint([{ path: ["resourcesPerNode", "gpu"], message: "" }], "yaml"),
        undefined,
        "YAML programs write the camelCase path themselves",
    );
    for (const [text, want] of [
        ["name: p\nruntime: yaml\n", "yaml"],
        ["name: p\nruntime:\n  name: python\n  options: {}\n", "python"],
        ["name: p\nruntime: nodejs\n", "nodejs"],
    ] as const) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-lang-"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), text);
        assert.equal(programLanguage(dir), want);
        fs.rmSync(dir, { recursive: true });
    }
    assert.equal(programLanguage(path.join(os.tmpdir(), "no-such-mlkube-dir")), undefined);
    // The TypeScript fix (".apply()") is not offered to other languages.
    assert.equal(
        forOtherLanguages(
            "x: must be known when the program runs (not a pulumi.Output/Promise): why; pass a plain value, or create the component inside the Output's .apply()",
        ),
        "x: must be known when the program runs (not an output of a resource that does not exist yet): why; pass a plain value",
    );
    // Through the provider: a YAML program's mount spec with a snake_case key.
    const out = await emit(async () => {
        const p = new MlkubeProvider({ schema: SCHEMA, version: "0.1.0", language: "yaml" });
        await assert.rejects(
            p.construct("x", COMPUTE, { image: "busybox", volumes: [{ claimName: "data", mount_path: "/data" }] }, {}),
            (e: Error) => {
                assert.match(
                    e.message,
                    /volumes\[0\]\.mount_path: unknown field; did you mean "mountPath"\?\n {2}\(YAML keys are the schema's camelCase names: write mountPath, not mount_path\)/,
                );
                assert.doesNotMatch(e.message, /Python/);
                return true;
            },
        );
        await assert.rejects(
            p.construct("y", COMPUTE, { image: "busybox", volumes: [{ claim_name: "data", mount_path: "/data" }] }, {}),
            (e: Error) => {
                assert.match(
                    e.message,
                    /volumes\[0\]\.claim_name: unknown field; write "claimName" \(YAML keys are the schema's camelCase names, as written\)/,
                );
                assert.doesNotMatch(e.message, /Python/);
                return true;
            },
        );
        // A Python program keeps the Python wording.
        const py = new MlkubeProvider({ schema: SCHEMA, version: "0.1.0", language: "python" });
        await assert.rejects(
            py.construct("z", COMPUTE, { image: "busybox", volumes: [{ claim_name: "data" }] }, {}),
            /in Python, dicts inside union positions keep their keys as written/,
        );
    });
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
});

// ---------------------------------------------------------------------------------------------
// Autoscaling with a CPU limit only

test("autoscaling: a CPU (or memory) limit without a request is accepted (Kubernetes takes the limit as the request)", async () => {
    const r = await emit(
        () =>
            new Compute("a", {
                image: "busybox",
                resources: { limits: { cpu: 2, memory: "1Gi" } },
                autoscaling: {
                    maxReplicas: 3,
                    targetCPUUtilizationPercentage: 70,
                    targetMemoryUtilizationPercentage: 80,
                },
            }),
    );
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
    );
    const hpa = r.get("HorizontalPodAutoscaler", "a");
    assert.deepEqual(
        hpa.spec.metrics.map((m: any) => m.resource.name),
        ["cpu", "memory"],
    );
    await assertFails(
        () => new Compute("b", { image: "busybox", autoscaling: { maxReplicas: 3 } }),
        /autoscaling: CPU-based autoscaling needs resources\.cpu/,
    );
});

// ---------------------------------------------------------------------------------------------
// Runtime patches: the fixes suggested work

test("runtime patches: env on an initializer container points at initializer.<kind>.env (the TrainJob's env does not reach initializers), and that works", async () => {
    const base = {
        image: "pytorch",
        initializer: { dataset: { storageUri: "hf://a/b" }, model: { storageUri: "hf://c/d" }, volume: "shared" },
    };
    for (const kind of ["dataset", "model"] as const) {
        const patch = {
            manager: "example.com/x",
            trainingRuntimeSpec: {
                template: {
                    spec: {
                        replicatedJobs: [
                            {
                                name: `${kind}-initializer`,
                                template: {
                                    spec: {
                                        template: {
                                            spec: {
                                                containers: [
                                                    {
                                                        name: `${kind}-initializer`,
                                                        env: [{ name: "HF_HOME", value: "/tmp" }],
                                                    },
                                                ],
                                            },
                                        },
                                    },
                                },
                            },
                        ],
                    },
                },
            },
        };
        await assertFails(
            () => new TrainJob("t", { ...base, backend: "jobset", runtimePatches: [patch] }),
            new RegExp(
                `env: the Trainer does not accept env for the "${kind}-initializer" container in a patch; set it in initializer\\.${kind}\\.env instead`,
            ),
        );
    }
    // The suggested place works: the initializer gets the env.
    const r = await emit(
        () =>
            new TrainJob("t", {
                ...base,
                backend: "jobset",
                initializer: { ...base.initializer, dataset: { storageUri: "hf://a/b", env: { HF_HOME: "/tmp" } } },
            }),
    );
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
    );
    const js = r.get("JobSet", "t");
    const init = js.spec.replicatedJobs.find((j: any) => j.name === "dataset-initializer").template.spec.template.spec
        .containers[0];
    assert.ok(init.env.some((e: any) => e.name === "HF_HOME" && e.value === "/tmp"));
    // node's env still points at the TrainJob's env.
    await assertFails(
        () =>
            new TrainJob("t", {
                image: "pytorch",
                backend: "kubeflow",
                runtimePatches: [
                    {
                        manager: "example.com/x",
                        trainingRuntimeSpec: {
                            template: {
                                spec: {
                                    replicatedJobs: [
                                        {
                                            name: "node",
                                            template: {
                                                spec: {
                                                    template: {
                                                        spec: {
                                                            containers: [
                                                                { name: "node", env: [{ name: "A", value: "b" }] },
                                                            ],
                                                        },
                                                    },
                                                },
                                            },
                                        },
                                    ],
                                },
                            },
                        },
                    },
                ],
            }),
        /set it in the TrainJob's env instead/,
    );
});

test("runtime patches: one volume mounted twice in a container patch gets a fix that works (a second pod volume of the same source)", async () => {
    const patch = (volumes: unknown[], mounts: unknown[]) => ({
        manager: "example.com/x",
        trainingRuntimeSpec: {
            template: {
                spec: {
                    replicatedJobs: [
                        {
                            name: "node",
                            template: {
                                spec: {
                                    template: {
                                        spec: { volumes, containers: [{ name: "node", volumeMounts: mounts }] },
                                    },
                                },
                            },
                        },
                    ],
                },
            },
        },
    });
    const claim = { persistentVolumeClaim: { claimName: "data" } };
    for (const backend of ["kubeflow", "jobset"] as const) {
        const r = await collect(
            () =>
                new TrainJob("t", {
                    image: "pytorch",
                    backend,
                    runtimePatches: [
                        patch(
                            [{ name: "data", ...claim }],
                            [
                                { name: "data", mountPath: "/a", subPath: "x" },
                                { name: "data", mountPath: "/b", subPath: "y" },
                            ],
                        ) as never,
                    ],
                }),
        );
        const msg = r.errors.map((e) => e.message).join("\n");
        assert.match(
            msg,
            /volumeMounts\[1\]\.name: volume "data" is mounted twice in this container.*add a second pod volume with the same source under another name.*and mount that/,
            msg,
        );
        assert.doesNotMatch(msg, /merge the two entries/);
        // The fix: two pod volumes of one claim, one mount each.
        const ok = await emit(
            () =>
                new TrainJob("t", {
                    image: "pytorch",
                    backend,
                    runtimePatches: [
                        patch(
                            [
                                { name: "data", ...claim },
                                { name: "data-2", ...claim },
                            ],
                            [
                                { name: "data", mountPath: "/a", subPath: "x" },
                                { name: "data-2", mountPath: "/b", subPath: "y" },
                            ],
                        ) as never,
                    ],
                }),
        );
        assert.deepEqual(
            ok.errors.map((e) => e.message),
            [],
            backend,
        );
    }
});
