/**
 * Outputs where mlkube must read the value (issue 22 item 5). One rule, in the schema layer
 * (src/schema/k8s.ts mustBeKnownWhy, src/schema/input.ts): what mlkube merges, compares, iterates or
 * branches on must be known when the program runs; leaves it only passes to Kubernetes may be Outputs.
 * The property test replaces any position of valid args of every component with an Output, a secret
 * Output or a Promise of the same value: the result is a validation error naming that position (no
 * crash, no secret in the message) or the very objects the plain args give.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret, TrainJob, Volume } from "../src";
import { formatPath } from "../src/errors";
import { collect } from "../src/render/collect";
import { toObjects } from "../src/render";
import { assertFails } from "./helpers";

const KNOWN =
    /must be known when the program runs \(not a pulumi\.Output\/Promise\): .+; pass a plain value, or create the component inside the Output's \.apply\(\)/;

test("containerSecurityContext.capabilities.add as an Output: a validation error naming it (was TypeError: add.find is not a function)", async () => {
    await assertFails(
        () =>
            new Compute("a", {
                image: "busybox",
                containerSecurityContext: { capabilities: { add: pulumi.output(["NET_BIND_SERVICE"]) as never } },
            }),
        /^Compute "a": containerSecurityContext\.capabilities\.add: must be known when the program runs .*: mlkube checks the added capabilities against the secure defaults; pass a plain value/,
    );
});

test("kubeflow podPatch.containers as a Promise: a validation error naming it (was TypeError: … is not iterable)", async () => {
    await assertFails(
        () =>
            new TrainJob("t", {
                backend: "kubeflow",
                image: "pytorch",
                podPatch: { containers: Promise.resolve([{ name: "node", workingDir: "/w" }]) as never },
            }),
        /^TrainJob "t": podPatch\.containers: must be known when the program runs .*: mlkube merges this list by name/,
    );
});

test("Compute podPatch.containers[0] as a secret Output: refused (was a Deployment with a duplicated container name and no image)", async () => {
    const r = await collect(
        () =>
            new Compute("a", {
                image: "busybox",
                podPatch: { containers: [pulumi.secret({ name: "main", workingDir: "/SECRETDIR" }) as never] },
            }),
    );
    assert.equal(r.resources.filter((x) => x.type.startsWith("kubernetes:")).length, 0, "nothing registered");
    assert.equal(r.errors.length, 1);
    assert.match(
        r.errors[0].message,
        /^Compute "a": podPatch\.containers\[0\]: must be known when the program runs .*: mlkube merges the items of containers by name, so each item must be known/,
    );
    assert.doesNotMatch(r.errors[0].message, /SECRETDIR/);
});

test("Outputs that stay Inputs: leaves mlkube only passes through (image, env values, a podPatch field, a toleration's value, an affinity's values list)", async () => {
    const r = await collect(() => {
        new Compute("a", {
            image: pulumi.output("busybox"),
            env: { A: pulumi.secret("s") },
            tolerations: [{ key: "k", operator: "Equal", value: pulumi.output("v"), effect: "NoSchedule" }],
            affinity: {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [
                            { matchExpressions: [{ key: "zone", operator: "In", values: pulumi.output(["a", "b"]) }] },
                        ],
                    },
                },
            },
            podPatch: {
                priorityClassName: pulumi.output("high"),
                containers: [{ name: "main", workingDir: pulumi.output("/w") }],
            },
            containerSecurityContext: {
                readOnlyRootFilesystem: pulumi.output(true),
                seccompProfile: { type: pulumi.output("RuntimeDefault") },
            },
        });
    });
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
    );
    const d = toObjects(r.resources, true).objects.find((o) => o.kind === "Deployment") as any;
    const spec = d.spec.template.spec;
    assert.equal(spec.containers.length, 1);
    assert.equal(spec.containers[0].workingDir, "/w");
    assert.equal(spec.priorityClassName, "high");
    assert.deepEqual(
        spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
            .matchExpressions[0].values,
        ["a", "b"],
    );
});

// ---------------------------------------------------------------------------------------------
// The property

/** Valid args of each component, rich in nested Kubernetes objects; `make` runs inside the program (it may create Volumes and Secrets). */
interface Case {
    kind: string;
    build: (args: any) => unknown;
    make: () => Record<string, unknown>;
}

const securityContexts = () => ({
    // No fsGroup: mlkube derives it from runAsGroup/runAsUser (claims are mounted), so reading them matters.
    securityContext: {
        runAsUser: 1000,
        runAsGroup: 2000,
        seccompProfile: { type: "RuntimeDefault" },
        supplementalGroups: [3000],
    },
    containerSecurityContext: {
        readOnlyRootFilesystem: true,
        capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
        runAsNonRoot: true,
    },
});
const scheduling = () => ({
    nodeSelector: { pool: "gpu" },
    // A toleration of the GPU taint: mlkube compares its key with the automatic GPU toleration's.
    tolerations: [
        { key: "dedicated", operator: "Equal", value: "ml", effect: "NoSchedule" },
        { key: "nvidia.com/gpu", operator: "Exists" },
    ],
    affinity: {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a", "b"] }] }],
            },
        },
    },
});
const runtimePatch = () => ({
    manager: "example.com/team",
    trainingRuntimeSpec: {
        template: {
            metadata: { labels: { team: "ml" } },
            spec: {
                replicatedJobs: [
                    {
                        name: "node",
                        template: {
                            spec: {
                                template: {
                                    metadata: { annotations: { note: "x" } },
                                    spec: {
                                        nodeSelector: { disk: "ssd" },
                                        tolerations: [{ key: "spot", operator: "Exists", effect: "NoSchedule" }],
                                        volumes: [{ name: "extra", emptyDir: { sizeLimit: "1Gi" } }],
                                        containers: [
                                            {
                                                name: "node",
                                                volumeMounts: [{ name: "extra", mountPath: "/extra" }],
                                                securityContext: { readOnlyRootFilesystem: true },
                                            },
                                        ],
                                        schedulingGates: [{ name: "example.com/gate" }],
                                    },
                                },
                            },
                        },
                    },
                ],
            },
        },
    },
});

const CASES: Case[] = [
    {
        kind: "Compute",
        build: (a) => new Compute("w", a),
        make: () => ({
            image: "busybox",
            command: ["sh", "-c"],
            args: ["sleep 1"],
            env: { A: "1", POD_IP: { fieldRef: "status.podIP" } },
            resources: { cpu: 1, memory: "1Gi", gpu: 1, limits: { cpu: 2, memory: "2Gi" } },
            volumes: [
                new Volume("data", { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" }),
                "claim",
                { volume: "other", mountPath: "/other", subPath: "x", readOnly: true },
            ],
            secrets: [new Secret("tok", { env: { TOKEN: "t" } })],
            emptyDirs: [{ mountPath: "/scratch", sizeLimit: "1Gi" }],
            sharedMemory: "256Mi",
            labels: { team: "ml" },
            podLabels: { tier: "web" },
            ...scheduling(),
            ...securityContexts(),
            podPatch: {
                containers: [
                    { name: "main", workingDir: "/w", ports: [{ containerPort: 9000, name: "metrics" }] },
                    { name: "side", image: "nginx" },
                ],
                volumes: [{ name: "cfg", emptyDir: {} }],
                dnsConfig: { options: [{ name: "ndots", value: "2" }] },
            },
            ports: [{ port: 80, targetPort: 8080 }],
            readinessProbe: { path: "/health", port: 8080 },
            preStop: { sleepSeconds: 5 },
            replicas: 2,
        }),
    },
    ...(["jobset", "kubeflow", "job"] as const).map((backend): Case => ({
        kind: `TrainJob/${backend}`,
        build: (a) => new TrainJob("t", a),
        make: () => ({
            backend,
            image: "pytorch",
            command: ["torchrun", "train.py"],
            numNodes: 2,
            resourcesPerNode: { cpu: 4, memory: "16Gi", gpu: 1 },
            volumes: [
                new Volume("ds", { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" }),
                { volume: "ckpt", mountPath: "/ckpt" },
            ],
            env: { A: "1" },
            ...scheduling(),
            ...securityContexts(),
            ...(backend === "job" ? {} : { runtimePatches: [runtimePatch()] }),
            podPatch:
                backend === "kubeflow"
                    ? {
                          schedulingGates: [{ name: "example.com/hold" }],
                          containers: [
                              { name: "node", volumeMounts: [{ name: "pvc-ckpt", mountPath: "/ckpt2", subPath: "y" }] },
                          ],
                      }
                    : { containers: [{ name: "node", workingDir: "/w" }], volumes: [{ name: "cfg", emptyDir: {} }] },
        }),
    })),
    {
        kind: "Volume",
        build: (a) => new Volume("v", a),
        make: () => ({
            size: "1Gi",
            accessMode: "ReadWriteOnce",
            storageClass: "fast",
            labels: { team: "ml" },
            mountPath: "/data",
        }),
    },
    {
        kind: "Secret",
        build: (a) => new Secret("s", a),
        make: () => ({
            env: { A: "alpha-value", B: "beta-value" },
            mount: "files",
            mountPath: "/secrets",
            labels: { team: "ml" },
        }),
    },
];

type Path = (string | number)[];

function isPlain(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype);
}

/** Every position in plain objects and arrays of `v` (not inside resources), the root included. */
function positions(v: unknown, at: Path = []): Path[] {
    const out: Path[] = [at];
    if (isPlain(v))
        for (const k of Object.keys(v))
            out.push(...positions((v as any)[k], [...at, Array.isArray(v) ? Number(k) : k]));
    return out;
}

function replaceAt(v: any, path: Path, f: (x: unknown) => unknown): any {
    if (!path.length) return f(v);
    const [k, ...rest] = path;
    const copy = Array.isArray(v) ? v.slice() : { ...v };
    copy[k] = replaceAt(v[k], rest, f);
    return copy;
}

const WRAPS: Record<string, (x: unknown) => unknown> = {
    output: (x) => pulumi.output(x),
    secret: (x) => pulumi.secret(x),
    promise: (x) => Promise.resolve(x),
};

async function render(c: Case, change?: { path: Path; wrap: string }) {
    let registered = 0;
    const r = await collect(
        () => {
            const args = c.make();
            c.build(change ? replaceAt(args, change.path, WRAPS[change.wrap]) : args);
            registered++;
        },
        { timeoutSeconds: 20 },
    );
    return { errors: r.errors, objects: r.errors.length ? [] : toObjects(r.resources, true).objects, registered };
}

const plain = new Map<string, Awaited<ReturnType<typeof render>>>();

/** A string of the value at `path` that a message must not show when it was given as a secret. */
function shown(v: unknown): string[] {
    if (typeof v === "string" && v.length >= 3) return [JSON.stringify(v)];
    if (isPlain(v)) return Object.values(v).flatMap(shown);
    return [];
}

for (const c of CASES) {
    test(`property: any position of valid ${c.kind} args as an Output, a secret Output or a Promise gives a validation error naming it, or the same objects`, async () => {
        if (!plain.has(c.kind)) plain.set(c.kind, await render(c));
        const base = plain.get(c.kind)!;
        assert.deepEqual(
            base.errors.map((e) => e.message),
            [],
            "the plain args are valid",
        );
        // The structure is the same on every call of make(): positions are taken from one.
        let all: Path[] = [];
        await collect(() => {
            all = positions(c.make());
        });
        await fc.assert(
            fc.asyncProperty(fc.constantFrom(...all), fc.constantFrom(...Object.keys(WRAPS)), async (path, wrap) => {
                const r = await render(c, { path, wrap });
                if (!r.errors.length) {
                    assert.deepEqual(
                        r.objects,
                        base.objects,
                        `${formatPath(path)} as ${wrap}: other objects than the plain args give`,
                    );
                    return;
                }
                const where = `${formatPath(path)} as ${wrap}`;
                const kind = c.kind.split("/")[0];
                for (const e of r.errors) {
                    assert.doesNotMatch(
                        e.message,
                        /TypeError|is not a function|is not iterable|Cannot read|Invalid input/,
                        `${where}: ${e.message}`,
                    );
                    assert.ok(e.message.startsWith(`${kind} "`), `${where}: not mlkube's error: ${e.message}`);
                }
                const msg = r.errors.map((e) => e.message).join("\n");
                // The args themselves have no path: their message says so.
                const named = path.length
                    ? msg.includes(`: ${formatPath(path)}: `)
                    : /": expected an object, got a pulumi\.Output\/Promise: the args must be known when the program runs/.test(
                          msg,
                      );
                assert.ok(named, `${where}: the message does not name the position: ${msg}`);
                if (path.length && msg.includes("must be known when the program runs"))
                    assert.match(msg, KNOWN, `${where}: says why and the fix`);
                if (wrap === "secret") {
                    let value: unknown;
                    await collect(() => {
                        value = path.reduce((v: any, k) => v?.[k], c.make());
                    });
                    for (const s of shown(value))
                        assert.ok(!msg.includes(s), `${where}: the secret ${s} is in the message: ${msg}`);
                }
            }),
            { numRuns: Number(process.env.KNOWN_RUNS ?? 50) },
        );
    });
}
