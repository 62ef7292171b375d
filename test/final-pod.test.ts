/**
 * The final pod (after every default, profile, podPatch and runtime patch) is checked with one rule set
 * (src/pod/final.ts): secure-default conflicts the API server or kubelet refuse, the names the API
 * server checks (volumes, containers, volumeMounts, ports), and tolerations as validateTolerations
 * checks them. Unit repros of issue 22 items 1, 6 and 7, then property tests whose oracle is written
 * here, independently of the code under test.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Compute, TrainJob } from "../src";
import { validateObject } from "./conformance";
import { assertFails, emit } from "./helpers";

const img = { image: "busybox" };
const train = { image: "busybox", numNodes: 2 };
const OFF = "set secureDefaults: false to turn mlkube's secure defaults off, and give the security contexts you need";
const rjPath = (i: number, j = 0) =>
    `runtimePatches[${i}].trainingRuntimeSpec.template.spec.replicatedJobs[${j}].template.spec.template.spec`;
const nodePatch = (spec: Record<string, unknown>, manager = "example.com/team") => ({
    manager,
    trainingRuntimeSpec: {
        template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec } } } }] } },
    },
});

// ---------------------------------------------------------------------------------------------------
// Item 1: secure-default conflicts through patches

test("final pod: podPatch privileged: true next to the default allowPrivilegeEscalation: false is refused at the podPatch path", async () => {
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                podPatch: { containers: [{ name: "main", securityContext: { privileged: true } }] },
            }),
        `Compute "c": podPatch.containers[0].securityContext.privileged: true contradicts the secure default allowPrivilegeEscalation: false (the API server rejects the pair) and Pod Security "restricted"; set allowPrivilegeEscalation: true explicitly, or ${OFF}`,
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                podPatch: {
                    containers: [{ name: "main", securityContext: { capabilities: { add: ["CAP_SYS_ADMIN"] } } }],
                },
            }),
        `Compute "c": podPatch.containers[0].securityContext.capabilities.add: "CAP_SYS_ADMIN" contradicts the secure default allowPrivilegeEscalation: false (the API server rejects CAP_SYS_ADMIN with it); set allowPrivilegeEscalation: true explicitly, or ${OFF}`,
    );
    // The explicit override, or secureDefaults: false, is coherent and emitted.
    const out = await emit(() => {
        new Compute("both", {
            ...img,
            podPatch: {
                containers: [{ name: "main", securityContext: { privileged: true, allowPrivilegeEscalation: true } }],
            },
        });
        new Compute("off", {
            ...img,
            secureDefaults: false,
            podPatch: { containers: [{ name: "main", securityContext: { privileged: true } }] },
        });
    });
    assert.deepEqual(out.errors, []);
    for (const o of out.objects()) assert.deepEqual(validateObject(o), []);
});

test("final pod: a contradiction the user wrote on both sides is refused too (the API server would reject it)", async () => {
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                containerSecurityContext: { allowPrivilegeEscalation: false },
                podPatch: { containers: [{ name: "main", securityContext: { privileged: true } }] },
            }),
        'Compute "c": podPatch.containers[0].securityContext.privileged: true contradicts allowPrivilegeEscalation: false set at containerSecurityContext.allowPrivilegeEscalation (the API server rejects the pair); remove one of them',
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                secureDefaults: false,
                containerSecurityContext: { allowPrivilegeEscalation: false, privileged: true },
            }),
        'Compute "c": containerSecurityContext.privileged: true contradicts allowPrivilegeEscalation: false set at containerSecurityContext.allowPrivilegeEscalation (the API server rejects the pair); remove one of them',
    );
});

test("final pod: runAsUser 0 from podPatch (pod or container level, init containers too) against the default runAsNonRoot", async () => {
    const fix = `run as a non-root user, set runAsNonRoot: false explicitly, or ${OFF}`;
    await assertFails(
        () => new Compute("c", { ...img, podPatch: { securityContext: { runAsUser: 0 } } }),
        `Compute "c": podPatch.securityContext.runAsUser: 0 (root) contradicts the secure default runAsNonRoot: true: the kubelet would refuse to start the container "main"; ${fix}`,
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                podPatch: { initContainers: [{ name: "setup", image: "busybox", securityContext: { runAsUser: 0 } }] },
            }),
        `Compute "c": podPatch.initContainers[0].securityContext.runAsUser: 0 (root) contradicts the secure default runAsNonRoot: true: the kubelet would refuse to start the container "setup"; ${fix}`,
    );
    // The container's runAsNonRoot overrides the pod's.
    const out = await emit(
        () =>
            new Compute("ok", {
                ...img,
                podPatch: {
                    initContainers: [
                        { name: "setup", image: "busybox", securityContext: { runAsUser: 0, runAsNonRoot: false } },
                    ],
                },
            }),
    );
    assert.deepEqual(out.errors, []);
});

test("final pod: a profile's podPatch is checked and named as the profile's", async () => {
    const profiles = JSON.stringify({
        priv: { podPatch: { containers: [{ name: "main", securityContext: { privileged: true } }] } },
    });
    await assertFails(
        () => new Compute("c", { ...img, profile: "priv" }),
        `Compute "c": mlkube:profiles.priv.podPatch.containers[0].securityContext.privileged: true contradicts the secure default allowPrivilegeEscalation: false (the API server rejects the pair) and Pod Security "restricted"; set allowPrivilegeEscalation: true explicitly, or ${OFF}`,
        { "mlkube:profiles": profiles },
    );
    await assertFails(
        () => new TrainJob("t", { ...train, profile: "priv" }),
        /mlkube:profiles\.priv\.podPatch\.containers\[0\]\.securityContext\.privileged: true contradicts/,
        { "mlkube:profiles": profiles.replace("main", "node") },
    );
});

test("final pod: runtimePatches on jobset and kubeflow are checked after merging, naming the patch", async () => {
    for (const backend of ["jobset", "kubeflow"] as const) {
        await assertFails(
            () =>
                new TrainJob("t", {
                    ...train,
                    backend,
                    runtimePatches: [
                        nodePatch({ containers: [{ name: "node", securityContext: { privileged: true } }] }),
                    ],
                }),
            `TrainJob "t": ${rjPath(0)}.containers[0].securityContext.privileged: true contradicts the secure default allowPrivilegeEscalation: false (the API server rejects the pair) and Pod Security "restricted"; set allowPrivilegeEscalation: true explicitly, or ${OFF}`,
        );
        await assertFails(
            () =>
                new TrainJob("t", {
                    ...train,
                    backend,
                    runtimePatches: [
                        nodePatch({ nodeSelector: { a: "b" } }, "example.com/a"),
                        nodePatch({ securityContext: { runAsUser: 0 } }, "example.com/b"),
                    ],
                }),
            new RegExp(
                `^TrainJob "t": ${rjPath(1).replace(/[[\].]/g, "\\$&")}\\.securityContext\\.runAsUser: 0 \\(root\\) contradicts the secure default runAsNonRoot: true`,
            ),
        );
        // A later patch that sets allowPrivilegeEscalation: true makes it coherent.
        const out = await emit(
            () =>
                new TrainJob("t", {
                    ...train,
                    backend,
                    runtimePatches: [
                        nodePatch(
                            { containers: [{ name: "node", securityContext: { privileged: true } }] },
                            "example.com/a",
                        ),
                        nodePatch(
                            { containers: [{ name: "node", securityContext: { allowPrivilegeEscalation: true } }] },
                            "example.com/b",
                        ),
                    ],
                }),
        );
        assert.deepEqual(out.errors, [], backend);
    }
});

// ---------------------------------------------------------------------------------------------------
// Item 6: names inside patches

test("final pod: volume, container and volumeMount names inside podPatch are checked", async () => {
    await assertFails(
        () => new Compute("c", { ...img, podPatch: { volumes: [{ name: "extra/../..", emptyDir: {} }] } }),
        `Compute "c": podPatch.volumes[0].name: "extra/../.." is not a valid volume name (a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); use "extra"`,
    );
    await assertFails(
        () => new Compute("c", { ...img, podPatch: { containers: [{ name: "Side_Car", image: "busybox" }] } }),
        `Compute "c": podPatch.containers[0].name: "Side_Car" is not a valid container name (a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); use "side-car"`,
    );
    await assertFails(
        () => new Compute("c", { ...img, podPatch: { initContainers: [{ name: "main", image: "busybox" }] } }),
        `Compute "c": podPatch.initContainers[0].name: "main" is also the name of containers[0]; container and init container names must be unique in the pod`,
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                podPatch: { containers: [{ name: "main", volumeMounts: [{ name: "data", mountPath: "/data" }] }] },
            }),
        `Compute "c": podPatch.containers[0].volumeMounts[0].name: "data" is not a volume of the pod (it has none); add the volume to podPatch.volumes, or mount one the pod has`,
    );
    await assertFails(
        () => new TrainJob("t", { ...train, runtimePatches: [nodePatch({ volumes: [{ name: "UP", emptyDir: {} }] })] }),
        `TrainJob "t": ${rjPath(0)}.volumes[0].name: "UP" is not a valid volume name (a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); use "up"`,
    );
    const out = await emit(
        () =>
            new Compute("ok", {
                ...img,
                podPatch: {
                    volumes: [{ name: "extra", emptyDir: {} }],
                    containers: [{ name: "main", volumeMounts: [{ name: "extra", mountPath: "/extra" }] }],
                },
            }),
    );
    assert.deepEqual(out.errors, []);
    for (const o of out.objects()) assert.deepEqual(validateObject(o), []);
});

test("final pod: hostile names (__proto__, a megabyte) are refused with a bounded message, quickly", async () => {
    const huge = "A".repeat(1_000_000);
    const t0 = Date.now();
    let out = await emit(
        () =>
            new Compute("c", {
                ...img,
                podPatch: {
                    volumes: [
                        { name: "__proto__", emptyDir: {} },
                        { name: huge, emptyDir: {} },
                    ],
                    containers: [{ name: "main", volumeMounts: [{ name: huge, mountPath: "/h" }] }],
                },
            }),
    );
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(out.errors.length, 1);
    const msg = out.errors[0].message;
    assert.match(msg, /podPatch\.volumes\[0\]\.name: "__proto__" is not a valid volume name/);
    assert.match(msg, /podPatch\.volumes\[1\]\.name: "AAAA.*…\(1000000 characters\) is not a valid volume name/);
    assert.ok(msg.length < 3000, `${msg.length} characters`);
    out = await emit(
        () =>
            new TrainJob("t", {
                ...train,
                backend: "kubeflow",
                runtimePatches: [
                    nodePatch({
                        containers: [
                            { name: "node", securityContext: { ["__proto__" as never]: { privileged: true } } },
                        ],
                    }),
                ],
            }),
    );
    for (const e of out.errors) assert.equal(e.name, "MlkubeValidationError");
    assert.equal(({} as Record<string, unknown>).privileged, undefined, "no prototype pollution");
});

// ---------------------------------------------------------------------------------------------------
// Item 7: tolerations as the API server's validateTolerations checks them

test("tolerations: an empty toleration is refused (tolerations, mlkube:tolerations, podPatch, runtimePatches)", async () => {
    const msg = `operator: "" must be "Exists" when key is empty (a toleration without a key tolerates every taint, which only operator "Exists" expresses); set operator: "Exists", or the key of the taint to tolerate`;
    await assertFails(() => new Compute("c", { ...img, tolerations: [{}] }), `Compute "c": tolerations[0].${msg}`);
    await assertFails(
        () => new Compute("c", { ...img, podPatch: { tolerations: [{ effect: "NoSchedule" }] } }),
        `Compute "c": podPatch.tolerations[0].${msg}`,
    );
    await assertFails(
        () => new TrainJob("t", { ...train, runtimePatches: [nodePatch({ tolerations: [{}] })] }),
        `TrainJob "t": ${rjPath(0)}.tolerations[0].${msg}`,
    );
    await assertFails(() => new Compute("c", img), `Stack config "dev": mlkube:tolerations[1].${msg}`, {
        "mlkube:tolerations": '[{"key":"a","operator":"Exists"},{}]',
    });
});

test("tolerations: the other validateTolerations rules (key, value with Exists, value a label value, tolerationSeconds needs NoExecute)", async () => {
    await assertFails(
        () => new Compute("c", { ...img, tolerations: [{ key: "a", operator: "Exists", value: "x" }] }),
        `Compute "c": tolerations[0].value: must be empty with operator "Exists" (it tolerates every value); remove value, or use operator "Equal"`,
    );
    await assertFails(
        () => new Compute("c", { ...img, tolerations: [{ key: "a/b/c", operator: "Exists" }] }),
        /^Compute "c": tolerations\[0\]\.key: "a\/b\/c" is not a valid taint key: has more than one '\/'/,
    );
    await assertFails(
        () => new Compute("c", { ...img, tolerations: [{ key: "a", value: "x y" }] }),
        /^Compute "c": tolerations\[0\]\.value: "x y" is not a valid label value/,
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                tolerations: [{ key: "a", operator: "Exists", effect: "NoSchedule", tolerationSeconds: 30 }],
            }),
        `Compute "c": tolerations[0].effect: "NoSchedule" must be "NoExecute" with tolerationSeconds (only NoExecute taints evict, after tolerationSeconds); set effect: "NoExecute", or remove tolerationSeconds`,
    );
    // What the server accepts: "" operator and effect with a key (Equal, all effects), Exists without a key.
    const out = await emit(
        () =>
            new Compute("ok", {
                ...img,
                tolerations: [
                    { key: "a", operator: "", value: "v", effect: "" },
                    { operator: "Exists" },
                    { key: "b", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 },
                ],
            }),
    );
    assert.deepEqual(out.errors, []);
    for (const o of out.objects()) assert.deepEqual(validateObject(o), []);
});

test("conformance checker: rejects what the API server rejects in tolerations and pod names", () => {
    const deployment = (spec: Record<string, unknown>) => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "d" },
        spec: {
            selector: { matchLabels: { a: "b" } },
            template: {
                metadata: { labels: { a: "b" } },
                spec: { containers: [{ name: "main", image: "x" }], ...spec },
            },
        },
    });
    const errs = (spec: Record<string, unknown>) => validateObject(deployment(spec));
    assert.deepEqual(errs({}), []);
    assert.deepEqual(errs({ tolerations: [{ key: "a", operator: "", effect: "" }, { operator: "Exists" }] }), []);
    assert.match(
        errs({ tolerations: [{}] }).join("\n"),
        /spec\.template\.spec\.tolerations\[0\]\.operator: Invalid value: "": operator must be Exists when key is empty/,
    );
    assert.match(
        errs({ tolerations: [{ key: "a", operator: "Exists", value: "x" }] }).join("\n"),
        /tolerations\[0\]\.operator: value must be empty when operator is Exists/,
    );
    assert.match(
        errs({ tolerations: [{ key: "a", operator: "Exists", tolerationSeconds: 1 }] }).join("\n"),
        /tolerations\[0\]\.effect: Invalid value: "": effect must be NoExecute when tolerationSeconds is set/,
    );
    assert.match(errs({ tolerations: [{ key: "a b", operator: "Exists" }] }).join("\n"), /tolerations\[0\]\.key/);
    assert.match(
        errs({ volumes: [{ name: "extra/../..", emptyDir: {} }] }).join("\n"),
        /volumes\[0\]\.name: .*DNS-1123 label/,
    );
    assert.match(
        errs({ initContainers: [{ name: "main", image: "x" }] }).join("\n"),
        /containers\[0\]\.name: duplicate/,
    );
    assert.match(
        errs({ containers: [{ name: "main", image: "x", volumeMounts: [{ name: "nope", mountPath: "/x" }] }] }).join(
            "\n",
        ),
        /volumeMounts\[0\]\.name: "nope" not found/,
    );
    assert.match(
        errs({
            containers: [
                { name: "main", image: "x", securityContext: { allowPrivilegeEscalation: false, privileged: true } },
            ],
        }).join("\n"),
        /cannot set allowPrivilegeEscalation to false and privileged to true/,
    );
    assert.match(
        errs({
            containers: [
                {
                    name: "main",
                    image: "x",
                    securityContext: { allowPrivilegeEscalation: false, capabilities: { add: ["CAP_SYS_ADMIN"] } },
                },
            ],
        }).join("\n"),
        /cannot set allowPrivilegeEscalation to false and capabilities.Add CAP_SYS_ADMIN/,
    );
});

// ---------------------------------------------------------------------------------------------------
// Property: random patches are refused naming a field, or give a pod the server and kubelet accept

type Obj = Record<string, any>;
/** Present half of the time (fc.option's default leaves a field out only 1 time in 5). */
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 2 });
/** Mostly valid, sometimes not: so that both outcomes (refused, emitted) are frequent. */
const mostly = <T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 5, arbitrary: good }, { weight: 1, arbitrary: bad });
const securityContext = fc.record(
    {
        privileged: opt(fc.boolean()),
        allowPrivilegeEscalation: opt(fc.boolean()),
        runAsUser: opt(fc.constantFrom(0, 1000)),
        runAsNonRoot: opt(fc.boolean()),
        capabilities: opt(fc.record({ add: fc.subarray(["CAP_SYS_ADMIN", "SYS_ADMIN", "NET_BIND_SERVICE"]) })),
    },
    { requiredKeys: [] },
);
const podSecurityContext = fc.record(
    { runAsUser: opt(fc.constantFrom(0, 1000)), runAsNonRoot: opt(fc.boolean()) },
    { requiredKeys: [] },
);
const volumeName = mostly(
    fc.constantFrom("data", "extra", "scratch"),
    fc.constantFrom("Bad_Name", "extra/../..", "a".repeat(64), "-x"),
);
const containerName = (main: string) =>
    mostly(fc.constantFrom(main, main, main, "side", "init"), fc.constantFrom("Side_Car", "a".repeat(64), "x.y"));

/** A pod spec patch setting security fields and names at random. */
function podSpecPatch(main: string, runtime: boolean) {
    const container = fc
        .record(
            {
                // A runtime patch can only change containers the runtime has ("node"): others are refused.
                name: runtime ? mostly(fc.constant(main), fc.constantFrom("side", "Side_Car")) : containerName(main),
                securityContext: opt(securityContext),
                volumeMounts: opt(
                    fc.array(fc.record({ name: volumeName, mountPath: fc.constantFrom("/m1", "/m2") }), {
                        maxLength: 2,
                    }),
                ),
            },
            { requiredKeys: ["name"] },
        )
        .map((c) => (runtime ? c : { ...c, image: "busybox" }));
    return fc.record(
        {
            securityContext: opt(podSecurityContext),
            containers: opt(fc.array(container, { minLength: 1, maxLength: 2 })),
            initContainers: runtime ? fc.constant(undefined) : opt(fc.array(container, { minLength: 1, maxLength: 1 })),
            volumes: opt(
                fc.array(fc.record({ name: volumeName, emptyDir: fc.constant({}) }), { minLength: 1, maxLength: 2 }),
            ),
        },
        { requiredKeys: [] },
    );
}

/** Strategic merge as the API and the Trainer apply it, for the fields generated here (written for the oracle). */
function smerge(base: any, patch: any, field = ""): any {
    if (patch === undefined) return base;
    if (Array.isArray(patch)) {
        const key = ["containers", "initContainers", "volumes"].includes(field)
            ? "name"
            : field === "volumeMounts"
              ? "mountPath"
              : undefined;
        if (!key || !Array.isArray(base)) return patch;
        const out = [...base];
        for (const p of patch) {
            const i = out.findIndex((b) => b?.[key] === p?.[key]);
            if (i >= 0) out[i] = smerge(out[i], p);
            else out.push(p);
        }
        return out;
    }
    if (!patch || typeof patch !== "object" || !base || typeof base !== "object" || Array.isArray(base)) return patch;
    const out = { ...base };
    for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : smerge(base[k], v, k);
    return out;
}

/** What the API server (validateSecurityContext, names) and the kubelet (runAsNonRoot) refuse in a pod spec. */
function brokenRules(pod: Obj, volumesKnown: boolean): string[] {
    const out: string[] = [];
    const dns = (s: unknown) => typeof s === "string" && s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
    const volumes = new Set<string>();
    for (const v of pod.volumes ?? []) {
        if (!dns(v.name) || volumes.has(v.name)) out.push(`volume name ${v.name}`);
        volumes.add(v.name);
    }
    const names = new Set<string>();
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
        if (!dns(c.name) || names.has(c.name)) out.push(`container name ${c.name}`);
        names.add(c.name);
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation === false && sc.privileged === true)
            out.push(`${c.name}: privileged with allowPrivilegeEscalation false`);
        if (sc.allowPrivilegeEscalation === false && (sc.capabilities?.add ?? []).includes("CAP_SYS_ADMIN"))
            out.push(`${c.name}: CAP_SYS_ADMIN with allowPrivilegeEscalation false`);
        if (
            (sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) === true &&
            (sc.runAsUser ?? pod.securityContext?.runAsUser) === 0
        )
            out.push(`${c.name}: root with runAsNonRoot`);
        if (volumesKnown)
            for (const m of c.volumeMounts ?? [])
                if (!volumes.has(m.name)) out.push(`${c.name}: mount of missing volume ${m.name}`);
    }
    return out;
}

const ROOTS = ["podPatch", "mlkube:profiles", "runtimePatches", "securityContext", "containerSecurityContext"];

async function refusedOrValid(
    run: () => void,
    config: Record<string, string>,
    pods: (objects: Obj[]) => { pod: Obj; volumesKnown: boolean }[],
    context: string,
): Promise<void> {
    let out: Awaited<ReturnType<typeof emit>>;
    try {
        out = await emit(run, config);
    } catch (e) {
        out = { errors: [e as Error] } as never;
    }
    if (out.errors.length) {
        for (const e of out.errors) {
            assert.equal(e.name, "MlkubeValidationError", `${context}: ${String(e)}`);
            for (const i of (e as unknown as { issues: { path: (string | number)[] }[] }).issues) {
                assert.ok(
                    i.path.length > 0 && ROOTS.includes(String(i.path[0])),
                    `${context}: an issue without a field the user wrote: ${e.message}`,
                );
            }
        }
        return;
    }
    for (const o of out.objects()) assert.deepEqual(validateObject(o), [], context);
    for (const { pod, volumesKnown } of pods(out.objects()))
        assert.deepEqual(brokenRules(pod, volumesKnown), [], `${context}\n${JSON.stringify(pod)}`);
}

const topLevel = fc.record(
    {
        secureDefaults: opt(fc.boolean()),
        containerSecurityContext: opt(securityContext),
        securityContext: opt(podSecurityContext),
    },
    { requiredKeys: [] },
);

test("final pod (property): random podPatch and profile podPatch on Compute are refused naming a field, or emit a pod the server and kubelet accept", async () => {
    await fc.assert(
        fc.asyncProperty(topLevel, podSpecPatch("main", false), fc.boolean(), async (top, patch, viaProfile) => {
            const config: Record<string, string> = viaProfile
                ? { "mlkube:profiles": JSON.stringify({ p: { podPatch: patch } }) }
                : {};
            const args = { ...img, ...top, ...(viaProfile ? { profile: "p" } : { podPatch: patch }) } as never;
            await refusedOrValid(
                () => new Compute("c", args),
                config,
                (objs) =>
                    objs
                        .filter((o) => o.kind === "Deployment")
                        .map((o) => ({ pod: o.spec.template.spec, volumesKnown: true })),
                JSON.stringify({ top, patch, viaProfile }),
            );
        }),
        { numRuns: 150, seed: 22 },
    );
});

test("final pod (property): random runtimePatches on the jobset and kubeflow backends are refused naming a field, or give pods the server and kubelet accept", async () => {
    const patches = fc.array(podSpecPatch("node", true), { minLength: 1, maxLength: 3 });
    await fc.assert(
        fc.asyncProperty(
            topLevel,
            patches,
            fc.constantFrom("jobset", "kubeflow"),
            fc.boolean(),
            async (top, specs, backend, withPodPatch) => {
                const runtimePatches = specs.map((s, i) => nodePatch(s, `example.com/m${i}`));
                const podPatch = withPodPatch ? { securityContext: { runAsUser: 1000 } } : undefined;
                const args = { ...train, ...top, backend, runtimePatches, podPatch } as never;
                await refusedOrValid(
                    () => new TrainJob("t", args),
                    {},
                    (objs) =>
                        objs.flatMap((o) => {
                            if (o.kind === "JobSet")
                                return o.spec.replicatedJobs.map((rj: Obj) => ({
                                    pod: rj.template.spec.template.spec,
                                    volumesKnown: true,
                                }));
                            if (o.kind !== "TrainJob") return [];
                            // The Trainer's merge: each patch's pod spec of replicated job "node", in list order, over the runtime's pod.
                            let pod: Obj = { containers: [{ name: "node" }] };
                            for (const p of o.spec.runtimePatches)
                                for (const rj of p.trainingRuntimeSpec?.template?.spec?.replicatedJobs ?? [])
                                    if (rj.name === "node") pod = smerge(pod, rj.template?.spec?.template?.spec ?? {});
                            return [{ pod, volumesKnown: false }];
                        }),
                    JSON.stringify({ top, specs, backend, withPodPatch }),
                );
            },
        ),
        { numRuns: 150, seed: 23 },
    );
});

test("tolerations (property): random tolerations are refused naming the toleration, or emitted as the API server accepts them", async () => {
    const toleration = fc.record(
        {
            key: opt(fc.constantFrom("", "gpu", "example.com/dedicated", "a/b/c", "bad key")),
            operator: opt(fc.constantFrom("", "Exists", "Equal")),
            value: opt(fc.constantFrom("", "x", "bad value!")),
            effect: opt(fc.constantFrom("", "NoSchedule", "NoExecute", "PreferNoSchedule")),
            tolerationSeconds: opt(fc.constantFrom(0, 30)),
        },
        { requiredKeys: [] },
    );
    await fc.assert(
        fc.asyncProperty(
            fc.array(toleration, { minLength: 1, maxLength: 3 }),
            fc.constantFrom("tolerations", "podPatch", "config", "runtimePatches"),
            async (ts, via) => {
                const config: Record<string, string> =
                    via === "config" ? { "mlkube:tolerations": JSON.stringify(ts) } : {};
                let out: Awaited<ReturnType<typeof emit>>;
                try {
                    out = await emit(() => {
                        if (via === "runtimePatches")
                            new TrainJob("t", { ...train, runtimePatches: [nodePatch({ tolerations: ts })] });
                        else
                            new Compute("c", {
                                ...img,
                                ...(via === "tolerations"
                                    ? { tolerations: ts }
                                    : via === "podPatch"
                                      ? { podPatch: { tolerations: ts } }
                                      : {}),
                            });
                    }, config);
                } catch (e) {
                    out = { errors: [e as Error] } as never;
                }
                if (out.errors.length) {
                    for (const e of out.errors)
                        assert.match(
                            e.message,
                            /(tolerations|mlkube:tolerations)\[\d+\]\.(key|operator|value|effect): /,
                            JSON.stringify(ts),
                        );
                    return;
                }
                for (const o of out.objects()) assert.deepEqual(validateObject(o), [], JSON.stringify(ts));
            },
        ),
        { numRuns: 200, seed: 24 },
    );
});
