/**
 * The conformance checker's kubelet rules (test/kubelet-rules.ts `kubeletErrors`, `objectSetErrors`)
 * against the real kubelet of the cluster's real node (docs/cluster.md, "Real node"): rules the API
 * server does not check. A small sample of bare pods, each admitted by the API server; the kubelet
 * either runs the container or refuses it, and the checker must say the same. Bounded: the pods run in
 * parallel, each is decided within 90 s.
 *
 * The namespace does not enforce Pod Security (a restricted namespace would refuse runAsUser 0 before
 * the kubelet sees it).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { objectSetErrors, validateObject } from "../conformance";
import { kubeletErrors } from "../kubelet-rules";
import { applyOk, execApp, hasRealNode, jsonLines, kc, kubectl, requireCluster, sleep, TEST_IMAGE } from "./helpers";
import { RUN_ID } from "../kube";

const enabled = process.env.MLKUBE_REAL_NODE !== "0";
const ns = `mlkube-ct-kubelet-${RUN_ID}`;

before(() => {
    if (!enabled) return;
    requireCluster();
    assert.ok(
        hasRealNode(),
        "the cluster has no real node (scripts/cluster.sh up starts one unless MLKUBE_REAL_NODE=0)",
    );
    kc(
        ["apply", "-f", "-"],
        JSON.stringify({
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: ns, labels: { "mlkube.test/suite": "cluster" } },
        }),
    );
});

after(() => {
    if (enabled && process.env.KEEP_NAMESPACES !== "1")
        kubectl(["delete", "namespace", ns, "--wait=false", "--ignore-not-found"]);
});

const SECURE = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
};

/** A bare pod on the real node running testapp serve as uid 1000 unless `patch` changes it. */
function pod(name: string, patch: (spec: any) => void): any {
    const spec: any = {
        nodeSelector: { "mlkube.test/node-kind": "real" },
        tolerations: [{ key: "mlkube.test/real-node", operator: "Equal", value: "true", effect: "NoSchedule" }],
        restartPolicy: "Never",
        terminationGracePeriodSeconds: 1,
        securityContext: { runAsNonRoot: true, runAsUser: 1000 },
        containers: [
            {
                name: "app",
                image: TEST_IMAGE,
                imagePullPolicy: "Never",
                args: ["serve"],
                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
                securityContext: SECURE,
            },
        ],
    };
    patch(spec);
    return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: ns }, spec };
}

const secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: ns },
    stringData: { token: "t" },
};

interface Sample {
    what: string;
    pod: any;
    /** The size of /dev/shm the pod declares: the kubelet honours the pod only if it gets that size. */
    shm?: number;
}

const SAMPLES: Sample[] = [
    { what: "control: runAsNonRoot, runAsUser 1000", pod: pod("control", () => undefined) },
    { what: "runAsNonRoot with runAsUser 0 (pod)", pod: pod("root-pod", (s) => (s.securityContext.runAsUser = 0)) },
    {
        what: "runAsNonRoot (pod) with runAsUser 0 (container)",
        pod: pod("root-container", (s) => (s.containers[0].securityContext = { ...SECURE, runAsUser: 0 })),
    },
    {
        what: "env from a Secret key that exists",
        pod: pod(
            "key-present",
            (s) =>
                (s.containers[0].env = [{ name: "T", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } }]),
        ),
    },
    {
        what: "env from a Secret key that does not exist",
        pod: pod(
            "key-missing",
            (s) => (s.containers[0].env = [{ name: "T", valueFrom: { secretKeyRef: { name: "creds", key: "nope" } } }]),
        ),
    },
    {
        what: "env from a missing Secret key, optional",
        pod: pod(
            "key-optional",
            (s) =>
                (s.containers[0].env = [
                    { name: "T", valueFrom: { secretKeyRef: { name: "creds", key: "nope", optional: true } } },
                ]),
        ),
    },
    {
        what: "memory-backed volume within the memory limit (32Mi of 64Mi)",
        pod: pod("shm-within", (s) => {
            s.volumes = [{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "32Mi" } }];
            s.containers[0].volumeMounts = [{ name: "shm", mountPath: "/dev/shm" }];
        }),
        shm: 32 * 1024 * 1024,
    },
    {
        what: "memory-backed volume above the memory limit (256Mi of 64Mi)",
        pod: pod("shm-above", (s) => {
            s.volumes = [{ name: "shm", emptyDir: { medium: "Memory", sizeLimit: "256Mi" } }];
            s.containers[0].volumeMounts = [{ name: "shm", mountPath: "/dev/shm" }];
        }),
        shm: 256 * 1024 * 1024,
    },
];

interface Outcome {
    runs: boolean;
    detail: string;
}

/** Runs (container started), or refused (a waiting reason other than ContainerCreating, or a failed mount), within 90 s. */
async function outcome(name: string): Promise<Outcome> {
    const t0 = Date.now();
    for (;;) {
        const r = kubectl(["-n", ns, "get", "pod", name, "-o", "json"]);
        const p = r.status === 0 ? JSON.parse(r.stdout) : undefined;
        const cs = p?.status?.containerStatuses?.[0];
        if (cs?.state?.running) return { runs: true, detail: "running" };
        const waiting = cs?.state?.waiting;
        if (waiting && waiting.reason !== "ContainerCreating")
            return { runs: false, detail: `${waiting.reason}: ${waiting.message ?? ""}` };
        if (cs?.state?.terminated)
            return {
                runs: false,
                detail: `terminated ${cs.state.terminated.reason}: ${cs.state.terminated.message ?? ""}`,
            };
        const events = kubectl([
            "-n",
            ns,
            "get",
            "events",
            "--field-selector",
            `involvedObject.name=${name},reason=FailedMount`,
            "-o",
            "jsonpath={.items[*].message}",
        ]).stdout;
        if (events && Date.now() - t0 > 20_000) return { runs: false, detail: `FailedMount: ${events}` };
        if (Date.now() - t0 > 90_000)
            return { runs: false, detail: `undecided after 90 s: ${JSON.stringify(p?.status ?? {})}` };
        await sleep(1000);
    }
}

describe("kubelet rules on the real node", { skip: !enabled && "MLKUBE_REAL_NODE=0" }, () => {
    test(
        "the checker's kubelet rules agree with the kubelet on a sample of pods the API server admits",
        { timeout: 180_000 },
        async () => {
            applyOk([secret, ...SAMPLES.map((s) => s.pod)]);
            const report: string[] = [];
            const disagreements: string[] = [];
            await Promise.all(
                SAMPLES.map(async (s) => {
                    assert.deepEqual(
                        validateObject(s.pod, { admissionOnly: true }),
                        [],
                        `${s.what}: the API server admits it, so must the checker's admission rules`,
                    );
                    const checker = [...kubeletErrors(s.pod), ...objectSetErrors([secret, s.pod])];
                    const o = await outcome(s.pod.metadata.name);
                    // The kubelet honours the pod when it runs it as declared (a memory-backed volume of the declared size).
                    let honoured = o.runs;
                    let detail = o.runs ? "runs it" : `refuses it (${o.detail.slice(0, 200)})`;
                    if (o.runs && s.shm !== undefined) {
                        const [size] = jsonLines(execApp(ns, s.pod.metadata.name, "sizes", "/dev/shm").stdout);
                        honoured = size?.bytes === s.shm;
                        detail = `runs it with /dev/shm of ${String(size?.bytes)} bytes (declared ${s.shm})`;
                    }
                    report.push(
                        `${s.what}: kubelet ${detail}; checker ${checker.length ? `flags it (${checker.join("; ").slice(0, 200)})` : "admits it"}`,
                    );
                    if (honoured === checker.length > 0)
                        disagreements.push(
                            `${s.what}: kubelet ${detail}, but the checker ${checker.length ? "flags" : "admits"} it`,
                        );
                }),
            );
            process.stdout.write(`${report.sort().join("\n")}\n`);
            assert.deepEqual(disagreements, []);
        },
    );
});
