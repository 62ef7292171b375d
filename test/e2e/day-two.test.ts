/**
 * An operator's day two with the real engine (test/e2e/programs/daytwo; docs/operations.md): turning
 * autoscaling on never drops the Deployment's replicas, a `kubectl scale` never blocks a later `pulumi up`
 * (which puts the declared count back), switching autoscaling off after a manual scale works, and
 * `waitForCompletion` waits again after an interrupted `pulumi up` and a `pulumi refresh`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import {
    KUBECONFIG,
    KUBECTL,
    Stack,
    createNamespace,
    deleteNamespaces,
    get,
    kc,
    requirePrerequisites,
    startPulumi,
    waitFor,
} from "./helpers";

const PROGRAM = "test/e2e/programs/daytwo";

before(() => requirePrerequisites());
after(() => deleteNamespaces());

/**
 * Watches a Deployment (`kubectl get -w`) in the background: every spec.replicas and readyReplicas it
 * goes through, until `stop()`.
 */
function watchReplicas(
    name: string,
    namespace: string,
): { stop: () => Promise<Array<{ replicas: number; ready: number }>> } {
    const child = spawn(
        KUBECTL,
        [
            `--kubeconfig=${KUBECONFIG}`,
            "-n",
            namespace,
            "get",
            "deployment",
            name,
            "-w",
            "-o",
            'jsonpath={.spec.replicas} {.status.readyReplicas}{"\\n"}',
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += `stderr: ${d}`));
    return {
        stop: async () => {
            child.kill("SIGTERM");
            await new Promise((r) => child.once("close", r));
            return out
                .split("\n")
                .filter((l) => l.trim())
                .map((l) => {
                    assert.match(l, /^\d+ \d*$/, `kubectl watch printed ${JSON.stringify(l)}`);
                    const [replicas, ready] = l.split(" ");
                    return { replicas: Number(replicas), ready: Number(ready || 0) };
                });
        },
    };
}

function replicas(namespace: string): { spec: number; ready: number } {
    const d = get("deployment", "api", namespace);
    return { spec: d.spec.replicas, ready: d.status.readyReplicas ?? 0 };
}

function readyAt(namespace: string, n: number) {
    return waitFor(
        `deployment api at ${n} ready replicas`,
        () => {
            const r = replicas(namespace);
            return r.spec === n && r.ready === n ? r : undefined;
        },
        { timeoutMs: 60_000, dump: [["deployment", "api", namespace]] },
    );
}

describe("day two: a Compute's replicas", () => {
    let stack: Stack;
    let ns: string;

    before(async () => {
        ns = await createNamespace("d2c");
        stack = new Stack(PROGRAM, "d2c", ns);
        stack.init({ replicas: "2" });
        const r = stack.up();
        assert.equal(r.status, 0, r.output);
        await readyAt(ns, 2);
    });

    after(() => stack?.remove());

    // First, while mlkube's field manager owns spec.replicas (the reported drop needs that).
    test("turning autoscaling on never drops the Deployment below its replica count", async () => {
        const t0 = Date.now();
        const owners = JSON.parse(kc(["-n", ns, "get", "deployment", "api", "-o", "json", "--show-managed-fields"]))
            .metadata.managedFields.filter((f: any) => f.fieldsV1?.["f:spec"]?.["f:replicas"] !== undefined)
            .map((f: any) => f.manager);
        assert.ok(
            owners.length > 0 && owners.every((m: string) => m === `mlkube/mlkube-e2e-daytwo/${stack.name}`),
            `Pulumi (the stack's field manager) owns spec.replicas before the change: ${owners}`,
        );
        stack.set({ autoscaleMin: "2", autoscaleMax: "4" });
        const watch = watchReplicas("api", ns);
        const r = stack.up();
        // The reported drop lasted until the autoscaler's first sync (~15 s): watch a little longer than the up.
        await new Promise((res) => setTimeout(res, 5_000));
        const seen = await watch.stop();
        assert.equal(r.status, 0, r.output);
        assert.ok(seen.length > 0, "the watch saw the Deployment");
        assert.ok(
            seen.every((s) => s.replicas >= 2),
            `spec.replicas went below 2: ${JSON.stringify(seen)}`,
        );
        assert.ok(
            seen.every((s) => s.ready >= 2),
            `ready replicas went below 2: ${JSON.stringify(seen)}`,
        );
        assert.ok(get("hpa", "api", ns), "the HorizontalPodAutoscaler exists");
        const p = stack.preview(["--expect-no-changes"]);
        assert.equal(p.status, 0, p.output);
        console.log(
            `# day two: enabling autoscaling up ${r.seconds}s, watched ${JSON.stringify(seen)}, test ${(Date.now() - t0) / 1000}s`,
        );
    });

    test("with autoscaling, an update of the Deployment keeps the autoscaler's count", async () => {
        // As the autoscaler would: the scale subresource moves spec.replicas to another field manager.
        kc(["-n", ns, "scale", "deployment/api", "--replicas=3"]);
        await readyAt(ns, 3);
        stack.set({ apiImage: "registry.example/api:1.2" });
        const watch = watchReplicas("api", ns);
        const r = stack.up();
        const seen = await watch.stop();
        assert.equal(r.status, 0, r.output);
        assert.ok(
            seen.every((s) => s.replicas === 3),
            `spec.replicas changed during the update: ${JSON.stringify(seen)}`,
        );
        assert.equal(replicas(ns).spec, 3);
    });

    test("switching autoscaling off after a manual scale works and applies the declared count", async () => {
        kc(["-n", ns, "scale", "deployment/api", "--replicas=4"]);
        stack.pulumi(["config", "rm", "autoscaleMin"]);
        stack.pulumi(["config", "rm", "autoscaleMax"]);
        stack.set({ replicas: "2" });
        const r = stack.up();
        assert.equal(r.status, 0, r.output);
        assert.doesNotMatch(r.output, /conflict/i, r.output);
        assert.equal(get("hpa", "api", ns), undefined, "the autoscaler is gone");
        assert.equal(replicas(ns).spec, 2);
        await readyAt(ns, 2);
        const p = stack.preview(["--expect-no-changes"]);
        assert.equal(p.status, 0, p.output);
    });

    test("after kubectl scale, pulumi up --refresh succeeds and puts the declared count back", async () => {
        const t0 = Date.now();
        kc(["-n", ns, "scale", "deployment/api", "--replicas=3"]);
        await readyAt(ns, 3);
        // Refreshed, the Deployment differs from the program (3 vs 2): the update must not fail with a
        // server-side-apply conflict on .spec.replicas with kubectl's field manager.
        const r = stack.pulumi(["up", "--yes", "--skip-preview", "--refresh"]);
        assert.equal(r.status, 0, r.output);
        assert.doesNotMatch(r.output, /conflict/i, r.output);
        assert.equal(replicas(ns).spec, 2);
        // An ordinary update of the Deployment (an image bump) after a manual scale works as well.
        kc(["-n", ns, "scale", "deployment/api", "--replicas=3"]);
        stack.set({ apiImage: "registry.example/api:1.1" });
        const u = stack.up();
        assert.equal(u.status, 0, u.output);
        assert.equal(replicas(ns).spec, 2);
        assert.equal(get("deployment", "api", ns).spec.template.spec.containers[0].image, "registry.example/api:1.1");
        await readyAt(ns, 2);
        console.log(
            `# day two: kubectl scale + up --refresh ${r.seconds}s, + image bump ${u.seconds}s, test ${(Date.now() - t0) / 1000}s`,
        );
    });
});

const KIND = { jobset: "jobsets.jobset.x-k8s.io", job: "jobs", kubeflow: "trainjobs.trainer.kubeflow.org" } as const;

for (const backend of ["jobset", "job", "kubeflow"] as const) {
    describe(`day two: waitForCompletion after an interrupted pulumi up (${backend})`, () => {
        let stack: Stack;
        let ns: string;
        before(async () => {
            ns = await createNamespace(`d2w${backend.slice(0, 2)}`);
            stack = new Stack(PROGRAM, `d2w${backend.slice(0, 2)}`, ns);
            stack.init({ compute: "false", job: "true", backend, jobRunFor: "40s" });
        });
        after(() => stack?.remove());

        const outcome =
            backend === "kubeflow"
                ? "the rerun fails (TrainJobNotWaitedError) instead of reporting success; wait, refresh, up report jobState"
                : "the rerun waits for the job and reports jobState";
        test(`^C during the wait, pulumi refresh, pulumi up: ${outcome}`, async () => {
            const t0 = Date.now();
            const first = startPulumi(stack, ["up", "--yes", "--skip-preview"]);
            const job = () => get(KIND[backend], "train", ns);
            await waitFor(
                "the job's pod running",
                () => kc(["-n", ns, "get", "pods", "-o", "jsonpath={.items[*].status.phase}"]).includes("Running"),
                { timeoutMs: 60_000, dump: [[KIND[backend], "train", ns]] },
            );
            process.kill(first.pid, "SIGINT"); // an operator's ^C
            const killer = setTimeout(() => process.kill(first.pid, "SIGKILL"), 60_000);
            const interrupted = await first.done;
            clearTimeout(killer);
            const cancelled = (Date.now() - t0) / 1000;
            assert.notEqual(interrupted.status, 0, `the interrupted up failed:\n${interrupted.output}`);
            assert.ok(!isFinal(job()), "the job was still running when the up was interrupted");
            const refresh = stack.pulumi(["refresh", "--yes", "--skip-preview"]);
            assert.equal(refresh.status, 0, refresh.output);
            const rerun = stack.up();
            if (backend === "kubeflow") {
                // No field of a TrainJob says "finished", so the rerun cannot wait: it must not report success.
                assert.notEqual(rerun.status, 0, rerun.output);
                assert.match(
                    rerun.output,
                    /TrainJob "train": waitForCompletion: TrainJob "train" has not finished, and this update did not wait for it/,
                    rerun.output,
                );
                assert.doesNotMatch(rerun.output, /\n\s+at .+:\d+:\d+\)?\n/, `a stack trace:\n${rerun.output}`);
                // What the message says to do: wait, refresh, up.
                await waitFor("the TrainJob finished", () => isFinal(job()), {
                    timeoutMs: 120_000,
                    dump: [[KIND[backend], "train", ns]],
                });
                assert.equal(stack.pulumi(["refresh", "--yes", "--skip-preview"]).status, 0);
                const again = stack.up();
                assert.equal(again.status, 0, again.output);
            } else {
                assert.equal(rerun.status, 0, rerun.output);
                // The rerun waited: the job is finished now, and the stack reports it.
                assert.ok(
                    isFinal(job()),
                    `the rerun returned before the job finished (${rerun.seconds}s):\n${rerun.output}`,
                );
            }
            assert.equal(stack.outputs().jobState, "Complete");
            // And nothing is left to do.
            const p = stack.preview(["--expect-no-changes"]);
            assert.equal(p.status, 0, p.output);
            console.log(
                `# day two (${backend}): ^C after ${cancelled}s, refresh ${refresh.seconds}s, rerun ${rerun.seconds}s (exit ${rerun.status}), test ${(Date.now() - t0) / 1000}s`,
            );
        });
    });
}

function isFinal(job: any): boolean {
    return (job?.status?.conditions ?? []).some(
        (c: any) => c.status === "True" && ["Completed", "Complete", "Failed"].includes(c.type),
    );
}
