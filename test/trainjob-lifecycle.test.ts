/**
 * waitForCompletion's failure surfacing, with mocks that answer like the real provider does after
 * `pulumi.com/waitFor` returns: the live object, `status` included. (Own process: its own mocks.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { TrainJob, TrainJobFailedError } from "../src";
import { observedStatus, terminalState, TrainJobNotWaitedError } from "../src/trainjob/common";

let statusFor: (kind: string) => unknown = () => undefined;

async function setup(): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource(a) {
                const state: Record<string, unknown> = { ...a.inputs };
                if (a.type.startsWith("kubernetes:")) {
                    state.metadata = { namespace: "ml", ...(a.inputs.metadata as object) };
                    state.status = statusFor(a.type.split(":").pop()!);
                }
                return { id: `${a.name}-id`, state };
            },
            call: (a) => a.inputs,
        },
        "p",
        "s",
        false,
    );
}

/** The value of an Output, or the error it fails with. */
function settle<T>(o: pulumi.Output<T>): Promise<{ value?: T; error?: Error }> {
    return new Promise((resolve) => {
        (o as unknown as { promise(): Promise<T> }).promise().then(
            (value) => resolve({ value }),
            (error: Error) => resolve({ error }),
        );
    });
}

const failed = (type: string) => ({
    conditions: [
        { type: "StartupPolicyCompleted", status: "True" },
        { type, status: "True", reason: "FailedJobs", message: "jobset failed due to one or more job failures" },
    ],
});

test("waitForCompletion: a failed JobSet fails the output with the job's reason", async () => {
    await setup();
    statusFor = () => failed("Failed");
    // The failure reaches the engine as a rejected registerOutputs: capture it instead of the test runner.
    const rejections: unknown[] = [];
    const runner = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", (e: unknown) => rejections.push(e));
    const tj = new TrainJob("ft", { image: "x", waitForCompletion: true });
    const r = await settle(tj.state);
    assert.ok(r.error instanceof TrainJobFailedError);
    assert.equal(
        r.error.message,
        'TrainJob "ft": JobSet "ft" failed (FailedJobs): jobset failed due to one or more job failures; the failed containers\' last log lines are their termination messages: `kubectl get pods -n ml -l jobset.sigs.k8s.io/jobset-name=ft -o jsonpath=\'{range .items[*]}{.metadata.name}: {.status.containerStatuses[*].state.terminated.message}{"\\n"}{end}\'`; see also `kubectl describe jobset ft -n ml`, then fix and run `pulumi up` again (a changed spec replaces the job)',
    );
    // registerOutputs carries the failure to the engine, so `pulumi up` fails.
    await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> })
        .waitForRPCs()
        .catch(() => undefined);
    await new Promise((res) => setTimeout(res, 50));
    process.removeAllListeners("unhandledRejection");
    for (const l of runner) process.on("unhandledRejection", l as (...a: unknown[]) => void);
    assert.ok(rejections.some((e) => String((e as Error).message).includes('JobSet "ft" failed (FailedJobs)')));
});

test("waitForCompletion: a completed TrainJob gives state Complete; without waiting, Failed is reported, not thrown", async () => {
    await setup();
    statusFor = () => ({
        conditions: [
            { type: "Created", status: "True" },
            { type: "Complete", status: "True", reason: "JobSetCompleted" },
        ],
    });
    const ok = new TrainJob("ok", { image: "x", backend: "kubeflow", waitForCompletion: true });
    assert.deepEqual(await settle(ok.state), { value: "Complete" });
    statusFor = () => failed("Failed");
    const noWait = new TrainJob("nw", { image: "x", backend: "kubeflow" });
    assert.deepEqual(await settle(noWait.state), { value: "Failed" });
});

test("waitForCompletion: a batch/v1 Job (backend job) reports Complete, and Failed with the Job's reason", async () => {
    // The mocks of the previous test stay (re-installing them would orphan its pending registrations).
    // What the Job controller writes (Kubernetes ≥1.31: SuccessCriteriaMet/FailureTarget come first).
    statusFor = (kind) =>
        kind === "Job"
            ? {
                  conditions: [
                      { type: "SuccessCriteriaMet", status: "True" },
                      { type: "Complete", status: "True" },
                  ],
              }
            : undefined;
    const ok = new TrainJob("jok", { image: "x", backend: "job", numNodes: 2, waitForCompletion: true });
    assert.deepEqual(await settle(ok.state), { value: "Complete" });
    statusFor = () => ({
        conditions: [
            { type: "FailureTarget", status: "True" },
            {
                type: "Failed",
                status: "True",
                reason: "BackoffLimitExceeded",
                message: "Job has reached the specified backoff limit",
            },
        ],
    });
    const noWait = new TrainJob("jnw", { image: "x", backend: "job" });
    assert.deepEqual(await settle(noWait.state), { value: "Failed" });
    assert.throws(
        () =>
            terminalState(
                "Job",
                {
                    conditions: [
                        {
                            type: "Failed",
                            status: "True",
                            reason: "BackoffLimitExceeded",
                            message: "Job has reached the specified backoff limit",
                        },
                    ],
                },
                { resourceName: "r", objectName: "o", namespace: "ml" },
                true,
            ),
        // The pods of a Job carry its name in batch.kubernetes.io/job-name (not JobSet's label).
        {
            message:
                'TrainJob "r": Job "o" failed (BackoffLimitExceeded): Job has reached the specified backoff limit; the failed containers\' last log lines are their termination messages: `kubectl get pods -n ml -l batch.kubernetes.io/job-name=o -o jsonpath=\'{range .items[*]}{.metadata.name}: {.status.containerStatuses[*].state.terminated.message}{"\\n"}{end}\'`; see also `kubectl describe job o -n ml`, then fix and run `pulumi up` again (a changed spec replaces the job)',
        },
    );
});

test("waitForCompletion: a job the update did not wait for (still running) fails pulumi up, never reports success", async () => {
    // The mocks of the first test stay. Running, as a controller writes it: no terminal condition.
    const running: Record<string, unknown> = {
        JobSet: {
            replicatedJobsStatus: [{ name: "node", active: 1, ready: 1, succeeded: 0, failed: 0, suspended: 0 }],
        },
        TrainJob: { jobsStatus: [{ name: "node", active: 1, ready: 1, succeeded: 0, failed: 0, suspended: 0 }] },
        Job: { active: 1, ready: 1, startTime: "2026-01-01T00:00:00Z" },
    };
    statusFor = (kind) => running[kind];
    const rejections: unknown[] = [];
    const runner = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", (e: unknown) => rejections.push(e));
    try {
        for (const [backend, kind] of [
            ["jobset", "JobSet"],
            ["kubeflow", "TrainJob"],
            ["job", "Job"],
        ] as const) {
            const tj = new TrainJob(`run-${backend}`, { image: "x", backend, waitForCompletion: true });
            const r = await settle(tj.state);
            assert.ok(r.error instanceof TrainJobNotWaitedError, `${backend}: ${String(r.error ?? r.value)}`);
            assert.match(
                r.error.message,
                new RegExp(
                    `^TrainJob "run-${backend}": waitForCompletion: ${kind} "run-${backend}" has not finished, and this update did not wait for it .*kubectl wait -n ml ${kind.toLowerCase()}/run-${backend} `,
                ),
            );
            // Without waitForCompletion a running job is just not finished yet.
            assert.deepEqual(await settle(new TrainJob(`free-${backend}`, { image: "x", backend }).state), {
                value: undefined,
            });
        }
        // No status from a controller (mocks, `mlkube render`, a status not written yet): nothing to judge.
        statusFor = () => undefined;
        assert.deepEqual(await settle(new TrainJob("unseen", { image: "x", waitForCompletion: true }).state), {
            value: undefined,
        });
    } finally {
        await (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> })
            .waitForRPCs()
            .catch(() => undefined);
        await new Promise((res) => setTimeout(res, 50));
        process.removeAllListeners("unhandledRejection");
        for (const l of runner) process.on("unhandledRejection", l as (...a: unknown[]) => void);
    }
});

test("observedStatus: a controller's status, not the program's declared one echoed back", () => {
    assert.equal(observedStatus(undefined, undefined), false);
    assert.equal(observedStatus({ terminalState: "Completed" }, { terminalState: "Completed" }), false);
    assert.equal(observedStatus({ terminalState: "Completed", conditions: [] }, { terminalState: "Completed" }), true);
    assert.equal(observedStatus({ active: 1 }, undefined), true);
    assert.equal(observedStatus([], undefined), false);
    assert.equal(observedStatus(JSON.parse('{"__proto__": {"x": 1}}'), { terminalState: "Completed" }), true);
});

test("terminalState: only True conditions count; kinds use their own condition names", () => {
    const ctx = { resourceName: "r", objectName: "o" };
    assert.equal(
        terminalState(
            "JobSet",
            {
                conditions: [
                    { type: "Failed", status: "False" },
                    { type: "Completed", status: "True" },
                ],
            },
            ctx,
            true,
        ),
        "Complete",
    );
    assert.equal(terminalState("JobSet", { conditions: [{ type: "Complete", status: "True" }] }, ctx, true), undefined);
    assert.equal(
        terminalState("TrainJob", { conditions: [{ type: "Complete", status: "True" }] }, ctx, true),
        "Complete",
    );
    assert.equal(terminalState("TrainJob", undefined, ctx, true), undefined);
    assert.throws(
        () =>
            terminalState(
                "TrainJob",
                { conditions: [{ type: "Failed", status: "True", reason: "DeadlineExceeded" }] },
                ctx,
                true,
            ),
        {
            message:
                'TrainJob "r": TrainJob "o" failed (DeadlineExceeded); the failed containers\' last log lines are their termination messages: `kubectl get pods -l jobset.sigs.k8s.io/jobset-name=o -o jsonpath=\'{range .items[*]}{.metadata.name}: {.status.containerStatuses[*].state.terminated.message}{"\\n"}{end}\'`; see also `kubectl describe trainjob o`, then fix and run `pulumi up` again (a changed spec replaces the job)',
        },
    );
});
