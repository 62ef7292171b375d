/**
 * The ownership marker (issue 23 item 2): every object mlkube emits names the stack that owns it and is
 * applied with that stack's field manager, so another stack's apply of the same object is a field
 * conflict (checked by the API server before the object changes; proved on a cluster in
 * test/e2e/shared-namespace.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Compute, Secret, TrainJob, Volume } from "../src";
import { FIELD_MANAGER_ANNOTATION, ownershipAnnotations, STACK_ANNOTATION } from "../src/metadata";
import { collect } from "../src/render/collect";

/** Every component, every backend, every optional object (Service, PDB, HPA, Compute's guard, the Job's headless Service). */
function everything() {
    const data = new Volume("data", { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" });
    const keys = new Secret("keys", { env: { TOKEN: "t" } });
    new Compute("web", { image: "nginx:1.27", replicas: 2, ports: [{ port: 80 }], volumes: [data], secrets: [keys] });
    new Compute("api", {
        image: "nginx:1.27",
        ports: [{ port: 80 }],
        resources: { cpu: 1 },
        autoscaling: { minReplicas: 2, maxReplicas: 4 },
    });
    new Compute("solo", { image: "nginx:1.27" });
    new TrainJob("js", { image: "busybox:1.36", command: ["true"], numNodes: 2 });
    new TrainJob("kf", { image: "busybox:1.36", command: ["true"], backend: "kubeflow" });
    new TrainJob("bj", { image: "busybox:1.36", command: ["true"], numNodes: 2, backend: "job" });
}

test("ownership: every object carries mlkube.dev/stack <project>/<stack> and the stack's field manager, next to the configured annotations", async () => {
    const r = await collect(everything, {
        project: "proj",
        stack: "blue",
        config: { "mlkube:annotations": JSON.stringify({ team: "a" }) },
    });
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
    );
    const objects = r.resources.filter((x) => x.type.startsWith("kubernetes:"));
    const kinds = new Set(objects.map((o: any) => o.inputs.kind));
    for (const k of [
        "ConfigMap",
        "PersistentVolumeClaim",
        "Secret",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "JobSet",
        "TrainJob",
        "Job",
    ])
        assert.ok(kinds.has(k), `the program emits a ${k}`);
    for (const o of objects as any[]) {
        const a = o.inputs.metadata.annotations;
        assert.equal(a?.[STACK_ANNOTATION], "proj/blue", `${o.inputs.kind} ${o.name}: marker`);
        assert.equal(a?.[FIELD_MANAGER_ANNOTATION], "mlkube/proj/blue", `${o.inputs.kind} ${o.name}: field manager`);
        assert.equal(a?.team, "a", `${o.inputs.kind} ${o.name}: configured annotations kept`);
    }
});

test("ownership: a program that sets the marker or the field manager itself is refused, naming the field (it used to be overridden silently)", async () => {
    const cases: [string, () => void, Record<string, string>, RegExp][] = [
        [
            "Volume annotations",
            () => new Volume("v", { size: "1Gi", annotations: { [STACK_ANNOTATION]: "other/prod" } }),
            {},
            /^Volume "v": annotations\["mlkube\.dev\/stack"\]: is mlkube's ownership marker/,
        ],
        [
            "Compute annotations",
            () => new Compute("api", { image: "nginx:1.27", annotations: { [FIELD_MANAGER_ANNOTATION]: "me" } }),
            {},
            /^Compute "api": annotations\["pulumi\.com\/patchFieldManager"\]: is set by mlkube to the stack's own field manager/,
        ],
        [
            "Compute serviceAnnotations",
            () =>
                new Compute("api", {
                    image: "nginx:1.27",
                    ports: [{ port: 80 }],
                    serviceAnnotations: { [STACK_ANNOTATION]: "a/b" },
                }),
            {},
            /^Compute "api": serviceAnnotations\["mlkube\.dev\/stack"\]: is mlkube's ownership marker/,
        ],
        [
            "TrainJob annotations",
            () =>
                new TrainJob("t", {
                    image: "busybox:1.36",
                    command: ["true"],
                    annotations: { [STACK_ANNOTATION]: "a/b" },
                }),
            {},
            /^TrainJob "t": annotations\["mlkube\.dev\/stack"\]/,
        ],
        [
            "Secret annotations",
            () => new Secret("s", { env: { A: "1" }, annotations: { [STACK_ANNOTATION]: "a/b" } }),
            {},
            /^Secret "s": annotations\["mlkube\.dev\/stack"\]/,
        ],
        [
            "mlkube:annotations",
            () => new Volume("v", { size: "1Gi" }),
            { "mlkube:annotations": JSON.stringify({ [STACK_ANNOTATION]: "spoofed" }) },
            /mlkube:annotations.*mlkube\.dev\/stack.*ownership marker/,
        ],
    ];
    for (const [what, program, config, message] of cases) {
        const r = await collect(program, { project: "proj", stack: "blue", config });
        assert.equal(r.errors.length, 1, `${what}: ${r.errors.map((e) => e.message).join(" | ")}`);
        assert.match(r.errors[0].message, message, what);
        assert.equal(
            r.resources.filter((x) => x.type.startsWith("kubernetes:")).length,
            0,
            `${what}: nothing registered`,
        );
    }
});

test("ownership: two stacks of one project get different markers and managers; the same stack always the same", async () => {
    const a = await collect(everything, { project: "proj", stack: "a" });
    const b = await collect(everything, { project: "proj", stack: "b" });
    const a2 = await collect(everything, { project: "proj", stack: "a" });
    const markers = (r: typeof a) =>
        r.resources
            .filter((x) => x.type.startsWith("kubernetes:"))
            .map((o: any) =>
                JSON.stringify([
                    o.inputs.metadata.annotations[STACK_ANNOTATION],
                    o.inputs.metadata.annotations[FIELD_MANAGER_ANNOTATION],
                ]),
            );
    assert.deepEqual(markers(a), markers(a2));
    for (const [i, m] of markers(a).entries()) assert.notEqual(m, markers(b)[i]);
});

test("ownership: the field manager stays within the API server's 128 characters, distinct per stack", () => {
    const long = "p".repeat(100);
    const m1 = ownershipAnnotations(long, "s".repeat(100))[FIELD_MANAGER_ANNOTATION] as string;
    const m2 = ownershipAnnotations(long, "s".repeat(99) + "t")[FIELD_MANAGER_ANNOTATION] as string;
    assert.ok(m1.length <= 128 && m2.length <= 128, `${m1.length}, ${m2.length}`);
    assert.notEqual(m1, m2);
    assert.match(m1, /^mlkube\/p+/);
});

test("ownership: every Compute's objects are created after its unforced ownership guard, whose marker conflict stops the Deployment's forced apply", async () => {
    // Each shape of Compute, including those with no other object of their name before the Deployment (issue 23).
    const shapes: Record<string, object> = {
        solo: {},
        nobudget: { replicas: 2, disruptionBudget: false },
        web: { replicas: 2, ports: [{ port: 80 }] },
        api: { ports: [{ port: 80 }], resources: { cpu: 1 }, autoscaling: { minReplicas: 1, maxReplicas: 3 } },
        zero: { replicas: 0, disruptionBudget: false },
    };
    const r = await collect(
        () => {
            for (const [name, args] of Object.entries(shapes)) new Compute(name, { image: "nginx:1.27", ...args });
        },
        { project: "proj", stack: "a" },
    );
    assert.deepEqual(
        r.errors.map((e) => e.message),
        [],
    );
    for (const name of Object.keys(shapes)) {
        const children = r.resources.filter((x: any) => x.type.startsWith("kubernetes:") && x.name === name) as any[];
        const guard = children.find((x) => x.type === "kubernetes:core/v1:ConfigMap");
        assert.ok(guard, `${name}: has a guard (${children.map((x) => x.type).join(", ")})`);
        assert.equal(guard.inputs.metadata.name, `${name}.mlkube-owner`);
        assert.deepEqual(Object.keys(guard.inputs).sort(), ["apiVersion", "kind", "metadata"], `${name}: empty`);
        assert.equal(guard.inputs.metadata.annotations[STACK_ANNOTATION], "proj/a");
        assert.equal(guard.inputs.metadata.annotations["pulumi.com/patchForce"], undefined, `${name}: guard unforced`);
        assert.deepEqual(guard.options.dependsOn ?? [], [], `${name}: the guard waits for nothing`);
        const dep = children.find((x) => x.type === "kubernetes:apps/v1:Deployment");
        assert.equal(dep.inputs.metadata.annotations["pulumi.com/patchForce"], "true");
        for (const c of children) {
            if (c === guard) continue;
            const after = c.type.endsWith(":HorizontalPodAutoscaler") ? dep.urn : guard.urn;
            assert.ok(
                c.options.dependsOn?.includes(after),
                `${name}: ${c.type} depends on ${after}; has ${c.options.dependsOn?.join(", ")}`,
            );
        }
    }
});

test("ownership: objects whose applies leave fields out keep the field manager they were created with (ignoreChanges on the manager annotation)", async () => {
    const r = await collect(everything, { project: "proj", stack: "a" });
    const keep = `metadata.annotations["${FIELD_MANAGER_ANNOTATION}"]`;
    const withIgnores = r.resources.filter(
        (x) =>
            x.type.startsWith("kubernetes:") &&
            ["PersistentVolumeClaim", "Deployment", "JobSet", "TrainJob", "Job"].some((k) => x.type.endsWith(`:${k}`)),
    );
    assert.ok(withIgnores.length >= 6, withIgnores.map((x) => x.type).join(", "));
    for (const x of withIgnores)
        assert.ok(x.options.ignoreChanges?.includes(keep), `${x.type} ${x.name}: ${x.options.ignoreChanges}`);
    const claim = r.resources.find((x) => x.type.endsWith(":PersistentVolumeClaim"))!;
    assert.deepEqual(claim.options.ignoreChanges, [
        "spec.storageClassName",
        "spec.accessModes",
        "spec.volumeMode",
        keep,
    ]);
    const autoscaled = r.resources.find((x) => x.type.endsWith(":Deployment") && x.name === "api")!;
    assert.deepEqual(autoscaled.options.ignoreChanges, ["spec.replicas", keep]);
});
