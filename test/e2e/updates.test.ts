/**
 * Updates as a user expects them, with the real engine (test/e2e/programs/lab): growing a Volume
 * updates the claim in place; toggling `suspend` updates the JobSet in place; an immutable field
 * (the image) replaces the job cleanly; `waitForCompletion` returns on success and fails promptly with
 * the job's reason; destroy keeps only the claim of the retained Volume. Reviewability is asserted on
 * `pulumi preview --json` (structured steps, not text): an image bump is one changed field of the
 * Deployment, a Volume resize one in-place field, a Secret value change the Secret plus the pods'
 * checksum annotation with the value hidden, an immutable job change a replace with its reason. Then a broken program fails
 * preview with mlkube's message, not a stack trace.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
    RUN_ID,
    Stack,
    assertNoPlaintext,
    changedSteps,
    createNamespace,
    deleteNamespaces,
    get,
    kc,
    list,
    requirePrerequisites,
    summary,
    waitFor,
} from "./helpers";

const LAB = "test/e2e/programs/lab";

before(() => requirePrerequisites());
after(() => deleteNamespaces());

function changes(output: string) {
    const { same: _same, ...rest } = summary(output);
    return rest;
}

for (const backend of ["jobset", "kubeflow"] as const) {
    // Kubeflow Trainer v2.3 re-creates the JobSet of a TrainJob deleted in the foreground, so mlkube deletes
    // TrainJobs in the background (pulumi.com/deletionPropagationPolicy); replacement runs on both backends.
    const replaces = {};
    const kind = backend === "jobset" ? "jobsets.jobset.x-k8s.io" : "trainjobs.trainer.kubeflow.org";
    const Kind = backend === "jobset" ? "JobSet" : "TrainJob";
    describe(`updates (${backend})`, () => {
        let stack: Stack;
        const token = `lab-token-${backend}-${RUN_ID}-Vq3`;
        const rotated = `lab-token-${backend}-${RUN_ID}-Rt7`;
        const job = () => get(kind, "train", stack.namespace);

        before(async () => {
            const ns = await createNamespace(`lab-${backend === "jobset" ? "js" : "kf"}`);
            stack = new Stack(LAB, `lab${backend === "jobset" ? "js" : "kf"}`, ns);
            // The job keeps running (so suspend means something) until a test changes that.
            const config: Record<string, string> = { backend, jobRunFor: "87600h" };
            if (backend === "kubeflow") {
                // torch-distributed leaves the Job's backoffLimit at Kubernetes' default (6 retries with
                // exponential back-off: a failing pod takes ~8 min to fail the TrainJob). Retries are the
                // runtime's business on this backend, so the suite runs a copy that fails at the first error.
                const base = get("clustertrainingruntime", "torch-distributed");
                for (const rj of base.spec.template.spec.replicatedJobs) rj.template.spec.backoffLimit = 0;
                const runtime = {
                    apiVersion: base.apiVersion,
                    kind: "TrainingRuntime",
                    metadata: { name: "torch-no-retry", namespace: ns, labels: base.metadata.labels },
                    spec: base.spec,
                };
                kc(["apply", "-f", "-"], JSON.stringify(runtime));
                config.runtime = "torch-no-retry";
            }
            stack.init(config, { token });
        });

        after(() => stack?.remove());

        test("up, then preview --expect-no-changes", () => {
            const r = stack.up();
            assert.equal(r.status, 0, r.output);
            const p = stack.preview(["--expect-no-changes"]);
            assert.equal(p.status, 0, p.output);
            console.log(
                `# lab ${backend}: up ${r.seconds}s (${JSON.stringify(changes(r.output))}), preview ${p.seconds}s`,
            );
        });

        test("growing a Volume updates the claim in place", () => {
            const before = get("pvc", "data", stack.namespace);
            stack.set({ volumeSize: "2Gi" });
            assert.deepEqual(changedSteps(stack.previewJson()), [
                {
                    op: "update",
                    type: "kubernetes:core/v1:PersistentVolumeClaim",
                    name: "data",
                    fields: ["spec.resources.requests.storage"],
                    replaceReasons: [],
                },
            ]);
            const p = stack.preview();
            assert.deepEqual(changes(p.output), { create: 0, update: 1, replace: 0, delete: 0 }, p.output);
            assert.match(p.output, /~ kubernetes:core\/v1:PersistentVolumeClaim: \(update\)/);
            const r = stack.up();
            assert.equal(r.status, 0, r.output);
            const live = get("pvc", "data", stack.namespace);
            assert.equal(live.metadata.uid, before.metadata.uid, "same claim");
            assert.equal(live.spec.resources.requests.storage, "2Gi");
            assert.equal(stack.preview(["--expect-no-changes"]).status, 0);
        });

        test("preview --json: an image bump is one changed field on the Deployment", () => {
            stack.set({ apiImage: "registry.example/api:1.1" });
            assert.deepEqual(changedSteps(stack.previewJson()), [
                {
                    op: "update",
                    type: "kubernetes:apps/v1:Deployment",
                    name: "api",
                    fields: ["spec.template.spec.containers[0].image"],
                    replaceReasons: [],
                },
            ]);
            const r = stack.up();
            assert.equal(r.status, 0, r.output);
            assert.equal(stack.preview(["--expect-no-changes"]).status, 0);
        });

        test("preview --json: a Secret value change is the Secret plus the Deployment's checksum annotation, value hidden", () => {
            stack.setSecret({ token: rotated });
            const json = stack.pulumi(["preview", "--json"]);
            assert.equal(json.status, 0, json.output);
            assertNoPlaintext(json.output, [token, rotated], "pulumi preview --json");
            const steps = changedSteps(JSON.parse(json.stdout));
            assert.deepEqual(
                steps.map((s) => `${s.op} ${s.type} ${s.name}`).sort(),
                // pulumi-kubernetes replaces a Secret whose data changes (unless the provider sets
                // enableSecretMutable), keeping its name, so workloads referencing it by name are not replaced.
                ["replace kubernetes:core/v1:Secret token", "update kubernetes:apps/v1:Deployment api"],
                "only the Secret and the Deployment (a TrainJob does not restart for a rotated Secret)",
            );
            const rollout = steps.find((s) => s.type === "kubernetes:apps/v1:Deployment")!;
            assert.ok(
                rollout.fields.length > 0 && rollout.fields.every((f) => /checksum\.mlkube\.dev\/token/.test(f)),
                JSON.stringify(rollout.fields),
            );
            const r = stack.up();
            assert.equal(r.status, 0, r.output);
            assert.equal(stack.preview(["--expect-no-changes"]).status, 0);
        });

        test("toggling suspend updates the job in place", async () => {
            const before = job();
            assert.ok(!before.spec.suspend);
            stack.set({ suspend: "true" });
            const p = stack.preview();
            assert.deepEqual(changes(p.output), { create: 0, update: 1, replace: 0, delete: 0 }, p.output);
            const r = stack.up();
            assert.equal(r.status, 0, r.output);
            assert.equal(job().metadata.uid, before.metadata.uid, `same ${Kind}`);
            assert.equal(job().spec.suspend, true);
            const p2 = stack.preview(["--expect-no-changes"]);
            assert.equal(p2.status, 0, p2.output);
            stack.set({ suspend: "false" });
            const r2 = stack.up();
            assert.equal(r2.status, 0, r2.output);
            assert.deepEqual(changes(r2.output), { create: 0, update: 1, replace: 0, delete: 0 }, r2.output);
            assert.equal(job().metadata.uid, before.metadata.uid);
            assert.equal(job().spec.suspend, false);
            assert.equal(stack.preview(["--expect-no-changes"]).status, 0);
        });

        test("changing an immutable field (the image) replaces the job cleanly", replaces, async () => {
            const before = job();
            stack.set({ jobImage: "registry.example/train:2.0" });
            // Structured: the job is replaced (never updated), with the immutable path as the reason.
            const jobSteps = changedSteps(stack.previewJson()).filter(
                (s) => s.name === "train" && s.type !== "mlkube:index:TrainJob",
            );
            const replace = jobSteps.find((s) => s.op === "replace");
            assert.ok(replace, JSON.stringify(jobSteps));
            const reason = backend === "jobset" ? "spec.replicatedJobs" : "spec.trainer";
            assert.ok(
                replace.replaceReasons.length > 0 && replace.replaceReasons.every((r) => r.startsWith(reason)),
                JSON.stringify(replace.replaceReasons),
            );
            assert.ok(
                jobSteps.every((s) => ["replace", "create-replacement", "delete-replaced"].includes(s.op)),
                JSON.stringify(jobSteps),
            );
            const p = stack.preview();
            assert.deepEqual(changes(p.output), { create: 0, update: 0, replace: 1, delete: 0 }, p.output);
            const r = stack.up();
            assert.equal(r.status, 0, r.output);
            assert.deepEqual(changes(r.output), { create: 0, update: 0, replace: 1, delete: 0 }, r.output);
            const live = job();
            assert.notEqual(live.metadata.uid, before.metadata.uid, `a new ${Kind}`);
            assert.match(JSON.stringify(live.spec), /registry\.example\/train:2\.0/);
            // The new job's pods run the new image, none of the old job's pods are left.
            await waitFor("pods of the new job only", () => {
                const pods = list("pods", stack.namespace, "jobset.sigs.k8s.io/jobset-name=train");
                return pods.length > 0 && pods.every((x) => x.spec.containers[0].image === "registry.example/train:2.0")
                    ? pods
                    : undefined;
            });
            const p2 = stack.preview(["--expect-no-changes"]);
            assert.equal(p2.status, 0, p2.output);
            console.log(`# lab ${backend}: replace ${r.seconds}s`);
        });

        test("waitForCompletion: pods that succeed make pulumi up return success", replaces, () => {
            // A new image (replacement) so a fresh job runs; its pods end successfully right away.
            stack.pulumi(["config", "rm", "jobRunFor"]);
            stack.set({ waitForCompletion: "true", jobImage: "registry.example/train:3.0" });
            const r = stack.up();
            assert.equal(r.status, 0, r.output);
            assert.equal(stack.outputs().jobState, "Complete");
            const done = job();
            const want = backend === "jobset" ? "Completed" : "Complete";
            assert.ok(
                done.status.conditions.some((c: any) => c.type === want && c.status === "True"),
                JSON.stringify(done.status),
            );
            assert.equal(stack.preview(["--expect-no-changes"]).status, 0);
            console.log(`# lab ${backend}: up with waitForCompletion (success) ${r.seconds}s`);
        });

        test("waitForCompletion: a failing job fails pulumi up promptly with the job's reason", replaces, () => {
            stack.set({ jobFails: "true", jobImage: "registry.example/train:4.0" });
            const r = stack.up();
            console.log(`# lab ${backend}: up with waitForCompletion (failure) ${r.seconds}s, exit ${r.status}`);
            assert.notEqual(r.status, 0, r.output);
            assert.match(r.output, new RegExp(`TrainJob "train": ${Kind} "train" failed`), r.output);
            assert.doesNotMatch(r.output, /timed out|timeout occurred|deadline exceeded/i, r.output);
            assert.ok(r.seconds < 120, `failed after ${r.seconds}s`);
            // No stack trace for an expected failure.
            assert.doesNotMatch(r.output, /\n\s+at .+:\d+:\d+\)?\n/, r.output);
        });

        test("no plaintext secret in stack export or output", () => {
            assertNoPlaintext(stack.exportState(), [token, rotated], "pulumi stack export");
            assertNoPlaintext(stack.transcript.join("\n"), [token, rotated], "pulumi output");
        });

        test("destroy deletes everything but the retained claim", () => {
            const kept = get("pvc", "data", stack.namespace);
            const r = stack.pulumi(["destroy", "--yes", "--skip-preview"]);
            assert.equal(r.status, 0, r.output);
            const gone = (k: string, n: string) => {
                const l = get(k, n, stack.namespace);
                return !l || !!l.metadata.deletionTimestamp;
            };
            for (const [k, n] of [
                ["deployment", "api"],
                ["service", "api"],
                ["secret", "token"],
                [kind, "train"],
                ["pvc", "scratch"],
            ])
                assert.ok(gone(k, n), `${k} ${n} deleted`);
            const live = get("pvc", "data", stack.namespace);
            assert.equal(live?.metadata.uid, kept.metadata.uid, "the retained claim (and its volume) is still there");
            assert.equal(live.status.phase, "Bound");
            assert.ok(!live.metadata.deletionTimestamp);
        });
    });
}

describe("a broken program", () => {
    let stack: Stack;
    before(async () => {
        stack = new Stack(LAB, "broken", await createNamespace("broken"));
        stack.init({ memory: "16GB", job: "false" }, { token: `tok-${RUN_ID}-Bq2` });
    });
    after(() => stack?.remove());

    test("a bad quantity fails pulumi preview with mlkube's message, not a stack trace", () => {
        const r = stack.preview();
        assert.notEqual(r.status, 0, r.output);
        assert.match(
            r.output,
            /Compute "api": resources\.memory: "16GB" is not a Kubernetes quantity; use "16Gi"/,
            r.output,
        );
        assert.doesNotMatch(r.output, /\n\s+at .+:\d+:\d+\)?\n/, `a stack trace:\n${r.output}`);
        assert.doesNotMatch(r.output, /unhandled exception|node_modules|\.ts:\d+/, r.output);
        console.log(
            `# broken program: preview failed in ${r.seconds}s with:\n${r.output
                .split("\n")
                .filter((l) => /error/.test(l))
                .join("\n")}`,
        );
    });
});
