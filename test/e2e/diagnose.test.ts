/**
 * Progress and diagnosis inside `pulumi up` with the real engine (test/e2e/programs/diagnose,
 * docs/diagnosis.md): one `pulumi up` of deliberately broken workloads, one per cause, plus a healthy
 * 2-node TrainJob. Each diagnosis must appear in the output, and within 30 s of its cause being visible
 * in the cluster (the output is read line by line as the CLI prints it); no Secret value may appear.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import {
    Stack,
    assertNoSecretLeak,
    createNamespace,
    deleteNamespaces,
    kc,
    list,
    requirePrerequisites,
} from "./helpers";

const PROGRAM = "test/e2e/programs/diagnose";
const MARKER = `MARKER-${Date.now().toString(36)}-diagnose-secret`;
/** Seconds each broken job is waited for (pulumi.com/timeoutSeconds): the `up` lasts about this long. */
const WAIT = 30;
const SCENARIOS = ["gpu", "selector", "taint", "image", "secret", "claim", "rank", "healthy", "crashloop"];

before(() => requirePrerequisites());
after(() => deleteNamespaces());

interface Line {
    at: number;
    text: string;
}

/** `pulumi up`, its output read as printed: each line with the time it arrived. Killed after `timeoutMs`. */
function upStreaming(
    stack: Stack,
    timeoutMs: number,
): Promise<{ status: number; lines: Line[]; output: string; seconds: number }> {
    const t0 = Date.now();
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
        { env: stack.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const lines: Line[] = [];
    let rest = "";
    const onData = (d: Buffer) => {
        const at = Date.now();
        const parts = (rest + d.toString("utf8")).split("\n");
        rest = parts.pop() ?? "";
        for (const text of parts) lines.push({ at, text });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const kill = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    return new Promise((resolve) => {
        child.on("close", (code) => {
            clearTimeout(kill);
            if (rest) lines.push({ at: Date.now(), text: rest });
            const output = lines.map((l) => l.text).join("\n");
            stack.transcript.push(output);
            resolve({ status: code ?? -1, lines, output, seconds: (Date.now() - t0) / 1000 });
        });
    });
}

/** When a cause became visible in the cluster: the first Warning event about an object whose name starts with `prefix`. */
function causeSeen(namespace: string, prefix: string, reasons: RegExp): number | undefined {
    const events = list("events", namespace).filter(
        (e) => e.involvedObject?.name?.startsWith(prefix) && reasons.test(e.reason ?? ""),
    );
    const times = events
        .map((e) => Date.parse(e.firstTimestamp ?? e.eventTime ?? e.lastTimestamp))
        .filter((t) => !Number.isNaN(t));
    return times.length ? Math.min(...times) : undefined;
}

describe("progress and diagnosis in pulumi up", () => {
    let stack: Stack;
    let ns: string;
    let up: Awaited<ReturnType<typeof upStreaming>>;
    const delays: Record<string, number> = {};

    before(async () => {
        ns = await createNamespace("diag");
        // The claim the `claim` scenario mounts: a storage class that does not exist.
        kc(
            ["-n", ns, "apply", "-f", "-"],
            JSON.stringify({
                apiVersion: "v1",
                kind: "PersistentVolumeClaim",
                metadata: { name: "stuck" },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: "fast-ssd",
                    resources: { requests: { storage: "1Gi" } },
                },
            }),
        );
        stack = new Stack(PROGRAM, "diag", ns);
        stack.init({ scenarios: SCENARIOS.join(","), timeout: String(WAIT) }, { marker: MARKER });
        up = await upStreaming(stack, 600_000);
        if (process.env.MLKUBE_E2E_VERBOSE) console.log(up.output);
    });

    after(() => {
        if (Object.keys(delays).length)
            console.log(`diagnose e2e: up ${up?.seconds}s; seconds from cause to message: ${JSON.stringify(delays)}`);
        stack?.remove();
    });

    /** The first output line matching `re` (asserted), and its delay after `cause` (asserted ≤ 30 s when known). */
    function seen(name: string, re: RegExp, cause?: number): Line {
        const line = up.lines.find((l) => re.test(l.text));
        assert.ok(line, `${name}: no line matching ${re} in the pulumi up output:\n${up.output}`);
        if (cause !== undefined) {
            // Event timestamps have whole seconds.
            const delay = Math.max(0, (line.at - cause) / 1000 - 1);
            delays[name] = Math.round(delay * 10) / 10;
            assert.ok(delay <= 30, `${name}: reported ${delay}s after the cause became visible (at most 30 s)`);
        }
        return line;
    }

    test("the update fails (the broken jobs), the healthy job completes", () => {
        assert.notEqual(up.status, 0, up.output);
        assert.equal(
            list("jobsets.jobset.x-k8s.io", ns).find((j) => j.metadata.name === "healthy")?.status?.terminalState,
            "Completed",
        );
    });

    test("Unschedulable: insufficient nvidia.com/gpu, with the field that asked for it", () => {
        seen(
            "gpu",
            /TrainJob "gpu": pod gpu-node-0-0-\w+ cannot be scheduled: .*not enough nvidia\.com\/gpu: resourcesPerNode\.gpu asks for 99 per node/,
            causeSeen(ns, "gpu-node", /FailedScheduling/),
        );
    });
    test("Unschedulable: no node matching the selector", () => {
        seen(
            "selector",
            /TrainJob "selector": pod selector-node-0-0-\w+ cannot be scheduled: .*no node matches nodeSelector node\.kubernetes\.io\/instance-type=p5\.48xlarge/,
            causeSeen(ns, "selector-node", /FailedScheduling/),
        );
    });
    test("Unschedulable: an untolerated taint", () => {
        seen(
            "taint",
            /TrainJob "taint": pod taint-node-0-0-\w+ cannot be scheduled: .*nodes have a taint the pod does not tolerate.*Fix: .*tolerations/,
            causeSeen(ns, "taint-node", /FailedScheduling/),
        );
    });
    test("ImagePullBackOff: the image, and that no image-pull Secret is set", () => {
        seen(
            "image",
            /TrainJob "image": pod image-node-0-0-\w+ container node cannot get image "registry\.invalid\/team\/train:1\.0" \((ErrImagePull|ImagePullBackOff).*image-pull Secret: none/,
            causeSeen(ns, "image-node", /^(Failed|BackOff)$/),
        );
    });
    test("CreateContainerConfigError: the missing Secret", () => {
        seen(
            "secret",
            /TrainJob "secret": pod secret-node-0-0-\w+ container node cannot start \(CreateContainerConfigError\): Secret "hf-token-missing" does not exist/,
            causeSeen(ns, "secret-node", /^Failed$/),
        );
    });
    test("a claim stuck Pending: the storage class that does not exist", () => {
        // Visible once the job's pod exists (the claim itself was Pending before the update).
        const pod = list("pods", ns, "jobset.sigs.k8s.io/jobset-name=claim")[0];
        seen(
            "claim",
            /TrainJob "claim": claim stuck is Pending: storage class "fast-ssd" does not exist/,
            pod ? Date.parse(pod.metadata.creationTimestamp) : undefined,
        );
    });
    test("a failed rank: exit code and the termination message of the first failing rank", () => {
        const pod = list("pods", ns, "jobset.sigs.k8s.io/jobset-name=rank").find(
            (p) => p.status?.containerStatuses?.[0]?.state?.terminated?.exitCode === 3,
        );
        assert.ok(pod, "rank 1's pod failed with exit 3");
        const line = seen(
            "rank",
            /TrainJob "rank": rank 1, pod rank-node-0-1-\w+ container node exited with code 3 \(Error\)/,
            Date.parse(pod.status.containerStatuses[0].state.terminated.finishedAt),
        );
        const after = up.lines
            .slice(up.lines.indexOf(line))
            .map((l) => l.text)
            .join("\n");
        assert.match(after, /termination message:\n.*rank 1 failed on purpose/);
    });
    test("a Compute in CrashLoopBackOff: exit code and the last log lines, next to the provider's await", () => {
        const pod = list("pods", ns, "mlkube.dev/compute=crashloop")[0];
        const started =
            pod?.status?.containerStatuses?.[0]?.lastState?.terminated?.finishedAt ??
            pod?.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt;
        const line = seen(
            "crashloop",
            /Compute "crashloop": pod crashloop-\w+-\w+ container main exited with code 1 \(Error\)/,
            started ? Date.parse(started) : undefined,
        );
        const after = up.lines
            .slice(up.lines.indexOf(line))
            .map((l) => l.text)
            .join("\n");
        assert.match(after, /last log lines:\n.*nowhere\.invalid/);
    });
    test("a healthy 2-node TrainJob shows its progress as it changes", () => {
        const progress = up.lines
            .filter((l) => /TrainJob "healthy": 2 nodes: /.test(l.text))
            .map((l) => l.text.replace(/^.*TrainJob "healthy": /, ""));
        assert.ok(
            progress.some(
                (l) => /0 succeeded, 0 failed; restarts 0\/1 \(maxRestarts\)/.test(l) && /[12] running/.test(l),
            ),
            progress.join("\n"),
        );
        // On change only: no two consecutive identical states.
        const states = progress.map((l) => l.replace(/; \d+(m\d+)?s$/, ""));
        assert.ok(states.length <= 12, `bounded: ${states.length} progress lines`);
    });
    test("no Secret value anywhere in the output or the state", () => {
        assertNoSecretLeak(stack, [MARKER]);
    });
});

// In its own `up`: one more pod on the real node in the big `up` above left its failing rank and healthy job
// without pods within their 30 s wait on the 2-core node.
describe("diagnosis: an image that runs as root", () => {
    let stack: Stack;
    let ns: string;
    let up: Awaited<ReturnType<typeof upStreaming>>;

    before(async () => {
        ns = await createNamespace("diagroot");
        stack = new Stack(PROGRAM, "diagroot", ns);
        stack.init({ scenarios: "root", timeout: String(WAIT) }, { marker: MARKER });
        up = await upStreaming(stack, 300_000);
    });
    after(() => stack?.remove());

    test("CreateContainerConfigError: runAsNonRoot with an image that runs as root, with the fix (runAsUser), within 30 s", () => {
        assert.notEqual(up.status, 0, up.output);
        const re =
            /TrainJob "root": pod root-node-0-0-\w+ container node cannot start \(CreateContainerConfigError\): the image runs as root \(user 0\) and the pod requires runAsNonRoot.*Fix: set securityContext\.runAsUser to a non-root uid/;
        const line = up.lines.find((l) => re.test(l.text));
        assert.ok(line, `no line matching ${re}:\n${up.output}`);
        const cause = causeSeen(ns, "root-node", /^Failed$/);
        if (cause !== undefined) {
            const delay = Math.max(0, (line.at - cause) / 1000 - 1);
            console.log(`diagnose e2e: root image reported ${delay}s after the kubelet's event`);
            assert.ok(delay <= 30, `reported ${delay}s after the cause (at most 30 s)`);
        }
    });
});
