/**
 * Issue 11 — pods that work when they run (kubelet, torchrun and Trainer semantics), under mocks:
 * fsGroup and secret file modes, access modes and the Deployment strategy, memory-backed volume sizing,
 * the GPU toleration against runtime patches, Kubeflow list-map rules, secret.ref key checks and
 * rollouts, secure-default conflicts, termination messages, warnings and error hints.
 * Facts: ../shared/reference/runtime-semantics.md and kubeflow-jobset.md.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import { Compute, ComputeArgs, RuntimePatch, Secret, TrainJob, TrainJobArgs, Volume } from "../src";
import { assertValidCrd } from "./conformance";
import { assertFails, assertThrows, emit } from "./helpers";
import { restrictedViolations } from "./pss";

const img = { image: "ghcr.io/acme/app:1.0" };
const train: TrainJobArgs = { image: "ghcr.io/acme/train:1.0", command: ["torchrun"], args: ["/app/train.py"] };
const deployment = async (program: () => unknown, name: string) => {
    const out = await emit(program);
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    return out.get("Deployment", name);
};
const nodePatch = (manager: string, spec: Record<string, unknown>): RuntimePatch => ({
    manager,
    trainingRuntimeSpec: {
        template: { spec: { replicatedJobs: [{ name: "node", template: { spec: { template: { spec } } } }] } },
    },
});

// ---------------------------------------------------------------------------------------------------
// Files from Secrets and claims are readable by the container's user

/** OpenSSH's rule (sshkey_perm_ok): a key owned by the invoking user must not be group/other accessible. */
function sshAcceptsKey(owner: number, mode: number, uid: number): boolean {
    return !(owner === uid && (mode & 0o077) !== 0);
}
/** Can `uid` (with supplementary group `gid`) read a root-owned file of `mode` whose group is `group`? */
function canRead(mode: number, uid: number, gid: number | undefined, group: number | undefined): boolean {
    if (uid === 0) return true;
    if (gid !== undefined && gid === group) return (mode & 0o040) !== 0;
    return (mode & 0o004) !== 0;
}

test("fsGroup: a non-root pod mounting Secret files gets fsGroup (run-as group, else user, else 1000) with OnRootMismatch and 0440 files", async () => {
    const d = await deployment(() => {
        const ssh = new Secret("git", { gitSsh: { privateKey: "K" } });
        const files = new Secret("tls", { env: { "tls.crt": "C" }, mount: "files" });
        new Compute("a", { ...img, secrets: [ssh, files], securityContext: { runAsUser: 1000 } });
        new Compute("b", { ...img, secrets: [files], securityContext: { runAsUser: 1000, runAsGroup: 3000 } });
        new Compute("c", { ...img, secrets: [files] });
    }, "a");
    assert.deepEqual(d.spec.template.spec.securityContext, {
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
        runAsUser: 1000,
        fsGroup: 1000,
        fsGroupChangePolicy: "OnRootMismatch",
    });
    assert.deepEqual(
        d.spec.template.spec.volumes.map((v: any) => v.secret.defaultMode),
        [0o440, 0o440],
    );
    const out = await emit(() => {
        const files = new Secret("tls", { env: { "tls.crt": "C" }, mount: "files" });
        new Compute("b", { ...img, secrets: [files], securityContext: { runAsUser: 1000, runAsGroup: 3000 } });
        new Compute("c", { ...img, secrets: [files] });
    });
    assert.equal(out.get("Deployment", "b").spec.template.spec.securityContext.fsGroup, 3000);
    assert.equal(
        out.get("Deployment", "c").spec.template.spec.securityContext.fsGroup,
        1000,
        "image user unknown: the documented fixed GID",
    );
    assert.deepEqual(restrictedViolations(d.spec.template.spec), []);
});

test("fsGroup: claims get it too; what the user sets wins; root pods and pods of unknown user get none", async () => {
    const out = await emit(() => {
        const data = new Volume("data", { size: "10Gi" });
        const files = new Secret("tls", { env: { "tls.crt": "C" }, mount: "files" });
        new Compute("claim", { ...img, volumes: [data], securityContext: { runAsUser: 1000 } });
        new Compute("own", {
            ...img,
            volumes: ["x"],
            secrets: [files],
            securityContext: { runAsUser: 1000, fsGroup: 5000, fsGroupChangePolicy: "Always" },
        });
        new Compute("mode", {
            ...img,
            secrets: [new Secret("m", { env: { k: "v" }, mount: "files", fileMode: 0o444 })],
            securityContext: { runAsUser: 1000 },
        });
        new Compute("root", { ...img, secrets: [files], securityContext: { runAsUser: 0, runAsNonRoot: false } });
        new Compute("unknown", { ...img, secrets: [files], secureDefaults: false });
        new Compute("none", { ...img, securityContext: { runAsUser: 1000 } });
    });
    const sc = (n: string) => out.get("Deployment", n).spec.template.spec.securityContext;
    const modes = (n: string) =>
        out
            .get("Deployment", n)
            .spec.template.spec.volumes.filter((v: any) => v.secret)
            .map((v: any) => v.secret.defaultMode);
    assert.equal(sc("claim").fsGroup, 1000);
    assert.equal(sc("claim").fsGroupChangePolicy, "OnRootMismatch");
    assert.equal(sc("own").fsGroup, 5000);
    assert.equal(sc("own").fsGroupChangePolicy, "Always");
    assert.deepEqual(modes("mode"), [0o444]);
    assert.equal(sc("root").fsGroup, undefined);
    assert.deepEqual(modes("root"), [0o400]);
    assert.equal(sc("unknown"), undefined);
    assert.deepEqual(modes("unknown"), [0o400]);
    assert.equal(sc("none").fsGroup, undefined, "nothing to read: no fsGroup");
});

test("fsGroup: the chosen modes satisfy ssh's key rule and make the key readable, for non-root and root pods", async () => {
    const out = await emit(() => {
        const ssh = new Secret("git", { gitSsh: { privateKey: "K" } });
        new Compute("nonroot", { ...img, secrets: [ssh], securityContext: { runAsUser: 1000 } });
        new Compute("root", { ...img, secrets: [ssh], securityContext: { runAsUser: 0, runAsNonRoot: false } });
        new TrainJob("tj", { ...train, secrets: [ssh], securityContext: { runAsUser: 1000, runAsGroup: 1000 } });
    });
    assert.deepEqual(out.errors, []);
    const pods = [
        out.get("Deployment", "nonroot").spec.template.spec,
        out.get("Deployment", "root").spec.template.spec,
        out.get("JobSet", "tj").spec.replicatedJobs[0].template.spec.template.spec,
    ];
    for (const pod of pods) {
        const uid = pod.securityContext?.runAsUser ?? 0;
        const mode = pod.volumes.find((v: any) => v.secret?.secretName === "git").secret.defaultMode;
        // Secret files are root-owned; with fsGroup the kubelet gives them that group.
        assert.ok(
            canRead(mode, uid, pod.securityContext?.fsGroup, pod.securityContext?.fsGroup),
            `uid ${uid} can read the key (mode ${mode.toString(8)})`,
        );
        assert.ok(
            sshAcceptsKey(0, mode, uid),
            `ssh as uid ${uid} accepts a root-owned key of mode ${mode.toString(8)}`,
        );
        const cmd = pod.containers[0].env.find((e: any) => e.name === "GIT_SSH_COMMAND").value;
        assert.match(cmd, /^ssh -i \/etc\/mlkube\/secrets\/git\/ssh-privatekey /);
    }
});

// ---------------------------------------------------------------------------------------------------
// Access modes that cannot work are refused; Deployment strategy

test("access modes: a ReadWriteOnce/ReadWriteOncePod Volume on several pods is refused, naming the field and the fix", async () => {
    const rwoMsg = (field: string, n: number, unit: string) =>
        `claim "data" is ReadWriteOnce, which attaches to one node at a time: pods on other nodes fail with Multi-Attach errors (read-only mounts too), but ${field} is ${n}; create the Volume with accessMode: "ReadWriteMany" (or "ReadOnlyMany" for shared read-only data), or run one ${unit}`;
    await assertFails(
        () => new Compute("api", { ...img, replicas: 3, volumes: [new Volume("data", { size: "1Gi" })] }),
        `Compute "api": volumes[0]: ${rwoMsg("replicas", 3, "replica")}`,
    );
    await assertFails(
        () =>
            new Compute("api", {
                ...img,
                replicas: 2,
                volumes: [{ volume: new Volume("data", { size: "1Gi" }), readOnly: true }],
            }),
        `Compute "api": volumes[0]: ${rwoMsg("replicas", 2, "replica")}`,
    );
    await assertFails(
        () =>
            new Compute("api", {
                ...img,
                resources: { cpu: 1 },
                autoscaling: { maxReplicas: 4 },
                volumes: [new Volume("data", { size: "1Gi", accessMode: "ReadWriteOncePod" })],
            }),
        `Compute "api": volumes[0]: claim "data" is ReadWriteOncePod, which admits exactly one pod: the others never schedule, but autoscaling.maxReplicas is 4; create the Volume with accessMode: "ReadWriteMany" (or "ReadOnlyMany" for shared read-only data), or run one replica (maxReplicas: 1)`,
    );
    for (const backend of ["jobset", "kubeflow"] as const) {
        await assertFails(
            () => new TrainJob("t", { ...train, backend, numNodes: 4, volumes: [new Volume("data", { size: "1Gi" })] }),
            `TrainJob "t": volumes[0]: ${rwoMsg("numNodes", 4, "node")}`,
        );
    }
    // Unknown modes are not checked; RWX and one pod are fine.
    const out = await emit(() => {
        new Compute("ext", { ...img, replicas: 3, volumes: ["existing-claim", Volume.existing("other")] });
        new Compute("rwx", {
            ...img,
            replicas: 3,
            volumes: [new Volume("shared", { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" })],
        });
        new Compute("one", { ...img, replicas: 1, volumes: [new Volume("mine", { size: "1Gi" })] });
        new Compute("rox", {
            ...img,
            replicas: 2,
            volumes: [new Volume("ro", { size: "1Gi", accessMode: "ReadOnlyMany" })],
        });
        new TrainJob("tj", { ...train, numNodes: 1, volumes: [new Volume("single", { size: "1Gi" })] });
    });
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
});

test("strategy: Recreate by default with single-attach claims; RollingUpdate options; a deadlocking RollingUpdate is refused", async () => {
    const out = await emit(() => {
        new Compute("rwo", { ...img, volumes: [new Volume("a", { size: "1Gi" })] });
        new Compute("rwop", { ...img, volumes: [new Volume("b", { size: "1Gi", accessMode: "ReadWriteOncePod" })] });
        new Compute("rwx", {
            ...img,
            volumes: [new Volume("c", { size: "1Gi", accessMode: "ReadWriteMany", storageClass: "nfs" })],
        });
        new Compute("plain", img);
        new Compute("surge", {
            ...img,
            replicas: 4,
            strategy: { type: "RollingUpdate", maxSurge: "50%", maxUnavailable: 0 },
        });
        new Compute("zero", {
            ...img,
            volumes: [new Volume("d", { size: "1Gi" })],
            strategy: { type: "RollingUpdate", maxSurge: 0, maxUnavailable: 1 },
        });
        new Compute("re", { ...img, strategy: { type: "Recreate" } });
    });
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    const st = (n: string) => out.get("Deployment", n).spec.strategy;
    assert.deepEqual(st("rwo"), { type: "Recreate" });
    assert.deepEqual(st("rwop"), { type: "Recreate" });
    assert.equal(st("rwx"), undefined, "Kubernetes' default RollingUpdate");
    assert.equal(st("plain"), undefined);
    assert.deepEqual(st("surge"), { type: "RollingUpdate", rollingUpdate: { maxSurge: "50%", maxUnavailable: 0 } });
    assert.deepEqual(st("zero"), { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    assert.deepEqual(st("re"), { type: "Recreate" });
    await assertFails(
        () =>
            new Compute("x", {
                ...img,
                volumes: [new Volume("e", { size: "1Gi" })],
                strategy: { type: "RollingUpdate" },
            }),
        'Compute "x": strategy: a RollingUpdate that starts new pods before old ones stop (maxSurge "25%") deadlocks with claim "e" (ReadWriteOnce): the new pod cannot attach it while the old one holds it; use type "Recreate", or maxSurge: 0 with maxUnavailable: 1',
    );
    assertThrows(
        () => new Compute("y", { ...img, strategy: { type: "Recreate", maxSurge: 1 } }),
        'Compute "y": strategy.maxSurge: only applies with type "RollingUpdate"',
    );
    assertThrows(
        () => new Compute("z", { ...img, strategy: { type: "RollingUpdate", maxSurge: 0, maxUnavailable: "0%" } }),
        'Compute "z": strategy.maxUnavailable: maxSurge and maxUnavailable cannot both be 0 (the update could never make progress); allow one pod of either',
    );
});

// ---------------------------------------------------------------------------------------------------
// Memory-backed volumes fit in the memory they are charged to

test("memory volumes: sharedMemory + tmpfs + Memory emptyDirs must fit in the memory limit (else the request)", async () => {
    assertThrows(
        () =>
            new Compute("m", {
                ...img,
                resources: { memory: "16Gi" },
                sharedMemory: "8Gi",
                tmpfs: { size: "8Gi" },
                emptyDirs: [
                    { mountPath: "/fast", medium: "Memory", sizeLimit: "1Gi" },
                    { mountPath: "/disk", sizeLimit: "100Gi" },
                ],
            }),
        'Compute "m": resources.memory: "16Gi" cannot hold the memory-backed volumes (emptyDirs[0].sizeLimit "1Gi" + sharedMemory "8Gi" + tmpfs.size "8Gi" = 17Gi), which are charged to the container\'s memory request; raise resources.memory or shrink the volumes',
    );
    assertThrows(
        () =>
            new Compute("m", { ...img, resources: { memory: "4Gi", limits: { memory: "8Gi" } }, sharedMemory: "10Gi" }),
        'Compute "m": resources.limits.memory: "8Gi" cannot hold the memory-backed volumes (sharedMemory "10Gi" = 10Gi), which are charged to the container\'s memory limit; raise resources.limits.memory or shrink the volumes',
    );
    // The tmpfs default (half the request) plus shm exactly at the request fits; each Memory emptyDir has a sizeLimit.
    const d = await deployment(
        () =>
            new Compute("ok", {
                ...img,
                resources: { memory: "16Gi" },
                sharedMemory: "8Gi",
                tmpfs: {},
                emptyDirs: [{ mountPath: "/fast", medium: "Memory" }],
            }),
        "ok",
    );
    const vols = d.spec.template.spec.volumes;
    assert.deepEqual(vols.find((v: any) => v.name === "scratch-fast").emptyDir, {
        medium: "Memory",
        sizeLimit: "16Gi",
    });
    assert.deepEqual(vols.find((v: any) => v.name === "tmpfs").emptyDir, { medium: "Memory", sizeLimit: "8192Mi" });
    assertThrows(
        () => new Compute("n", { ...img, emptyDirs: [{ mountPath: "/fast", medium: "Memory" }] }),
        'Compute "n": emptyDirs[0].sizeLimit: is required with medium "Memory" when resources.memory is not set (a tmpfs is charged to the container\'s memory; without a limit it can use the node\'s); e.g. "1Gi"',
    );
    await assertFails(
        () => new TrainJob("t", { ...train, resourcesPerNode: { memory: "8Gi" }, sharedMemory: "16Gi" }),
        'TrainJob "t": resourcesPerNode.memory: "8Gi" cannot hold the memory-backed volumes (sharedMemory "16Gi" = 16Gi), which are charged to the container\'s memory request; raise resourcesPerNode.memory or shrink the volumes',
    );
});

// ---------------------------------------------------------------------------------------------------
// The GPU toleration survives tolerations from runtime patches

test("GPU toleration: kept when a runtime patch sets tolerations, on both backends (unless gpuToleration: false)", async () => {
    const gpuTol = { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" };
    const spot = { key: "spot", operator: "Exists" };
    const args = {
        ...train,
        numNodes: 2,
        resourcesPerNode: { gpu: 8 },
        runtimePatches: [nodePatch("example.com/sched", { tolerations: [spot] })],
    };
    const out = await emit(() => {
        new TrainJob("js", args);
        new TrainJob("kf", { ...args, backend: "kubeflow" });
        new TrainJob("off", { ...args, gpuToleration: false });
        new TrainJob("own", {
            ...args,
            runtimePatches: [
                nodePatch("example.com/sched", {
                    tolerations: [{ key: "nvidia.com/gpu", operator: "Equal", value: "h100", effect: "NoSchedule" }],
                }),
            ],
        });
    });
    assert.deepEqual(out.errors, []);
    const jsPod = (n: string) => out.get("JobSet", n).spec.replicatedJobs[0].template.spec.template.spec;
    assert.deepEqual(jsPod("js").tolerations, [spot, gpuTol]);
    assert.deepEqual(jsPod("off").tolerations, [spot]);
    assert.deepEqual(jsPod("own").tolerations, [
        { key: "nvidia.com/gpu", operator: "Equal", value: "h100", effect: "NoSchedule" },
    ]);
    // kubeflow: the Trainer applies the patches in order and replaces tolerations: the user's patch carries it.
    const tj = out.get("TrainJob", "kf");
    assertValidCrd(tj);
    const tolerationsOf = (p: any) =>
        p.trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.tolerations;
    assert.deepEqual(tolerationsOf(tj.spec.runtimePatches[0]), [gpuTol]);
    assert.deepEqual(tolerationsOf(tj.spec.runtimePatches[1]), [spot, gpuTol]);
    // A podPatch that replaces tolerations keeps it too (same pod builder).
    const d = await deployment(
        () => new Compute("c", { ...img, resources: { gpu: 1 }, podPatch: { tolerations: [spot] } }),
        "c",
    );
    assert.deepEqual(d.spec.template.spec.tolerations, [spot, gpuTol]);
});

// ---------------------------------------------------------------------------------------------------
// Kubeflow backend: every emitted TrainJob passes the CRD and the webhook

test("kubeflow: one claim at two paths gives two pod volumes (volumeMounts are keyed by name); jobset keeps one", async () => {
    const args = (backend: "jobset" | "kubeflow"): TrainJobArgs => ({
        ...train,
        backend,
        volumes: [
            { volume: "data", mountPath: "/a", subPath: "a" },
            { volume: "data", mountPath: "/b", subPath: "b" },
        ],
    });
    const out = await emit(() => {
        new TrainJob("kf", args("kubeflow"));
        new TrainJob("js", args("jobset"));
    });
    assert.deepEqual(out.errors, []);
    const tj = out.get("TrainJob", "kf");
    assertValidCrd(tj);
    const pod =
        tj.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec;
    assert.deepEqual(pod.volumes, [
        { name: "pvc-data", persistentVolumeClaim: { claimName: "data" } },
        { name: "pvc-data-1", persistentVolumeClaim: { claimName: "data" } },
    ]);
    assert.deepEqual(pod.containers[0].volumeMounts, [
        { name: "pvc-data", mountPath: "/a", subPath: "a" },
        { name: "pvc-data-1", mountPath: "/b", subPath: "b" },
    ]);
    const js = out.get("JobSet", "js").spec.replicatedJobs[0].template.spec.template.spec;
    assert.deepEqual(js.volumes, [{ name: "pvc-data", persistentVolumeClaim: { claimName: "data" } }]);
    // User patches with two mounts of one name are refused, on both backends.
    for (const backend of ["jobset", "kubeflow"] as const) {
        await assertFails(
            () =>
                new TrainJob("p", {
                    ...train,
                    backend,
                    runtimePatches: [
                        nodePatch("example.com/m", {
                            volumes: [{ name: "v", emptyDir: {} }],
                            containers: [
                                {
                                    name: "node",
                                    volumeMounts: [
                                        { name: "v", mountPath: "/x", subPath: "x" },
                                        { name: "v", mountPath: "/y", subPath: "y" },
                                    ],
                                },
                            ],
                        }),
                    ],
                }),
            'TrainJob "p": runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template.spec.containers[0].volumeMounts[1].name: volume "v" is mounted twice in this container: the Trainer keys a container\'s volumeMounts by name, so a pod volume mounts once; to mount the same source at a second path, add a second pod volume with the same source under another name (in this patch\'s volumes) and mount that',
        );
    }
});

test("kubeflow: env Secrets sharing a key give one spec.trainer.env entry, the later Secret's (envFrom's rule); explicit env wins", async () => {
    const out = await emit(() => {
        const a = new Secret("a", { env: { TOKEN: "1", ONLY_A: "x" } });
        const b = new Secret("b", { env: { TOKEN: "2" } });
        new TrainJob("kf", { ...train, backend: "kubeflow", secrets: [a, b] });
        new TrainJob("ex", { ...train, backend: "kubeflow", secrets: [a, b], env: { TOKEN: "mine" } });
        new TrainJob("js", { ...train, secrets: [a, b] });
    });
    assert.deepEqual(out.errors, []);
    const env = (n: string) =>
        out.get("TrainJob", n).spec.trainer.env.filter((e: any) => e.valueFrom?.secretKeyRef || e.name === "TOKEN");
    assertValidCrd(out.get("TrainJob", "kf"));
    assert.deepEqual(env("kf"), [
        { name: "ONLY_A", valueFrom: { secretKeyRef: { name: "a", key: "ONLY_A" } } },
        { name: "TOKEN", valueFrom: { secretKeyRef: { name: "b", key: "TOKEN" } } },
    ]);
    assert.deepEqual(
        env("ex").map((e: any) => [e.name, e.value ?? e.valueFrom.secretKeyRef.name]),
        [
            ["TOKEN", "mine"],
            ["ONLY_A", "a"],
        ],
    );
    // jobset: envFrom in the same order, where Kubernetes lets the later source win.
    assert.deepEqual(out.get("JobSet", "js").spec.replicatedJobs[0].template.spec.template.spec.containers[0].envFrom, [
        { secretRef: { name: "a" } },
        { secretRef: { name: "b" } },
    ]);
});

test("kubeflow: numNodes left out when not set (the runtime's mlPolicy.numNodes applies); annotations reach the TrainJob; no termination-message field", async () => {
    const out = await emit(() => {
        new TrainJob("a", { ...train, backend: "kubeflow", annotations: { "example.com/x": "y" } });
        new TrainJob("b", { ...train, backend: "kubeflow", numNodes: 3 });
    });
    assert.deepEqual(out.errors, []);
    const a = out.get("TrainJob", "a");
    assert.ok(!("numNodes" in a.spec.trainer));
    assert.equal(out.get("TrainJob", "b").spec.trainer.numNodes, 3);
    assert.equal(a.metadata.annotations["example.com/x"], "y");
    assert.ok(
        !("terminationMessagePolicy" in a.spec.trainer),
        "spec.trainer has no such field; the runtime's container decides",
    );
    assertValidCrd(a);
});

// ---------------------------------------------------------------------------------------------------
// Secret references are checked and roll pods

test("secret.ref: a key the Secret does not hold is refused, listing its keys (never values)", async () => {
    await emit(() => {
        const s = new Secret("api", { env: { OPENAI_API_KEY: "sk-value-never-shown", ORG: "o" } });
        assertThrows(
            () => s.ref("OPENAI_KEY"),
            'Secret "api": ref: this Secret has no key "OPENAI_KEY" (it has "OPENAI_API_KEY", "ORG"); a pod referencing it would fail with CreateContainerConfigError',
        );
        assert.equal(s.ref("OPENAI_KEY", true).key, "OPENAI_KEY", "an optional ref may name a missing key");
        const ssh = new Secret("git", { gitSsh: { privateKey: "K" } });
        assertThrows(
            () => ssh.ref("id_rsa"),
            'Secret "git": ref: this Secret has no key "id_rsa" (it has "ssh-privatekey"); a pod referencing it would fail with CreateContainerConfigError',
        );
        // Keys from an Output are unknown here: not checked.
        const later = new Secret("later", { env: pulumi.output({ A: "1" }) });
        assert.equal(later.ref("ANY").key, "ANY");
        assert.equal(Secret.existing("ext").ref("ANY").key, "ANY");
    });
});

test("secret.ref: env values taken with ref() roll Compute pods when the Secret changes (not TrainJob pods)", async () => {
    const render = async (v: string) => {
        const out = await emit(() => {
            const s = new Secret("api", { env: { KEY: pulumi.secret(v) } });
            new Compute("c", { ...img, env: { KEY: s.ref("KEY") } });
            new TrainJob("t", { ...train, env: { KEY: s.ref("KEY") } });
        });
        assert.deepEqual(out.errors, []);
        return {
            c: out.get("Deployment", "c").spec.template.metadata.annotations,
            t: out.get("JobSet", "t").spec.replicatedJobs[0].template.spec.template.metadata.annotations,
        };
    };
    const [one, same, two] = [await render("v1"), await render("v1"), await render("v2")];
    assert.deepEqual(Object.keys(one.c), ["checksum.mlkube.dev/api"]);
    assert.equal(one.c["checksum.mlkube.dev/api"], same.c["checksum.mlkube.dev/api"]);
    assert.notEqual(one.c["checksum.mlkube.dev/api"], two.c["checksum.mlkube.dev/api"]);
    assert.equal(one.t, undefined, "a rotated token must not restart a training run");
});

// ---------------------------------------------------------------------------------------------------
// Secure defaults never fight the user's own settings

test("secure defaults: contradicting settings are refused naming secureDefaults: false; explicit overrides stay coherent", async () => {
    const off =
        "set secureDefaults: false to turn mlkube's secure defaults off, and give the security contexts you need";
    assertThrows(
        () => new Compute("p", { ...img, containerSecurityContext: { privileged: true } }),
        `Compute "p": containerSecurityContext.privileged: true contradicts the secure default allowPrivilegeEscalation: false (the API server rejects the pair) and Pod Security "restricted"; set allowPrivilegeEscalation: true explicitly, or ${off}`,
    );
    assertThrows(
        () => new Compute("p", { ...img, containerSecurityContext: { capabilities: { add: ["SYS_ADMIN"] } } }),
        `Compute "p": containerSecurityContext.capabilities.add: "SYS_ADMIN" contradicts the secure default allowPrivilegeEscalation: false (the API server rejects CAP_SYS_ADMIN with it); set allowPrivilegeEscalation: true explicitly, or ${off}`,
    );
    assertThrows(
        () => new Compute("p", { ...img, securityContext: { runAsUser: 0 } }),
        `Compute "p": securityContext.runAsUser: 0 (root) contradicts the secure default runAsNonRoot: true: the kubelet would refuse to start the container "main"; run as a non-root user, set runAsNonRoot: false explicitly, or ${off}`,
    );
    assertThrows(
        () =>
            new Compute("p", {
                ...img,
                containerSecurityContext: { seccompProfile: { localhostProfile: "p.json" } as never },
            }),
        'Compute "p": containerSecurityContext.seccompProfile.type: is required with localhostProfile (merged over the default it would be "RuntimeDefault", which the API server rejects with a localhostProfile); set type: "Localhost"',
    );
    await assertFails(
        () => new TrainJob("t", { ...train, backend: "kubeflow", containerSecurityContext: { privileged: true } }),
        /containerSecurityContext\.privileged: true contradicts/,
    );
    const out = await emit(() => {
        new Compute("off", { ...img, secureDefaults: false, containerSecurityContext: { privileged: true } });
        new Compute("both", { ...img, containerSecurityContext: { privileged: true, allowPrivilegeEscalation: true } });
        new Compute("root", { ...img, securityContext: { runAsUser: 0, runAsNonRoot: false } });
        new Compute("drop", {
            ...img,
            containerSecurityContext: { capabilities: { drop: ["NET_RAW"], add: ["NET_BIND_SERVICE"] } },
        });
    });
    assert.deepEqual(out.errors, []);
    assert.deepEqual(out.get("Deployment", "off").spec.template.spec.containers[0].securityContext, {
        privileged: true,
    });
    assert.deepEqual(
        out.get("Deployment", "drop").spec.template.spec.containers[0].securityContext.capabilities,
        { drop: ["ALL", "NET_RAW"], add: ["NET_BIND_SERVICE"] },
        "a user's drop list does not undo drop ALL",
    );
});

/** The API server's and kubelet's rules on one container's effective security settings. */
function securityRuleBroken(pod: any): string | undefined {
    const psc = pod.securityContext ?? {};
    const sc = pod.containers[0].securityContext ?? {};
    if (sc.allowPrivilegeEscalation === false && sc.privileged === true)
        return "privileged with allowPrivilegeEscalation false";
    if (sc.allowPrivilegeEscalation === false && (sc.capabilities?.add ?? []).includes("CAP_SYS_ADMIN"))
        return "CAP_SYS_ADMIN with allowPrivilegeEscalation false";
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) === true && (sc.runAsUser ?? psc.runAsUser) === 0)
        return "runAsUser 0 with runAsNonRoot";
    return undefined;
}

test("secure defaults (property): any user security settings give a working combination or a clear error naming the field", async () => {
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
    const args = fc.record(
        {
            secureDefaults: opt(fc.boolean()),
            securityContext: opt(
                fc.record(
                    { runAsUser: opt(fc.constantFrom(0, 1000)), runAsNonRoot: opt(fc.boolean()) },
                    { requiredKeys: [] },
                ),
            ),
            containerSecurityContext: opt(
                fc.record(
                    {
                        privileged: opt(fc.boolean()),
                        allowPrivilegeEscalation: opt(fc.boolean()),
                        runAsUser: opt(fc.constantFrom(0, 1000)),
                        capabilities: opt(
                            fc.record(
                                { add: opt(fc.subarray(["CAP_SYS_ADMIN", "NET_BIND_SERVICE", "SYS_ADMIN"])) },
                                { requiredKeys: [] },
                            ),
                        ),
                    },
                    { requiredKeys: [] },
                ),
            ),
        },
        { requiredKeys: [] },
    );
    await fc.assert(
        fc.asyncProperty(args, async (a) => {
            let pod: any;
            try {
                const out = await emit(() => new Compute("s", { ...img, ...(a as Partial<ComputeArgs>) }));
                if (out.errors.length) throw out.errors[0];
                pod = out.get("Deployment", "s").spec.template.spec;
            } catch (e) {
                assert.equal((e as Error).name, "MlkubeValidationError", String(e));
                const lines = (e as Error).message.replace(/^Compute "s": (\d+ problems\n {2}- )?/, "").split("\n  - ");
                for (const l of lines)
                    assert.match(
                        l,
                        /^(securityContext|containerSecurityContext)\.\S+: .*(secureDefaults: false|type: "Localhost"|remove one of them)/,
                    );
                return;
            }
            // Neither what mlkube added nor a contradiction the user wrote on both sides is ever emitted
            // (the final pod check refuses both; src/pod/final.ts).
            assert.equal(securityRuleBroken(pod), undefined, JSON.stringify(a));
        }),
        { numRuns: 60, seed: 11 },
    );
});

// ---------------------------------------------------------------------------------------------------
// Failures that explain themselves

test("terminationMessagePolicy: FallbackToLogsOnError on Compute and jobset containers", async () => {
    const out = await emit(() => {
        new Compute("c", img);
        new TrainJob("t", train);
    });
    assert.equal(
        out.get("Deployment", "c").spec.template.spec.containers[0].terminationMessagePolicy,
        "FallbackToLogsOnError",
    );
    assert.equal(
        out.get("JobSet", "t").spec.replicatedJobs[0].template.spec.template.spec.containers[0]
            .terminationMessagePolicy,
        "FallbackToLogsOnError",
    );
});

test("a ReadWriteMany Volume without a storage class (and no mlkube:storageClass) warns at preview", async () => {
    const warnings: string[] = [];
    const log = pulumi.log as { warn: (msg: string, r?: unknown) => Promise<void> };
    const orig = log.warn;
    log.warn = (msg: string) => {
        warnings.push(msg);
        return Promise.resolve();
    };
    try {
        await emit(() => {
            new Volume("shared", { size: "1Ti", accessMode: "ReadWriteMany" });
            new Volume("nfs", { size: "1Ti", accessMode: "ReadWriteMany", storageClass: "nfs" });
            new Volume("rwo", { size: "1Ti" });
        });
        await emit(() => new Volume("cfg", { size: "1Ti", accessMode: "ReadWriteMany" }), {
            "mlkube:storageClass": "efs",
        });
    } finally {
        log.warn = orig;
    }
    assert.deepEqual(warnings, [
        'Volume "shared": accessMode "ReadWriteMany" without a storageClass (and no mlkube:storageClass) uses the cluster\'s default class, which usually cannot provide ReadWriteMany (cloud block disks are ReadWriteOnce), so the claim may stay Pending; set storageClass to an RWX-capable class (NFS, CephFS, EFS, Filestore, Azure Files)',
    ]);
});

// ---------------------------------------------------------------------------------------------------
// Errors that help

test("errors: every problem of a TrainJob at once, including backend-specific ones", async () => {
    await assertFails(
        () =>
            new TrainJob("t", {
                ...train,
                backend: "kubeflow",
                maxRestarts: 2,
                resourcesPerNode: { memory: "16GB" },
                priorityClassName: "high",
            }),
        'TrainJob "t": 2 problems\n  - resourcesPerNode.memory: "16GB" is not a Kubernetes quantity; use "16Gi"\n  - maxRestarts: is not supported with backend "kubeflow": the Kubeflow TrainJob API has no such field (the runtime\'s JobSet decides it); set it in the training runtime, or use backend "jobset"',
    );
    // Fields well-formed: the rules, the pod builder's and the backend's problems together.
    await assertFails(
        () =>
            new TrainJob("t", {
                ...train,
                backend: "kubeflow",
                maxRestarts: 2,
                resourcesPerNode: { memory: "4Gi", limits: { memory: "2Gi" } },
                priorityClassName: "high",
            }),
        /^TrainJob "t": 3 problems\n {2}- maxRestarts: is not supported with backend "kubeflow".*\n {2}- resourcesPerNode\.limits\.memory: "2Gi" is less than the request "4Gi"; raise the limit or lower the request\n {2}- priorityClassName: pod field priorityClassName is not supported with backend "kubeflow"/,
    );
    await assertFails(
        () =>
            new Compute("c", {
                ...img,
                replicas: 2,
                volumes: [new Volume("d", { size: "1Gi" })],
                strategy: { type: "RollingUpdate" },
                resources: { memory: "1Gi" },
                sharedMemory: "2Gi",
            }),
        'Compute "c": 3 problems\n  - volumes[0]: claim "d" is ReadWriteOnce, which attaches to one node at a time: pods on other nodes fail with Multi-Attach errors (read-only mounts too), but replicas is 2; create the Volume with accessMode: "ReadWriteMany" (or "ReadOnlyMany" for shared read-only data), or run one replica\n  - resources.memory: "1Gi" cannot hold the memory-backed volumes (sharedMemory "2Gi" = 2Gi), which are charged to the container\'s memory request; raise resources.memory or shrink the volumes\n  - strategy: a RollingUpdate that starts new pods before old ones stop (maxSurge "25%") deadlocks with claim "d" (ReadWriteOnce): the new pod cannot attach it while the old one holds it; use type "Recreate", or maxSurge: 0 with maxUnavailable: 1',
    );
});

test("errors: unit hints for numbers and unitless byte quantities, whole GPUs, the user's field names", async () => {
    assertThrows(
        () => new Compute("c", { ...img, resources: { memory: 16000 as never } }),
        'Compute "c": resources.memory: 16000 is a number; give a quantity string with a unit, e.g. "16000Mi" (a plain number means bytes)',
    );
    assertThrows(
        () => new Compute("c", { ...img, resources: { memory: "16000" } }),
        'Compute "c": resources.memory: "16000" has no unit, so it means 16000 bytes; use "16000Mi" (or "16000Gi"), or write bytes with an explicit exponent',
    );
    assertThrows(
        () => new Compute("c", { ...img, resources: { ephemeralStorage: "100" } }),
        'Compute "c": resources.ephemeralStorage: "100" has no unit, so it means 100 bytes; use "100Gi" (or "100Mi"), or write bytes with an explicit exponent',
    );
    assertThrows(
        () => new Volume("v", { size: "100" }),
        'Volume "v": size: "100" has no unit, so it means 100 bytes; use "100Gi" (or "100Mi"), or write bytes with an explicit exponent',
    );
    assertThrows(
        () => new Compute("c", { ...img, sharedMemory: "8" }),
        'Compute "c": sharedMemory: "8" has no unit, so it means 8 bytes; use "8Gi" (or "8Mi"), or write bytes with an explicit exponent',
    );
    assertThrows(
        () => new Compute("c", { ...img, resources: { gpu: 0.5 } }),
        'Compute "c": resources.gpu: 0.5 is not a whole number: GPUs are whole devices; request 1 (GPU sharing, e.g. MIG slices, is its own extended resource: set gpuVendor to its name)',
    );
    // Exponents and units are fine; cpu stays unitless.
    const d = await deployment(
        () => new Compute("ok", { ...img, resources: { cpu: "2", memory: "1e9", ephemeralStorage: "10Gi" } }),
        "ok",
    );
    assert.deepEqual(d.spec.template.spec.containers[0].resources.requests, {
        cpu: "2",
        memory: "1e9",
        "ephemeral-storage": "10Gi",
    });
    await assertFails(
        () => new TrainJob("t", { ...train, resourcesPerNode: { memory: "16000" } }),
        'TrainJob "t": resourcesPerNode.memory: "16000" has no unit, so it means 16000 bytes; use "16000Mi" (or "16000Gi"), or write bytes with an explicit exponent',
    );
    await assertFails(
        () => new TrainJob("t", { ...train, tmpfs: {} }),
        'TrainJob "t": tmpfs.size: is required when resourcesPerNode.memory is not set (the default is half the memory request)',
    );
});

test("memory volumes and access modes (property): a pod is emitted only when its tmpfs volumes fit and no single-attach claim is shared", async () => {
    const size = fc.tuple(fc.integer({ min: 1, max: 64 }), fc.constantFrom("Mi", "Gi")).map(([n, u]) => `${n}${u}`);
    const args = fc.record({
        memory: fc.option(size, { nil: undefined }),
        sharedMemory: fc.option(size, { nil: undefined }),
        tmpfs: fc.option(size, { nil: undefined }),
        mode: fc.constantFrom("ReadWriteOnce" as const, "ReadWriteOncePod" as const, "ReadWriteMany" as const),
        replicas: fc.integer({ min: 1, max: 4 }),
    });
    const bytes = (q: string) => Number(q.slice(0, -2)) * (q.endsWith("Gi") ? 2 ** 30 : 2 ** 20);
    await fc.assert(
        fc.asyncProperty(args, async (a) => {
            const out = await emit(() => {
                const v = new Volume("v", { size: "1Gi", accessMode: a.mode, storageClass: "x" });
                new Compute("c", {
                    ...img,
                    replicas: a.replicas,
                    volumes: [v],
                    resources: a.memory ? { memory: a.memory } : undefined,
                    sharedMemory: a.sharedMemory,
                    tmpfs: a.tmpfs ? { size: a.tmpfs } : undefined,
                });
            });
            const tooBig =
                a.memory !== undefined && bytes(a.sharedMemory ?? "0Mi") + bytes(a.tmpfs ?? "0Mi") > bytes(a.memory);
            const shared = a.mode !== "ReadWriteMany" && a.replicas > 1;
            const msgs = out.errors.map((e) => e.message).join("\n");
            assert.equal(out.errors.length > 0, tooBig || shared, msgs);
            assert.equal(/cannot hold the memory-backed volumes/.test(msgs), tooBig, msgs);
            assert.equal(/is ReadWriteOnce(Pod)?, which/.test(msgs), shared, msgs);
            if (!out.errors.length) {
                const pod = out.get("Deployment", "c").spec.template.spec;
                for (const v of pod.volumes.filter((x: any) => x.emptyDir?.medium === "Memory"))
                    assert.ok(v.emptyDir.sizeLimit, `${v.name} has a sizeLimit`);
            }
        }),
        { numRuns: 40, seed: 11 },
    );
});
