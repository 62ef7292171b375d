/**
 * What the API server admits and refuses, against what mlkube predicts:
 *
 * - rejections: for each mistake mlkube's validation refuses (and its unit tests pin), a raw object with
 *   that mistake, built by hand from an mlkube render that the server accepts, must be refused by the
 *   component that mlkube says would refuse it (Trainer webhook, TrainJob CRD CEL rules, JobSet webhook);
 * - Pod Security "restricted": mlkube's secure defaults are admitted, `secureDefaults: false` is not
 *   (Deployments: the ReplicaSet cannot create pods; bare pods: Forbidden), as test/pss.ts predicts.
 *
 * Acceptance/rejection checks use `--dry-run=server` (full admission, nothing stored); the Pod Security
 * checks create real objects.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Compute, Secret, TrainJob, TrainJobArgs } from "../../src";
import { K8sObject } from "../../src/render";
import { restrictedViolations } from "../pss";
import {
    applyObjects,
    applyOk,
    applyRejected,
    condition,
    conditionTrue,
    createNamespace,
    deleteNamespaces,
    emitObjects,
    find,
    get,
    kubectl,
    list,
    requireCluster,
    validationErrors,
    waitFor,
} from "./helpers";

let ns: string;

before(async () => {
    requireCluster();
    ns = await createNamespace("admission");
});

after(() => deleteNamespaces());

const base: TrainJobArgs = {
    image: "registry.invalid/train:1",
    command: ["torchrun", "train.py"],
    numNodes: 2,
    resourcesPerNode: { cpu: 1, memory: "1Gi" },
};

/** Pod spec of the node job inside a runtime patch. */
const nodePatch = (manager: string, podSpec: Record<string, unknown>, job = "node") => ({
    manager,
    trainingRuntimeSpec: {
        template: { spec: { replicatedJobs: [{ name: job, template: { spec: { template: { spec: podSpec } } } }] } },
    },
});

interface RejectionCase {
    what: string;
    /** mlkube args with the mistake, and the error mlkube gives. */
    args: TrainJobArgs;
    name?: string;
    mlkube: RegExp;
    /** The valid args whose render the mistake is applied to (default: `base` on the case's backend). */
    valid: TrainJobArgs;
    /** Puts the mistake into the valid rendered object by hand. */
    mutate: (o: any) => void;
    /** What the server says. */
    server: RegExp;
}

const kubeflow: TrainJobArgs = { ...base, backend: "kubeflow" };

const cases: RejectionCase[] = [
    {
        what: "Trainer webhook: a runtime patch with env on container node",
        args: {
            ...kubeflow,
            runtimePatches: [
                nodePatch("example.com/team", { containers: [{ name: "node", env: [{ name: "A", value: "1" }] }] }),
            ],
        },
        mlkube: /env: the Trainer does not accept env for the "node" container in a patch; set it in the TrainJob's env instead/,
        valid: kubeflow,
        mutate: (o) =>
            o.spec.runtimePatches.push(
                nodePatch("example.com/team", { containers: [{ name: "node", env: [{ name: "A", value: "1" }] }] }),
            ),
        server: /admission webhook "validator\.trainjob\.trainer\.kubeflow\.org" denied the request: .*must not have envs for the dataset-initializer, model-initializer, node containers/,
    },
    {
        what: "Trainer webhook (torch plugin): reserved PET_* env in spec.trainer.env",
        args: { ...kubeflow, env: { PET_NNODES: "2" } },
        mlkube: /env\.PET_NNODES: is reserved: .*the Kubeflow Trainer rejects PET_\* in spec\.trainer\.env/,
        valid: kubeflow,
        mutate: (o) => (o.spec.trainer.env = [...(o.spec.trainer.env ?? []), { name: "PET_NNODES", value: "2" }]),
        server: /spec\.trainer\.env: Invalid value: .*must not have reserved envs, invalid envs configured: \[PET_NNODES\]/,
    },
    {
        what: "Trainer webhook: a patch manager that is not a domain-prefixed path",
        args: { ...kubeflow, runtimePatches: [nodePatch("team", { nodeSelector: { a: "b" } })] },
        mlkube: /manager: "team" must be a domain-prefixed path/,
        valid: kubeflow,
        mutate: (o) => o.spec.runtimePatches.push(nodePatch("team", { nodeSelector: { a: "b" } })),
        server: /spec\.runtimePatches\.manager: Invalid value: "team": must be a domain-prefixed path/,
    },
    {
        what: "TrainJob CRD CEL: a name that is not an RFC 1035 label",
        args: kubeflow,
        name: "9lives",
        mlkube: /"9lives" is not a valid TrainJob\/JobSet name/,
        valid: kubeflow,
        mutate: (o) => (o.metadata.name = "9lives"),
        server: /metadata\.name must match RFC 1035 DNS label format/,
    },
    {
        what: "TrainJob CRD CEL: managedBy other than the Trainer or MultiKueue",
        args: { ...kubeflow, managedBy: "example.com/controller" },
        mlkube: /managedBy: "example\.com\/controller" is not accepted by the Trainer/,
        valid: kubeflow,
        mutate: (o) => (o.spec.managedBy = "example.com/controller"),
        server: /ManagedBy must be trainer\.kubeflow\.org\/trainjob-controller or kueue\.x-k8s\.io\/multikueue/,
    },
    {
        what: "JobSet webhook: a name too long for its pod names (48 characters × 100 nodes; 47 is the limit)",
        args: { ...base, numNodes: 100 },
        name: "a".repeat(48),
        mlkube: /is too long for the pod names it produces: .* is 64 characters, more than 63; with numNodes 100 use a name of at most 47 characters/,
        valid: { ...base, numNodes: 100, name: "a".repeat(47) },
        mutate: (o) => {
            o.metadata.name = "a".repeat(48);
            o.spec.network.subdomain = o.metadata.name;
        },
        server: /The JobSet "a{48}" is invalid: spec\.replicatedJobs\[0\]\.name: .*JobSet name is too long, pod names generated for this JobSet will exceed 63 characters/,
    },
    {
        what: "JobSet webhook: managedBy longer than 63 characters",
        args: { ...base, managedBy: `example.com/${"c".repeat(52)}` },
        mlkube: /managedBy: "example\.com\/c+" must be at most 63 characters/,
        valid: { ...base, managedBy: "kueue.x-k8s.io/multikueue" },
        mutate: (o) => (o.spec.managedBy = `example.com/${"c".repeat(52)}`),
        server: /spec\.managedBy: Too long: may not be more than 63 bytes/,
    },
];

/**
 * Mistakes the Trainer v2.3.0 webhook means to reject ("must not have container/replicated job that
 * doesn't exist in the runtime") but cannot: it validates the runtime *after* merging the TrainJob's
 * patches into it, so a patched name always exists. Such a TrainJob is admitted and then never runs
 * (no terminal condition; the Trainer only emits warning events). mlkube rejects them up front.
 */
const admittedButBroken: RejectionCase[] = [
    {
        what: "a patch of a container the runtime does not have",
        args: {
            ...kubeflow,
            runtimePatches: [
                nodePatch("example.com/team", {
                    containers: [{ name: "sidecar", securityContext: { runAsUser: 1000 } }],
                }),
            ],
        },
        mlkube: /container "sidecar" does not exist in replicated job "node" of runtime "torch-distributed"/,
        valid: kubeflow,
        mutate: (o) =>
            o.spec.runtimePatches.push(
                nodePatch("example.com/team", {
                    containers: [{ name: "sidecar", securityContext: { runAsUser: 1000 } }],
                }),
            ),
        server: /^JobCreationFailed: job "ghost-0-node-0" creation failed .*containers\[\d\]\.image: Required value/,
    },
    {
        what: "a patch of a replicated job the runtime does not have",
        args: {
            ...kubeflow,
            runtimePatches: [nodePatch("example.com/team", { nodeSelector: { a: "b" } }, "launcher")],
        },
        mlkube: /replicated job "launcher" does not exist in runtime "torch-distributed"/,
        valid: kubeflow,
        mutate: (o) =>
            o.spec.runtimePatches.push(nodePatch("example.com/team", { nodeSelector: { a: "b" } }, "launcher")),
        server: /^TrainJobResourcesCreationFailed: .*JobSet\.jobset\.x-k8s\.io "ghost-1" is invalid/,
    },
];

describe("the server rejects what mlkube rejects", () => {
    for (const c of cases) {
        test(c.what, async () => {
            // mlkube refuses the mistake before anything reaches a cluster ...
            const errors = await validationErrors(
                () => new TrainJob("t", { ...c.args, ...(c.name ? { name: c.name } : {}) }),
                ns,
            );
            assert.ok(
                errors.some((e) => c.mlkube.test(e)),
                `mlkube should reject it with ${c.mlkube}; got ${JSON.stringify(errors)}`,
            );
            // ... the server accepts mlkube's valid render ...
            const valid = await emitObjects(() => new TrainJob("t", c.valid), ns);
            const job = valid.find((o) => o.kind === "TrainJob" || o.kind === "JobSet")!;
            applyOk([job], { dryRun: true });
            // ... and refuses the same object with the mistake put in by hand.
            const bad = structuredClone<K8sObject>(job);
            c.mutate(bad);
            applyRejected([bad], c.server, { dryRun: true });
        });
    }
});

describe("the server admits, but the Trainer cannot run, what mlkube rejects", () => {
    admittedButBroken.forEach((c, i) => {
        test(c.what, async () => {
            const errors = await validationErrors(() => new TrainJob("t", c.args), ns);
            assert.ok(
                errors.some((e) => c.mlkube.test(e)),
                `mlkube should reject it with ${c.mlkube}; got ${JSON.stringify(errors)}`,
            );
            const name = `ghost-${i}`;
            const bad = structuredClone(
                find(await emitObjects(() => new TrainJob(name, c.valid), ns), "TrainJob"),
            ) as K8sObject;
            c.mutate(bad);
            applyOk([bad]); // admitted: schema, CEL and webhook pass
            // The Trainer fails to build or run its JobSet and says so only in events.
            const event = await waitFor(
                `a warning event of TrainJob/JobSet ${name}`,
                () =>
                    list("events", ns)
                        .map((e) => `${e.reason}: ${e.message}`)
                        .find((m) => c.server.test(m)),
                {
                    dump: [
                        ["trainjob", name, ns],
                        ["events", "", ns],
                    ],
                    timeoutMs: 30_000,
                },
            );
            assert.ok(event);
            const tj = get("trainjob", name, ns);
            assert.ok(
                !conditionTrue(tj, "Complete") && !conditionTrue(tj, "Failed"),
                "the TrainJob hangs without a terminal condition",
            );
            kubectl(["-n", ns, "delete", "trainjob", name, "--wait=false"]);
        });
    });
});

// ---------------------------------------------------------------------------------------------
// Pod Security "restricted"

const web = {
    image: "registry.invalid/web:1",
    replicas: 2,
    resources: { cpu: "100m", memory: "64Mi" },
    ports: [{ port: 8080 }],
};

function podTemplateOf(objects: K8sObject[]): any {
    return find(objects, "Deployment").spec.template;
}

/** The bare Pod of a Deployment's template. */
function bareSpec(objects: K8sObject[], name: string): K8sObject {
    const t = podTemplateOf(objects);
    return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: ns, labels: t.metadata.labels },
        spec: t.spec,
    };
}

// ---------------------------------------------------------------------------------------------
// Issue 11: the Trainer CRD's list-maps (kubeflow backend)

describe("kubeflow list-maps: what mlkube emits is admitted, the duplicates it avoids are not", () => {
    const listMapArgs = (): TrainJobArgs => ({
        ...kubeflow,
        numNodes: undefined,
        // One claim at two paths: two pod volumes, since container volumeMounts are keyed by name.
        volumes: [
            { volume: "data", mountPath: "/a", subPath: "a" },
            { volume: "data", mountPath: "/b", subPath: "b" },
        ],
        // Two env Secrets sharing a key: one spec.trainer.env entry (later wins).
        secrets: [new Secret("env-a", { env: { TOKEN: "1", A: "x" } }), new Secret("env-b", { env: { TOKEN: "2" } })],
    });

    test("one claim at two subPaths, Secrets sharing a key, numNodes unset: admitted", async () => {
        const tj = find(await emitObjects(() => new TrainJob("lists", listMapArgs()), ns), "TrainJob");
        assert.ok(!("numNodes" in tj.spec.trainer));
        assert.equal(tj.spec.trainer.env.filter((e: any) => e.name === "TOKEN").length, 1);
        applyOk([tj], { dryRun: true });
    });

    test("the same TrainJob with two mounts of one name, or two env entries of one name: refused by the CRD", async () => {
        const tj = find(await emitObjects(() => new TrainJob("lists", listMapArgs()), ns), "TrainJob");
        const mounts = structuredClone<any>(tj);
        const pod =
            mounts.spec.runtimePatches[0].trainingRuntimeSpec.template.spec.replicatedJobs[0].template.spec.template
                .spec;
        pod.containers[0].volumeMounts[1].name = pod.containers[0].volumeMounts[0].name;
        pod.volumes = pod.volumes.filter((v: any) => v.name !== "pvc-data-1");
        applyRejected([mounts], /Duplicate value|duplicate entries for key/, { dryRun: true });
        const env = structuredClone<any>(tj);
        env.spec.trainer.env.push({ name: "TOKEN", valueFrom: { secretKeyRef: { name: "env-a", key: "TOKEN" } } });
        applyRejected([env], /Duplicate value|duplicate entries for key/, { dryRun: true });
    });
});

describe('Pod Security "restricted"', () => {
    test("Compute with secure defaults: no warning, pods admitted, Deployment Available", async () => {
        const objects = await emitObjects(() => new Compute("secure", web), ns);
        assert.deepEqual(restrictedViolations(podTemplateOf(objects).spec), [], "test/pss.ts predicts compliance");
        const warnings = applyOk(objects);
        assert.doesNotMatch(warnings, /PodSecurity/);
        await waitFor(
            "Deployment secure Available",
            () => {
                const d = get("deployment", "secure", ns);
                return conditionTrue(d, "Available") && d.status.readyReplicas === 2;
            },
            { dump: [["deployment", "secure", ns]] },
        );
        applyOk([bareSpec(objects, "secure-bare")], { dryRun: true });
    });

    test("Compute with secureDefaults: false: warned at apply, ReplicaSet FailedCreate (violates PodSecurity), no pods; a bare pod is Forbidden", async () => {
        const objects = await emitObjects(() => new Compute("insecure", { ...web, secureDefaults: false }), ns);
        const predicted = restrictedViolations(podTemplateOf(objects).spec);
        assert.ok(predicted.length > 0, "test/pss.ts predicts violations");
        // The Deployment itself is admitted, with a warning naming the violations.
        const warnings = applyOk(objects);
        assert.match(warnings, /Warning: would violate PodSecurity "restricted:latest"/);
        const fields: Array<[RegExp, RegExp]> = [
            [/allowPrivilegeEscalation/, /allowPrivilegeEscalation != false/],
            [/capabilities/, /unrestricted capabilities/],
            [/runAsNonRoot/, /runAsNonRoot != true/],
            [/seccompProfile/, /seccompProfile/],
        ];
        for (const [p, server] of fields)
            if (predicted.some((v) => p.test(v))) assert.match(warnings, server, `predicted ${p}`);
        // The ReplicaSet's pods are refused, which the Deployment reports as ReplicaFailure/FailedCreate.
        const d = await waitFor(
            "Deployment insecure ReplicaFailure",
            () => {
                const x = get("deployment", "insecure", ns);
                return conditionTrue(x, "ReplicaFailure") ? x : undefined;
            },
            {
                dump: [
                    ["deployment", "insecure", ns],
                    ["replicasets", "", ns],
                ],
            },
        );
        const failure = condition(d, "ReplicaFailure")!;
        assert.equal(failure.reason, "FailedCreate");
        assert.match(failure.message!, /forbidden: violates PodSecurity "restricted:latest"/);
        assert.ok(!conditionTrue(d, "Available") || (d.status.readyReplicas ?? 0) === 0);
        assert.equal(list("pods", ns, "app.kubernetes.io/name=insecure").length, 0, "no pod was created");
        // A bare pod of the same template is refused outright.
        const r = applyObjects([bareSpec(objects, "insecure-bare")]);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /is forbidden: violates PodSecurity "restricted:latest"/);
        assert.equal(kubectl(["-n", ns, "get", "pod", "insecure-bare"]).status, 1);
    });

    test("TrainJob (jobset) with secureDefaults: false: the Job cannot create pods (FailedCreate event)", async () => {
        const objects = await emitObjects(() => new TrainJob("insecure-train", { ...base, secureDefaults: false }), ns);
        applyOk(objects);
        await waitFor(
            "a FailedCreate event of Job insecure-train-node-0",
            () =>
                list("events", ns).some(
                    (e) =>
                        e.involvedObject.kind === "Job" &&
                        e.involvedObject.name === "insecure-train-node-0" &&
                        e.reason === "FailedCreate" &&
                        /violates PodSecurity/.test(e.message),
                ),
            {
                dump: [
                    ["jobset", "insecure-train", ns],
                    ["jobs", "", ns],
                ],
            },
        );
        assert.equal(list("pods", ns, "jobset.sigs.k8s.io/jobset-name=insecure-train").length, 0);
    });
});
