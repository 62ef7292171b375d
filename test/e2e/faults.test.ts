/**
 * Faults with the real engine (test/e2e/programs/shared; docs/operations.md "After an interrupted
 * pulumi up" and "Drift"): a `pulumi up` killed mid-way (SIGKILL: no chance to record anything or to
 * release its lock) converges with `cancel` + `refresh` + `up`, a Service deleted by hand with `up --refresh`;
 * both keep the claim (same uid), and leave an
 * empty second preview. A manual scale is covered by test/e2e/day-two.test.ts, ^C by its
 * waitForCompletion cases.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { Stack, createNamespace, deleteNamespaces, get, kc, requirePrerequisites, waitFor } from "./helpers";

const PROGRAM = "test/e2e/programs/shared";

before(() => requirePrerequisites());
after(() => deleteNamespaces());

describe("faults", () => {
    let stack: Stack;
    let ns: string;

    before(async () => {
        ns = await createNamespace("flt");
        stack = new Stack(PROGRAM, "flt", ns);
        stack.init({}, { token: "fault-token" });
    });

    after(() => stack?.remove());

    test("a pulumi up killed with SIGKILL mid-way: cancel (its lock), refresh --clear-pending-creates, then up, converges; the claim is kept; the second preview is empty", async () => {
        const t0 = Date.now();
        // In its own process group, killed as a whole, as a CI runner kills a job: the CLI alone would leave
        // its language host and provider plugin running.
        const child = spawn(
            "pulumi",
            [
                "up",
                "--yes",
                "--skip-preview",
                "--stack",
                stack.name,
                "--non-interactive",
                "--color=never",
                "--cwd",
                stack.dir,
            ],
            { env: stack.env, stdio: ["ignore", "pipe", "pipe"], detached: true },
        );
        let output = "";
        child.stdout.on("data", (d) => (output += d));
        child.stderr.on("data", (d) => (output += d));
        const done = new Promise<number | null>((res) => child.once("close", (code) => res(code)));
        // Killed while the Deployment is being created (the provider waits for its pods).
        await waitFor("the Deployment created by the first up", () => get("deployment", "api", ns), {
            timeoutMs: 120_000,
        });
        process.kill(-child.pid!, "SIGKILL");
        const code = await done;
        assert.notEqual(code, 0, `the killed up did not finish:\n${output}`);
        const claim = get("persistentvolumeclaim", "data", ns);
        assert.ok(claim, "the claim was created before the kill");
        // The killed CLI left its lock: every command refuses the stack until `pulumi cancel` (docs/operations.md).
        const locked = stack.pulumi(["refresh", "--yes", "--skip-preview"]);
        assert.notEqual(locked.status, 0, locked.output);
        assert.match(locked.output, /the stack is currently locked/, locked.output);
        const cancel = stack.pulumi(["cancel", "--yes"]);
        assert.equal(cancel.status, 0, cancel.output);
        const refresh = stack.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
        assert.equal(refresh.status, 0, refresh.output);
        const up = stack.up();
        assert.equal(up.status, 0, up.output);
        assert.equal(
            get("persistentvolumeclaim", "data", ns).metadata.uid,
            claim.metadata.uid,
            "the claim is the one created before the kill",
        );
        const p = stack.preview(["--expect-no-changes"]);
        assert.equal(p.status, 0, p.output);
        console.log(
            `# faults: SIGKILL after ${(Date.now() - t0) / 1000}s total, refresh ${refresh.seconds}s, up ${up.seconds}s, preview ${p.seconds}s`,
        );
    });

    test("a Service deleted by hand: preview --refresh shows it, up --refresh puts it back; the second preview is empty", () => {
        const t0 = Date.now();
        const claim = get("persistentvolumeclaim", "data", ns);
        kc(["-n", ns, "delete", "service", "api", "--wait=true"]);
        const drift = stack.preview(["--refresh", "--expect-no-changes"]);
        assert.notEqual(drift.status, 0, `the deleted Service shows as a change:\n${drift.output}`);
        const up = stack.pulumi(["up", "--yes", "--skip-preview", "--refresh"]);
        assert.equal(up.status, 0, up.output);
        assert.ok(get("service", "api", ns), "the Service is back");
        assert.equal(get("persistentvolumeclaim", "data", ns).metadata.uid, claim.metadata.uid);
        const p = stack.preview(["--expect-no-changes", "--refresh"]);
        assert.equal(p.status, 0, p.output);
        console.log(`# faults: deleted Service, up --refresh ${up.seconds}s, test ${(Date.now() - t0) / 1000}s`);
    });
});
