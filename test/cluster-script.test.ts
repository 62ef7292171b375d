/**
 * scripts/cluster.sh start-up supervision, without a cluster: the script is sourced (it runs nothing
 * when sourced) with a temporary state dir, and stand-in components (copies of /bin/sleep and /bin/sh
 * named like the real binaries) are started with its own `start` and watched with its own `check_alive`.
 *
 * What it pins down (a cold clean-clone CI run failed at `cluster.sh up` with "jobset exited" and an
 * empty log, and its logs were then deleted by `down`):
 * - a component still exec'ing (the subshell/setsid in front of the binary) is not "exited";
 * - a component that dies is reported with its exit status and its log (or "the log is empty"),
 *   and started again once; dying twice fails with the status;
 * - a failed `up` leaves the logs next to the state dir, where `down` does not remove them.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";

const SCRIPT = path.resolve(__dirname, "..", "scripts", "cluster.sh");

function sandbox(): { dir: string; bin: string; state: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-cluster-script-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    fs.copyFileSync("/bin/sleep", path.join(bin, "etcd"));
    fs.chmodSync(path.join(bin, "etcd"), 0o755);
    fs.copyFileSync("/bin/sh", path.join(bin, "jobset"));
    fs.copyFileSync("/bin/sleep", path.join(bin, "kwok"));
    fs.chmodSync(path.join(bin, "kwok"), 0o755);
    fs.chmodSync(path.join(bin, "jobset"), 0o755);
    return { dir, bin, state: path.join(dir, "state") };
}

/** Runs `body` in bash with cluster.sh sourced against the sandbox; returns status and output. */
function run(sb: ReturnType<typeof sandbox>, body: string): { status: number | null; out: string } {
    const script = `set -euo pipefail
. ${JSON.stringify(SCRIPT)}
mkdir -p "$STATE_DIR"/{pids,logs}
${body}`;
    const r = spawnSync("bash", ["-c", script], {
        encoding: "utf8",
        timeout: 60_000,
        env: {
            ...process.env,
            MLKUBE_CACHE: sb.dir,
            CLUSTER_BIN: sb.bin,
            MLKUBE_CLUSTER_DIR: sb.state,
            MLKUBE_REAL_NODE: "0",
        },
    });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

test("cluster.sh: a component that is still starting is not reported as exited", () => {
    const sb = sandbox();
    try {
        // check_alive right after start, many times: the window before exec must never read as a death.
        const r = run(
            sb,
            `for i in $(seq 1 30); do start etcd "$CLUSTER_BIN/etcd" 30; check_alive; kill "$(pid_of etcd)"; wait "$(pid_of etcd)" 2>/dev/null || true; done; echo ALIVE-OK`,
        );
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /ALIVE-OK/);
        assert.doesNotMatch(r.out, /exited|exit status/);
    } finally {
        fs.rmSync(sb.dir, { recursive: true, force: true });
    }
});

test("cluster.sh: a dead component is reported with its exit status and log, restarted once, and fails up the second time", () => {
    const sb = sandbox();
    try {
        const r = run(
            sb,
            `start jobset "$CLUSTER_BIN/jobset" -c 'echo jobset-said-this; exit 3'
sleep 0.5
check_alive
echo AFTER-FIRST
sleep 0.5
check_alive
echo NOT-REACHED`,
        );
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /jobset exit status 3; last lines of/);
        assert.match(r.out, /jobset-said-this/);
        assert.match(r.out, /starting it again \(once\)/);
        assert.match(r.out, /AFTER-FIRST/);
        assert.match(r.out, /ERROR: jobset exit status 3/);
        assert.doesNotMatch(r.out, /NOT-REACHED/);
        assert.ok(fs.existsSync(path.join(sb.state, "logs", "jobset.first-attempt.log")));
    } finally {
        fs.rmSync(sb.dir, { recursive: true, force: true });
    }
});

test("cluster.sh: an empty log is said to be empty, and a signal is named", () => {
    const sb = sandbox();
    try {
        const r = run(
            sb,
            `start etcd "$CLUSTER_BIN/etcd" 30
sleep 0.3
kill -KILL "$(pid_of etcd)"
sleep 0.2
RETRIED[etcd]=1
check_alive`,
        );
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /etcd killed by signal 9 \(KILL\)/);
        assert.match(r.out, /\(the log is empty\)/);
    } finally {
        fs.rmSync(sb.dir, { recursive: true, force: true });
    }
});

test("cluster.sh: a failed up keeps its logs where down does not remove them", () => {
    const sb = sandbox();
    try {
        const r = run(
            sb,
            `trap _up_exit EXIT
start jobset "$CLUSTER_BIN/jobset" -c 'echo dying-words; exit 4'
sleep 0.3
RETRIED[jobset]=1
check_alive`,
        );
        assert.equal(r.status, 1, r.out);
        assert.match(r.out, /logs kept in .*failed-up-logs/);
        const down = run(sb, "cmd_down");
        assert.equal(down.status, 0, down.out);
        assert.ok(!fs.existsSync(sb.state), "down removed the state dir");
        assert.match(fs.readFileSync(path.join(`${sb.state}.failed-up-logs`, "jobset.log"), "utf8"), /dying-words/);
    } finally {
        fs.rmSync(sb.dir, { recursive: true, force: true });
    }
});

test("cluster.sh stop/start NAME: one component stops and comes back with its own command; the others keep running; its old log is kept", () => {
    const sb = sandbox();
    try {
        const r = run(
            sb,
            `start etcd "$CLUSTER_BIN/etcd" 300
start kwok "$CLUSTER_BIN/kwok" 300
first=$(pid_of kwok)
sleep 0.3
cmd_stop_component kwok
is_ours kwok && echo STILL-RUNNING
is_ours etcd && echo ETCD-RUNNING
cmd_stop_component kwok
cmd_start_component kwok
[ "$(pid_of kwok)" != "$first" ] && is_ours kwok && echo KWOK-BACK
cmd_start_component kwok
ls "$STATE_DIR/logs"
( cmd_stop_component kube-apiserverr ) || echo "UNKNOWN-REFUSED $?"
kill "$(pid_of etcd)" "$(pid_of kwok)"`,
        );
        assert.equal(r.status, 0, r.out);
        assert.match(r.out, /stopped kwok \(pid \d+\)/);
        assert.doesNotMatch(r.out, /STILL-RUNNING/);
        assert.match(r.out, /ETCD-RUNNING/);
        assert.match(r.out, /kwok is not running/);
        assert.match(r.out, /kwok ready again/);
        assert.match(r.out, /KWOK-BACK/);
        assert.match(r.out, /kwok is already running/);
        assert.match(r.out, /kwok\.1\.log/);
        assert.match(r.out, /no component "kube-apiserverr" in this cluster \(components: etcd kube-apiserver/);
        assert.match(r.out, /UNKNOWN-REFUSED 1/);
    } finally {
        fs.rmSync(sb.dir, { recursive: true, force: true });
    }
});
