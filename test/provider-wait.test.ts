/**
 * waitForCompletion through the provider: the construct result's `state` output is what the engine
 * waits on before it answers the program, so a finished job gives "Complete" and a failed one fails the
 * construct with the job's reason. Mocks answer like the real Kubernetes provider after
 * `pulumi.com/waitFor` (the live object, `status` included). (Own process: its own mocks.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MlkubeProvider } from "../src/provider";

const ROOT_SCHEMA = path.join(__dirname, "..", "schema.json");
const SCHEMA = fs.readFileSync(
    fs.existsSync(ROOT_SCHEMA) ? ROOT_SCHEMA : path.join(__dirname, "provider-fixtures", "schema.json"),
    "utf8",
);

let status: unknown;

/** The value of an Output, or the error it fails with. */
function settle<T>(o: pulumi.Input<T>): Promise<{ value?: T; error?: Error }> {
    return new Promise((resolve) => {
        (pulumi.output(o) as unknown as { promise(): Promise<T> }).promise().then(
            (value) => resolve({ value }),
            (error: Error) => resolve({ error }),
        );
    });
}

test("provider: TrainJob waitForCompletion — the construct's state waits for the job: Complete, or the job's failure", async () => {
    await pulumi.runtime.setMocks(
        {
            newResource(a) {
                const state: Record<string, unknown> = { ...a.inputs };
                if (a.type.startsWith("kubernetes:")) {
                    state.metadata = { namespace: "ml", ...(a.inputs.metadata as object) };
                    state.status = status;
                }
                return { id: `${a.name}-id`, state };
            },
            call: (a) => a.inputs,
        },
        "p",
        "s",
        false,
    );
    const rejections: unknown[] = [];
    const runner = process.listeners("unhandledRejection");
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", (e: unknown) => rejections.push(e));
    try {
        const p = new MlkubeProvider({ schema: SCHEMA, version: "0.1.0" });
        for (const backend of ["jobset", "kubeflow", "job"] as const) {
            status = { conditions: [{ type: backend === "jobset" ? "Completed" : "Complete", status: "True" }] };
            const ok = await p.construct(
                `ok-${backend}`,
                "mlkube:index:TrainJob",
                { image: "x", backend, waitForCompletion: true, timeout: 60 },
                {},
            );
            assert.deepEqual(await settle(ok.state.state), { value: "Complete" }, backend);
        }
        status = {
            conditions: [
                {
                    type: "Failed",
                    status: "True",
                    reason: "FailedJobs",
                    message: "jobset failed due to one or more job failures",
                },
            ],
        };
        const bad = await p.construct("bad", "mlkube:index:TrainJob", { image: "x", waitForCompletion: true }, {});
        const r = await settle(bad.state.state);
        assert.match(
            r.error?.message ?? "",
            /^TrainJob "bad": JobSet "bad" failed \(FailedJobs\): jobset failed due to one or more job failures/,
        );
    } finally {
        await new Promise((res) => setTimeout(res, 50));
        process.removeAllListeners("unhandledRejection");
        for (const l of runner) process.on("unhandledRejection", l as (...a: unknown[]) => void);
    }
});
