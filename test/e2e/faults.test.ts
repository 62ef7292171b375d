/**
 * Faults with the real engine (test/e2e/programs/shared; docs/operations.md "After an interrupted
 * pulumi up" and "Drift"): a `pulumi up` killed mid-way (SIGKILL: no chance to record anything or to
 * release its lock) converges with `cancel` + `refresh` + `up`; one interrupted with ^C (SIGINT to its whole
 * process group, as a terminal sends it) and one whose API server goes away mid-update (scripts/cluster.sh
 * stop/start kube-apiserver) converge with `refresh` + `up`; a Service deleted by hand with `up --refresh`.
 * Each keeps the claim (same uid) and leaves an empty second preview. A manual scale is covered by
 * test/e2e/day-two.test.ts, ^C during waitForCompletion by its waitForCompletion cases.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import {
    ROOT,
    Stack,
    createNamespace,
    deleteNamespaces,
    get,
    kc,
    requirePrerequisites,
    startPulumi,
    waitFor,
} from "./helpers";

/** `pulumi up` in its own process group (a terminal's foreground job, a CI job). */
function startUp(stack: Stack) {
    return startPulumi(stack, ["up", "--yes", "--skip-preview"], { detached: true });
}

/** Waits for `p` at most `ms`; undefined when it has not finished by then. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), ms)));
    try {
        return await Promise.race([p, timeout]);
    } finally {
        clearTimeout(timer);
    }
}

/** Whether every component of the local cluster runs and the API server is ready (scripts/cluster.sh status). */
function clusterIsUp(): boolean {
    return cluster("status").status === 0;
}

function cluster(...args: string[]): { status: number | null; output: string } {
    const r = spawnSync(path.join(ROOT, "scripts", "cluster.sh"), args, { encoding: "utf8", timeout: 300_000 });
    return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

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
        const run = startUp(stack);
        // Killed while the Deployment is being created (the provider waits for its pods).
        await waitFor("the Deployment created by the first up", () => get("deployment", "api", ns), {
            timeoutMs: 120_000,
        });
        process.kill(-run.pid, "SIGKILL");
        const killed = await run.done;
        assert.notEqual(killed.status, 0, `the killed up did not finish:\n${killed.output}`);
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

    /**
     * Takes the workloads out (the claim stays: retained), then starts an `up` that creates them again, with
     * a job that runs for 30 s and is waited for, and returns it once the job's pod runs: the update is
     * in flight (waiting for the job), so a fault injected now hits it mid-way.
     */
    async function upInFlight() {
        stack.set({ workloads: "false" });
        const out = stack.up();
        assert.equal(out.status, 0, out.output);
        assert.equal(get("deployment", "api", ns), undefined, "the Deployment is gone before the interrupted up");
        // No Deployment pods: after an API server outage the node controller marks the pods of the KWOK nodes
        // NotReady, and KWOK (unlike a kubelet) never makes them Ready again, so a Deployment there would never
        // be available again. What is in flight is the wait for the job.
        stack.set({ workloads: "true", jobRunFor: "30s", replicas: "0" });
        const run = startUp(stack);
        await waitFor(
            "the job's pod running while the up waits for it",
            () =>
                get("deployment", "api", ns) &&
                kc([
                    "-n",
                    ns,
                    "get",
                    "pods",
                    "-l",
                    "jobset.sigs.k8s.io/jobset-name=train",
                    "-o",
                    "jsonpath={.items[*].status.phase}",
                ]).includes("Running"),
            { timeoutMs: 120_000 },
        );
        return run;
    }

    /** What the operator does next (docs/operations.md): refresh, up; then nothing is left to do. */
    function converges(claimUid: string, what: string) {
        const refresh = stack.pulumi(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
        assert.equal(refresh.status, 0, refresh.output);
        const up = stack.up();
        assert.equal(up.status, 0, up.output);
        assert.equal(get("persistentvolumeclaim", "data", ns).metadata.uid, claimUid, `${what}: the same claim`);
        assert.ok(get("deployment", "api", ns) && get("service", "api", ns) && get("secret", "keys", ns));
        const p = stack.preview(["--expect-no-changes"]);
        assert.equal(p.status, 0, p.output);
        return { refresh, up, p };
    }

    test("^C mid-update (SIGINT to the up's process group, as a terminal sends it): the up stops and unlocks the stack; refresh + up converge; the claim is kept", async () => {
        const t0 = Date.now();
        const claim = get("persistentvolumeclaim", "data", ns);
        const run = await upInFlight();
        process.kill(-run.pid, "SIGINT");
        const ended = await within(run.done, 120_000);
        if (!ended) process.kill(-run.pid, "SIGKILL");
        assert.ok(ended, "the interrupted up ended within 120 s of ^C");
        assert.notEqual(ended.status, 0, `the interrupted up reports failure:\n${ended.output}`);
        assert.doesNotMatch(ended.output, /panic:|goroutine \d+ \[/, `no crash:\n${ended.output}`);
        // Unlike SIGKILL, ^C lets the CLI record what it did and release its lock: no `pulumi cancel` needed.
        const { refresh, up } = converges(claim.metadata.uid, "^C");
        console.log(
            `# faults: ^C ended the up in ${(Date.now() - t0) / 1000}s (exit ${ended.status}); refresh ${refresh.seconds}s, up ${up.seconds}s`,
        );
    });

    test("the API server goes away for 20 s mid-update and comes back (scripts/cluster.sh stop/start kube-apiserver): the up waits it out and ends on its own; refresh + up converge; the claim is kept", async () => {
        const t0 = Date.now();
        const claim = get("persistentvolumeclaim", "data", ns);
        const run = await upInFlight();
        let ended: Awaited<typeof run.done> | undefined;
        let outage: number | undefined;
        try {
            const stopped = cluster("stop", "kube-apiserver");
            assert.equal(stopped.status, 0, stopped.output);
            const down = Date.now();
            // The update is waiting for its job when the API server goes: it must neither report success
            // while nothing can be observed nor hang once the server is back.
            ended = await within(run.done, 20_000);
            assert.ok(!ended || ended.status !== 0, `the up succeeded without an API server:\n${ended?.output}`);
            const started = cluster("start", "kube-apiserver");
            outage = (Date.now() - down) / 1000;
            assert.equal(started.status, 0, started.output);
        } finally {
            if (!clusterIsUp()) cluster("start", "kube-apiserver");
        }
        const back = Date.now();
        // Seen: the provider's await rides out the outage; the job controller's retries finish the job and the
        // up ends with success. Bounded: the controllers back off while the server is away.
        ended ??= await within(run.done, 300_000);
        if (!ended) process.kill(-run.pid, "SIGKILL");
        assert.ok(ended, "the up ended within 5 minutes of the API server's return");
        console.log(
            `# faults: API server away ${outage}s; the up ended ${(Date.now() - back) / 1000}s after its return, exit ${ended.status}${
                ended.status === 0
                    ? ""
                    : `:\n${ended.output
                          .split("\n")
                          .filter((l) => /error|panic/i.test(l))
                          .slice(0, 6)
                          .join("\n")}`
            }`,
        );
        const status = cluster("status");
        assert.equal(status.status, 0, `every component survived the API server's absence:\n${status.output}`);
        const { refresh, up } = converges(claim.metadata.uid, "API server restart");
        console.log(
            `# faults: API server restart; refresh ${refresh.seconds}s, up ${up.seconds}s, test ${(Date.now() - t0) / 1000}s`,
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
