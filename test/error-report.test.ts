/**
 * mlkube's expected errors reach `pulumi up`'s Node.js program unhandled (a waited TrainJob that
 * failed rejects its `state` Output): the SDK then formats them with `util.inspect(err, {colors: true})`,
 * which on Node.js 20.20 loops forever on a stack frame like `…/node_modules/@pulumi/output.ts:1:1`
 * (nodejs/node#64011): the program spun and `pulumi up` printed nothing more. The formatting must end,
 * quickly. Run in a child process, killed after a bound (test/error-report-program.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const BOUND_MS = 60_000;

test("the SDK formats a failed TrainJob's error (and hostile messages) without looping", () => {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "error-report-program.ts")], {
        encoding: "utf8",
        timeout: BOUND_MS,
        killSignal: "SIGKILL",
        maxBuffer: 16 << 20,
    });
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(
        r.signal,
        null,
        `killed after ${seconds}s: formatting the error did not end; printed:\n${r.stdout}${r.stderr}`,
    );
    const out = r.stdout.trim().split("\n");
    assert.equal(out.pop(), "done", r.stdout + r.stderr);
    const lines = Object.fromEntries(out.map((l) => l.split(" ") as [string, string]));
    assert.deepEqual(Object.keys(lines), ["TrainJobFailedError", "hostile-message", "hostile-message-run-error"]);
    // Bounded text: the message, not a dump of the resource graph.
    for (const [name, length] of Object.entries(lines))
        assert.ok(Number(length) > 0 && Number(length) < 4000, `${name}: ${length} characters`);
});
