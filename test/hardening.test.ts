/**
 * Hostile input, leaks and the render CLI (issue 12, part B): each test names the defect class it
 * proves fixed. The generated hostile-input run is test/fuzz.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ConfigMap } from "@pulumi/kubernetes/core/v1";
import * as YAML from "yaml";
import { Compute, MlkubeValidationError, Secret, TrainJob, Volume } from "../src";
import { closest, formatPath } from "../src/errors";
import { collect } from "../src/render/collect";
import { objectYaml, toObjects, toYaml } from "../src/render";
import { emit, reveal } from "./helpers";
import { ensureBuilt, ROOT } from "./render-helpers";

const FIX = path.join(__dirname, "render-fixtures");

/** The error a synchronous constructor throws (fails when it throws something else or nothing). */
function validationError(fn: () => unknown): MlkubeValidationError {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof MlkubeValidationError, `not a validation error: ${(e as Error)?.stack ?? e}`);
        return e;
    }
    assert.fail("expected a validation error");
}

// ---------------------------------------------------------------------------------------------
// Leaks and wrong output

test("render: a secret inside metadata or spec is redacted where it sits; names and structure stay", async () => {
    const r = await collect(() => {
        new Compute("api", {
            image: "nginx",
            env: { TOKEN: pulumi.secret("tok-SECRET1") },
            labels: { team: pulumi.secret("ml-SECRET2") },
        });
    });
    assert.deepEqual(r.errors, []);
    const { objects, sources } = toObjects(r.resources, false);
    const d = objects.find((o) => o.kind === "Deployment")!;
    assert.equal(d.metadata.name, "api");
    assert.equal(sources[objects.indexOf(d)].autoNamed, false);
    assert.equal((d.metadata as Record<string, unknown>).value, undefined);
    assert.equal(d.metadata.labels?.team, "<redacted>");
    assert.equal(d.metadata.labels?.["app.kubernetes.io/name"], "api");
    const spec = d.spec as any;
    assert.equal(spec.replicas, 1);
    assert.equal(spec.template.spec.containers[0].image, "nginx");
    assert.deepEqual(spec.template.spec.containers[0].env, [{ name: "TOKEN", value: "<redacted>" }]);
    assert.doesNotMatch(toYaml(objects, sources), /SECRET/);
    const shown = toObjects(r.resources, true).objects.find((o) => o.kind === "Deployment")!;
    assert.equal(shown.metadata.labels?.team, "ml-SECRET2");
    assert.equal((shown.spec as any).template.spec.containers[0].env[0].value, "tok-SECRET1");
});

test("render: a whole metadata given as a secret is redacted leaf by leaf, never printed in clear", async () => {
    const r = await collect(() => {
        new ConfigMap("cm", {
            metadata: pulumi.secret({ name: "cm-SECRET", labels: { a: "b" } }) as never,
            data: { plain: "visible" },
        });
    });
    const [o] = toObjects(r.resources, false).objects;
    assert.deepEqual(o.metadata, { name: "<redacted>", labels: { a: "<redacted>" } });
    assert.deepEqual(o.data, { plain: "visible" });
});

test("secret Outputs in validated fields are never quoted in errors", async () => {
    const r = await collect(() => {
        new Volume("v", { size: "1Gi", storageClass: pulumi.secret("Bad_Class_SECRET") });
        new Compute("c", { image: "x", namespace: pulumi.secret("NS_SECRET") });
        new Secret("s", { env: pulumi.secret({ "bad key": "VALUE_SECRET" }) });
    });
    assert.equal(r.errors.length, 3, r.errors.map((e) => e.message).join("\n"));
    for (const e of r.errors) {
        assert.doesNotMatch(e.message, /Bad_Class|bad-class|NS_SECRET|ns-secret|VALUE_SECRET/);
    }
    assert.ok(r.errors.some((e) => /^Volume "v": storageClass: is not valid \(the value is a secret/.test(e.message)));
});

test("Outputs inside pass-through Kubernetes objects reach the object resolved, never as mlkube's marker", async () => {
    const out = await emit(() => {
        new Compute("c", {
            image: "x",
            // Leaves mlkube only passes through (runAsUser and runAsGroup it reads: test/known-inputs.test.ts).
            securityContext: {
                seLinuxOptions: { level: pulumi.output("s0:c1") as never },
                fsGroup: Promise.resolve(2000) as never,
            },
            containerSecurityContext: { readOnlyRootFilesystem: pulumi.output(true) as never },
            affinity: {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [
                            { matchExpressions: [{ key: "zone", operator: "In", values: [pulumi.output("a")] }] },
                        ],
                    },
                },
            },
            topologySpreadConstraints: [
                { maxSkew: pulumi.output(1), topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" },
            ],
            podPatch: { priority: pulumi.output(5) as never },
        });
    });
    assert.deepEqual(out.errors, []);
    const pod = reveal(out.get("Deployment", "c")).spec.template.spec;
    assert.equal(pod.securityContext.seLinuxOptions.level, "s0:c1");
    assert.equal(pod.securityContext.fsGroup, 2000);
    assert.equal(pod.containers[0].securityContext.readOnlyRootFilesystem, true);
    assert.deepEqual(
        pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
            .matchExpressions[0].values,
        ["a"],
    );
    assert.equal(pod.topologySpreadConstraints[0].maxSkew, 1);
    assert.equal(pod.priority, 5);
    assert.doesNotMatch(JSON.stringify(pod), /"component"|"path"/);
});

test("render: a newline in a resource name cannot break out of the # Source: comment", () => {
    const object = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { a: "b" } };
    const yaml = toYaml(
        [object],
        [{ type: "kubernetes:core/v1:ConfigMap", name: "evil\n---\nkind: Secret\u2028\u0085", autoNamed: false }],
    );
    const docs = YAML.parseAllDocuments(yaml);
    assert.equal(docs.length, 1);
    assert.deepEqual((docs as YAML.Document[])[0].toJS(), object);
    assert.match(yaml, /^# Source: kubernetes:core\/v1:ConfigMap::evil\\u000a---\\u000akind: Secret\\u2028\\u0085$/m);
});

test("render: strings a YAML 1.1 reader (kubectl) would misread are quoted", () => {
    const data = { a: "yes", b: "on", c: "n", d: "1_000", e: "2024-01-31", f: "1:20", g: "0o17", h: "plain" };
    const yaml = objectYaml({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data });
    for (const version of ["1.1", "1.2"] as const) assert.deepEqual(YAML.parse(yaml, { version }).data, data);
    assert.match(yaml, /^ {2}h: plain$/m);
});

test("Secret validates its component name like Volume and Compute", async () => {
    const e = validationError(() => new Secret("hfToken", { env: { A: "b" } }));
    assert.equal(
        e.message,
        'Secret "hfToken": name: "hfToken" is not a valid DNS subdomain (lowercase letters, digits, \'-\' and \'.\', at most 253 characters); use "hftoken"',
    );
    const out = await emit(() => new Secret("hfToken", { env: { A: "b" }, name: "hf-token" }));
    assert.deepEqual(out.errors, []);
    assert.equal(out.get("Secret", "hfToken").metadata.name, "hf-token");
});

// ---------------------------------------------------------------------------------------------
// No crash, no hang

test("deep and cyclic values are validation errors, not RangeError", () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20000; i++) deep = deep.a = {};
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.match(
        validationError(() => new Compute("c", { image: "x", podPatch: root })).message,
        /^Compute "c": podPatch(\.a)+: is nested more than 100 levels deep/,
    );
    assert.match(
        validationError(() => new Compute("c", { image: "x", affinity: cyclic })).message,
        /^Compute "c": affinity\.self: refers to itself/,
    );
    assert.match(
        validationError(() => new Volume("v", { size: "1Gi", labels: cyclic as never })).message,
        /labels\.self: refers to itself/,
    );
});

test("runtime patches naming a replicated job constructor/toString/__proto__ are ordinary unknown names", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty"]) {
        const patch = JSON.parse(
            JSON.stringify({
                manager: "example.com/x",
                trainingRuntimeSpec: {
                    template: {
                        spec: {
                            replicatedJobs: [
                                {
                                    name,
                                    template: { spec: { template: { spec: { containers: [{ name: "node" }] } } } },
                                },
                            ],
                        },
                    },
                },
            }),
        );
        const e = validationError(() => new TrainJob("t", { image: "x", runtimePatches: [patch] }));
        assert.match(e.message, new RegExp(`replicated job "${name}" does not exist`));
    }
});

test("own __proto__ keys are invalid keys; keys named constructor are ordinary", async () => {
    const top = validationError(() => new Compute("c", JSON.parse('{"image":"x","__proto__":{"replicas":5}}')));
    assert.equal(
        top.message,
        'Compute "c": __proto__: "__proto__" is not allowed as a key (it is no Kubernetes field or name)',
    );
    const sc = validationError(
        () =>
            new Compute("c", {
                image: "x",
                podPatch: JSON.parse('{"securityContext":{"__proto__":{"runAsNonRoot":false}}}'),
            }),
    );
    assert.match(sc.message, /podPatch\.securityContext\.__proto__: "__proto__" is not allowed/);
    const labels = validationError(
        () => new Volume("v", { size: "1Gi", labels: JSON.parse('{"__proto__":"x","a":"b"}') }),
    );
    assert.match(labels.message, /labels\.__proto__/);
    assert.equal(({} as Record<string, unknown>).runAsNonRoot, undefined);
    const out = await emit(
        () => new Compute("c", { image: "x", env: { constructor: "v", toString: "w" }, labels: { constructor: "v" } }),
    );
    assert.deepEqual(out.errors, []);
    const d = out.get("Deployment", "c");
    assert.deepEqual(d.spec.template.spec.containers[0].env, [
        { name: "constructor", value: "v" },
        { name: "toString", value: "w" },
    ]);
    assert.equal(d.metadata.labels.constructor, "v");
    const cfg = await collect(() => new Compute("c", { image: "x" }), {
        config: { "mlkube:tolerations": '[{"__proto__":{"x":1},"key":"a"}]' },
    });
    assert.match(
        cfg.errors.map((e) => e.message).join("\n"),
        /mlkube:tolerations\[0\]\.__proto__: "__proto__" is not allowed/,
    );
});

test("special files: FIFOs, /dev/zero and directories give clear errors without reading; sizes are summed first", (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-special-"));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const fifo = path.join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    const cases: Array<[() => unknown, RegExp]> = [
        [
            () => new Secret("s", { fromFile: [fifo] }),
            /fromFile\[0\]: ".*fifo" is a named pipe \(FIFO\), not a regular file/,
        ],
        [
            () => new Secret("s", { fromFile: ["/dev/zero"] }),
            /fromFile\[0\]: "\/dev\/zero" is a device, not a regular file/,
        ],
        [() => new Secret("s", { fromFile: [dir] }), /fromFile\[0\]: ".*" is a directory, not a regular file/],
        [
            () => new Secret("s", { gitSsh: { privateKeyFile: fifo } }),
            /gitSsh\.privateKeyFile: ".*fifo" is a named pipe/,
        ],
        [
            () => new Secret("s", { gitSsh: { privateKeyFile: "/dev/zero" } }),
            /gitSsh\.privateKeyFile: "\/dev\/zero" is a device/,
        ],
        [
            () => new Secret("s", { gitSsh: { privateKeyFile: "k", knownHostsFile: dir } }),
            /gitSsh\.(privateKeyFile|knownHostsFile)/,
        ],
        [
            () => new Secret("s", { provider: "gcp", providerOptions: { credentialsFile: fifo } }),
            /provider: ".*fifo" is a named pipe/,
        ],
        [
            () => new Secret("s", { provider: "docker", providerOptions: { credentialsFile: "/dev/zero" } }),
            /provider: "\/dev\/zero" is a device/,
        ],
        [
            () => new Secret("s", { provider: "aws", providerOptions: { credentialsFile: dir, profile: "p" } }),
            /provider: ".*" is a directory/,
        ],
    ];
    for (const [fn, re] of cases) assert.match(validationError(fn).message, re);
    const big = Buffer.alloc(600 * 1024, 1);
    fs.writeFileSync(path.join(dir, "a.bin"), big);
    fs.writeFileSync(path.join(dir, "b.bin"), big);
    assert.match(
        validationError(() => new Secret("s", { fromFile: [path.join(dir, "a.bin"), path.join(dir, "b.bin")] }))
            .message,
        /fromFile: the files hold 1228800 bytes; Kubernetes limits a Secret to 1048576 bytes/,
    );
});

test("fromDirectory says which symlinks and FIFOs it skipped", async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-skip-"));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, "a.txt"), "A");
    fs.symlinkSync("/etc/hostname", path.join(dir, "link"));
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => warnings.push(a.join(" "));
    try {
        const out = await emit(() => new Secret("tree", { fromDirectory: dir }));
        assert.deepEqual(out.errors, []);
        assert.deepEqual(Object.keys(reveal(out.get("Secret", "tree").data)), ["a.txt"]);
    } finally {
        console.warn = warn;
    }
    assert.match(
        warnings.join("\n"),
        /Secret "tree": fromDirectory .*skipped what is not a regular file: link \(a symbolic link\), pipe \(a named pipe\)/,
    );
});

test("the error formatter never throws and says what it got", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(
        validationError(() => new Compute("c", { image: "x", imagePullPolicy: 10n as never })).message,
        'Compute "c": imagePullPolicy: 10n is not one of "Always", "IfNotPresent", "Never"',
    );
    assert.match(
        validationError(() => new Compute("c", { image: "x", imagePullPolicy: cyclic as never })).message,
        /imagePullPolicy(\.self)?: /,
    );
    assert.equal(
        validationError(() => new Compute("c", { image: "x", replicas: NaN })).message,
        'Compute "c": replicas: expected a finite number, got NaN',
    );
    assert.equal(
        validationError(() => new Compute("c", { image: "x", replicas: -Infinity })).message,
        'Compute "c": replicas: expected a finite number, got -Infinity',
    );
    assert.equal(
        validationError(() => new Volume("v", { size: "1Gi", volumeMode: undefined, reclaim: null as never })).message,
        'Volume "v": reclaim: null is not one of "Retain", "Delete"',
    );
    const unprintable = {
        toString: () => {
            throw new Error("no");
        },
    };
    assert.match(
        validationError(() => new Volume(unprintable as never, { size: "1Gi" })).message,
        /the resource name must be a non-empty string, got an object/,
    );
    assert.equal(formatPath([Symbol("s") as never, "a"]), '["Symbol(s)"].a');
    const key = "k".repeat(1 << 20);
    const t0 = process.hrtime.bigint();
    const e = validationError(
        () => new Compute("c", { image: "x", [key]: 1, imagePullPolicy: "A".repeat(1 << 20) } as never),
    );
    assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 2000, "a 1 MB key must not take seconds");
    assert.ok(e.message.length < 4000, `echoed input is truncated (${e.message.length} chars)`);
    assert.match(e.message, /…\(1048576 characters\)/);
    assert.equal(closest(key, ["image"]), undefined);
});

test("TrainJob validates before registering the component", async () => {
    const r = await collect(() => new TrainJob("t", { image: "" }));
    assert.equal(r.errors.length, 1);
    assert.deepEqual(
        r.resources.map((x) => x.type),
        [],
    );
});

test("fromEnv never reads inherited members of process.env", () => {
    for (const name of ["valueOf", "toString", "constructor", "hasOwnProperty"]) {
        assert.match(
            validationError(() => new Secret("s", { fromEnv: [name] })).message,
            new RegExp(`fromEnv\\[0\\]: environment variable ${name} is not set`),
        );
    }
});

test("opts: null and an empty or non-string name are mlkube errors naming component and field", () => {
    assert.equal(
        validationError(() => new Volume("v", { size: "1Gi" }, null as never)).message,
        'Volume "v": opts: resource options must be an object (or left out), got null',
    );
    assert.equal(
        validationError(() => new Compute("", { image: "x" })).message,
        'Compute "": the resource name must be a non-empty string, got an empty string',
    );
    assert.equal(
        validationError(() => new TrainJob(7 as never, { image: "x" })).message,
        'TrainJob "": the resource name must be a non-empty string, got a number',
    );
    assert.match(
        validationError(() => new Secret("s", { env: { A: "b" } }, 5 as never)).message,
        /^Secret "s": opts: resource options must be an object/,
    );
});

// ---------------------------------------------------------------------------------------------
// mlkube render CLI

function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const p = spawn(process.execPath, [path.join(ROOT, "dist", "render", "cli.js"), ...args], { cwd: ROOT });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

test("cli: never-settling programs, live timers, stdout writes, late rejections and a bad package.json", async () => {
    ensureBuilt();
    const [never, timer, writes, late, pkg] = await Promise.all([
        cli("render", path.join(FIX, "never-settles")),
        cli("render", path.join(FIX, "live-timer"), "--timeout", "1"),
        cli("render", path.join(FIX, "writes-stdout")),
        cli("render", path.join(FIX, "late-reject")),
        cli("render", path.join(FIX, "bad-package")),
    ]);
    assert.equal(never.code, 1);
    assert.equal(never.stdout, "");
    assert.match(never.stderr, /the program never finished: its promise did not settle/);
    assert.equal(timer.code, 1);
    assert.match(timer.stderr, /the program did not finish within 1 s/);
    assert.equal(writes.code, 0, writes.stderr);
    assert.match(writes.stderr, /not yaml: \[/);
    const docs = YAML.parseAllDocuments(writes.stdout, { version: "1.1" }) as YAML.Document[];
    assert.deepEqual(
        docs.map((d) => d.toJS().data),
        [{ a: "yes", b: "on", c: "n", d: "1_000", e: "2024-01-31" }],
    );
    assert.equal(late.code, 1);
    assert.equal(late.stdout, "");
    assert.match(late.stderr, /^error: .*late failure: the model registry said no$/m);
    assert.equal(pkg.code, 1);
    assert.match(pkg.stderr, /bad-package\/app\/package\.json: .*JSON/);
    const usage = await cli("render", path.join(FIX, "plain"), "--timeout", "soon");
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--timeout expects a number of seconds/);
});

test("a whole podPatch or security context given as an Output is refused (mlkube merges them; merging an Output would merge its own fields), Outputs inside them stay Inputs", async () => {
    const whole = {
        podPatch: pulumi.output({ hostNetwork: true }),
        securityContext: pulumi.output({ runAsUser: 1000 }),
        containerSecurityContext: pulumi.output({ readOnlyRootFilesystem: true }),
    };
    for (const [field, value] of Object.entries(whole)) {
        for (const build of [
            () => new Compute("c", { image: "busybox", [field]: value }),
            () => new TrainJob("t", { image: "pytorch", command: ["torchrun"], numNodes: 2, [field]: value }),
        ]) {
            const r = await collect(() => {
                assert.throws(
                    build,
                    (e: Error) =>
                        e instanceof MlkubeValidationError &&
                        new RegExp(`${field}: must be known when the program runs`).test(e.message),
                );
            });
            assert.deepEqual(
                r.errors.map((e) => e.message),
                [],
            );
        }
    }
    // Inside the object, an Output is an Input as anywhere else.
    const r = await collect(
        () => new Compute("d", { image: "busybox", podPatch: { priorityClassName: pulumi.output("high") } }),
    );
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
    );
    const d = r.resources.find((x) => x.type === "kubernetes:apps/v1:Deployment");
    assert.equal(
        (d?.inputs as { spec: { template: { spec: { priorityClassName: string; containers: unknown[] } } } }).spec
            .template.spec.priorityClassName,
        "high",
    );
    assert.equal(
        (d?.inputs as { spec: { template: { spec: { containers: unknown[] } } } }).spec.template.spec.containers.length,
        1,
    );
});
