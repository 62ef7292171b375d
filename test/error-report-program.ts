/**
 * For test/error-report.test.ts, in a child process (a regression is an endless loop, which only a
 * killed process can bound): formats mlkube's expected errors the way `pulumi up`'s Node.js program does
 * when one reaches it unhandled — the SDK's own `defaultErrorMessage` (cmd/run/error), which the
 * SDK's uncaught-error handler calls for every error. Prints one line per case: its name and the length
 * of the text, once formatted; then `done`.
 * Usage: node --import tsx test/error-report-program.ts
 */
import * as pulumi from "@pulumi/pulumi";
import { TrainJob } from "../src";
import { asPulumiError } from "../src/errors";

// eslint-disable-next-line @typescript-eslint/unbound-method -- a plain function of the module
const { defaultErrorMessage } = require("@pulumi/pulumi/cmd/run/error") as { defaultErrorMessage(e: unknown): string };

function report(name: string, err: unknown): void {
    const text = defaultErrorMessage(err);
    process.stdout.write(`${name} ${text.length}\n`);
}

async function main(): Promise<void> {
    await pulumi.runtime.setMocks(
        {
            newResource(a) {
                const state: Record<string, unknown> = { ...a.inputs };
                if (a.type.startsWith("kubernetes:")) {
                    state.metadata = { namespace: "ml", ...(a.inputs.metadata as object) };
                    state.status = {
                        conditions: [
                            {
                                type: "Failed",
                                status: "True",
                                reason: "FailedJobs",
                                message: "jobset failed due to one or more job failures",
                            },
                        ],
                    };
                }
                return { id: `${a.name}-id`, state };
            },
            call: (a) => a.inputs,
        },
        "p",
        "s",
        false,
    );
    // The failure also reaches registerOutputs; this process only formats it.
    process.on("unhandledRejection", () => undefined);
    // A waited job that failed: the error its `state` Output fails with (thrown inside the SDK's apply,
    // so its stack has source-mapped frames such as `…/node_modules/@pulumi/output.ts:…`).
    const tj = new TrainJob("ft", { image: "x", waitForCompletion: true });
    const failed = await (tj.state as unknown as { promise(): Promise<unknown> }).promise().then(
        () => undefined,
        (e: unknown) => e,
    );
    if (!(failed instanceof Error)) throw new Error(`the TrainJob's state did not fail: ${String(failed)}`);
    report(failed.name, failed);
    // A message that itself looks like such a stack frame (a Failed condition's text comes from the cluster).
    report("hostile-message", asPulumiError(new Error("boom\n    at f (/app/node_modules/@scope/file.ts:1:1)"), tj));
    report(
        "hostile-message-run-error",
        asPulumiError(new Error("boom\n    at f (/app/node_modules/@scope/file.ts:1:1)")),
    );
    // (The exit status is the SDK's: its leak check on exit counts the mocked resources' promises.)
    process.stdout.write("done\n");
}

main().then(
    () => process.exit(0),
    (e: unknown) => {
        process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
        process.exit(2);
    },
);
