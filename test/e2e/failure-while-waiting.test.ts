/**
 * A waited TrainJob that fails while the provider still awaits another resource
 * (test/e2e/programs/hang): `pulumi up` must print the TrainJobFailedError and exit non-zero, not hang.
 * Before the fix the program spun at 100% CPU in Node's `util.inspect` (see src/errors.ts,
 * asPulumiError) and reported nothing more: neither the failure nor the other job's progress.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, test } from "node:test";
import { Run, Stack, createNamespace, deleteNamespaces, requirePrerequisites } from "./helpers";

before(() => requirePrerequisites());
after(() => deleteNamespaces());

/** How long the other waited job runs: the failure arrives while it is still awaited. */
const SLOW_SECONDS = 30;
/** `pulumi up` is killed after this (a hang): the slow job's run, the engine's start and a margin. */
const BOUND_SECONDS = SLOW_SECONDS + 60;

let stack: Stack;
before(async () => {
    stack = new Stack("test/e2e/programs/hang", "hang", await createNamespace("hang"));
    stack.init({ slowRunFor: `${SLOW_SECONDS}s` });
});
after(() => stack?.remove());

/**
 * Kills (by pid) the Node.js programs of this stack left spinning: the language host starts the program in
 * its own process group, so killing `pulumi` leaves it running. Linux /proc; elsewhere a no-op.
 */
function killPrograms(stackName: string): number[] {
    const killed: number[] = [];
    for (const pid of fs.existsSync("/proc") ? fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)) : []) {
        let cmd: string[];
        try {
            cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        } catch {
            continue; // gone
        }
        const at = cmd.indexOf("--stack");
        if (at > 0 && cmd[at + 1] === stackName && cmd.some((a) => a.endsWith("cmd/run/index.js"))) {
            try {
                process.kill(Number(pid), "SIGKILL");
                killed.push(Number(pid));
            } catch {
                /* gone */
            }
        }
    }
    return killed;
}

test("a waited TrainJob failing while another is still awaited fails pulumi up with its message, without hanging", () => {
    let r: Run;
    try {
        r = stack.pulumi(["up", "--yes", "--skip-preview"], { timeoutMs: BOUND_SECONDS * 1000 });
    } catch (e) {
        const killed = killPrograms(stack.name);
        assert.fail(
            `pulumi up still running after ${BOUND_SECONDS}s (${(e as Error).message}); killed its program's processes ${killed.join(", ") || "(none)"}`,
        );
    }
    console.log(`# hang: up with a failing and a ${SLOW_SECONDS}s job: ${r.seconds}s, exit ${r.status}`);
    assert.notEqual(r.status, 0, r.output);
    const failure = r.output.search(/TrainJob "fails": JobSet "fails" failed/);
    assert.ok(failure >= 0, r.output);
    // Reported while the other job is still awaited (the progress lines are printed as they happen). Before
    // the fix it came, if at all, once the loop gave up at V8's maximum string length (33 s and 46 s measured here).
    const slowDone = r.output.search(/JobSet slow created/);
    assert.ok(slowDone < 0 || failure < slowDone, `the failure was printed after the other job finished:\n${r.output}`);
    // The program still reports after the failure: the other job's finish line (docs/diagnosis.md).
    assert.match(r.output, /TrainJob "slow": finished Completed/, r.output);
    // No stack trace for an expected failure.
    assert.doesNotMatch(r.output, /\n\s+at .+:\d+:\d+\)?\n/, r.output);
});
