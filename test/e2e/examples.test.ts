/**
 * Every example under the real Pulumi engine, against the local control plane: `pulumi up` creates what
 * the offline renderer predicts, `pulumi preview --expect-no-changes` is clean, no plaintext secret in the
 * state or the CLI output, and `pulumi destroy` removes everything but the claims of retained Volumes.
 * quickstart also checks that a changed Secret value rolls the Compute's pods.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { render } from "../../src/render";
import {
    RUN_ID,
    Stack,
    assertDestroyedExcept,
    assertLiveMatchesRendered,
    assertNoSecretLeak,
    createNamespace,
    deleteNamespaces,
    exampleStackDefaults,
    get,
    kc,
    kubectl,
    list,
    requirePrerequisites,
    summary,
    waitFor,
} from "./helpers";

interface Case {
    title: string;
    dir: string;
    prefix: string;
    config?: Record<string, string>;
    /** Set with `pulumi config set --secret`; the values are searched for in state and output. */
    secrets: Record<string, string>;
}

const CASES: Case[] = [
    {
        title: "quickstart",
        dir: "examples/quickstart",
        prefix: "qs",
        secrets: { apiToken: `qs-api-token-${RUN_ID}-Zx81` },
    },
    {
        title: "inference",
        dir: "examples/inference",
        prefix: "inf",
        secrets: { hfToken: `hf_e2eInference${RUN_ID}Q7` },
    },
    {
        title: "llm-finetune (jobset)",
        dir: "examples/llm-finetune",
        prefix: "ft",
        secrets: { hfToken: `hf_e2eFinetune${RUN_ID}K2`, wandbApiKey: `wandb-e2e-${RUN_ID}-key-93` },
    },
    {
        title: "llm-finetune (kubeflow)",
        dir: "examples/llm-finetune",
        prefix: "ftkf",
        config: { backend: "kubeflow" },
        secrets: { hfToken: `hf_e2eKubeflow${RUN_ID}M4`, wandbApiKey: `wandb-e2e-kf-${RUN_ID}-77` },
    },
];

/** examples/llm-finetune selects `node.kubernetes.io/instance-type: p5.48xlarge`; the local GPU nodes say gpu-8x-h100. */
const INSTANCE_TYPE = "node.kubernetes.io/instance-type";
const gpuNodeTypes: Record<string, string> = {};

before(() => {
    requirePrerequisites();
    for (const n of list("nodes", "", "mlkube.test/node-kind=gpu"))
        gpuNodeTypes[n.metadata.name] = n.metadata.labels[INSTANCE_TYPE];
    kc(["label", "node", "-l", "mlkube.test/node-kind=gpu", `${INSTANCE_TYPE}=p5.48xlarge`, "--overwrite"]);
});

after(() => {
    for (const [node, type] of Object.entries(gpuNodeTypes))
        if (type) kubectl(["label", "node", node, `${INSTANCE_TYPE}=${type}`, "--overwrite"]);
    deleteNamespaces();
});

for (const c of CASES) {
    describe(c.title, () => {
        let stack: Stack;
        let secretValues = Object.values(c.secrets);
        /** The renderer's prediction, with the live names of auto-named objects. */
        let predicted: { objects: any[]; sources: any[] };
        let retainedClaims: { name: string; uid: string }[] = [];

        before(async () => {
            const ns = await createNamespace(c.prefix);
            stack = new Stack(c.dir, c.prefix, ns);
            stack.init({ ...exampleStackDefaults(c.dir), ...(c.config ?? {}) }, c.secrets);
        });

        after(() => {
            stack?.remove();
        });

        test("pulumi up creates what the offline renderer predicts", async () => {
            const r = stack.up();
            assert.equal(r.status, 0, `pulumi up failed after ${r.seconds}s:\n${r.output}`);
            console.log(`# ${c.title}: pulumi up ${r.seconds}s, ${JSON.stringify(summary(r.output))}`);
            const rendered = await render(stack.dir, { stack: stack.name });
            assert.deepEqual(rendered.errors, []);
            predicted = { objects: rendered.objects, sources: rendered.sources };
            // Nothing else of ours in the namespace (Pulumi created exactly the predicted top-level objects).
            assertLiveMatchesRendered(rendered, stack.namespace);
            retainedClaims = rendered.objects
                .filter((o) => o.kind === "PersistentVolumeClaim")
                .map((o) => ({
                    name: o.metadata.name,
                    uid: get("pvc", o.metadata.name, stack.namespace).metadata.uid,
                }));
        });

        test("pulumi preview --expect-no-changes is clean", () => {
            const r = stack.preview(["--expect-no-changes"]);
            assert.equal(r.status, 0, `preview reported changes after ${r.seconds}s:\n${r.output}`);
            const s = summary(r.output);
            assert.equal(s.create + s.update + s.replace + s.delete, 0, r.output);
            console.log(`# ${c.title}: preview ${r.seconds}s, ${s.same} unchanged`);
        });

        if (c.title === "quickstart") {
            test("changing the Secret's value rolls the Compute's pods", async () => {
                const before = get("deployment", "server", stack.namespace);
                const checksum = (d: any) =>
                    Object.entries(d.spec.template.metadata.annotations ?? {}).filter(([k]) =>
                        k.startsWith("checksum.mlkube.dev/"),
                    );
                assert.equal(checksum(before).length, 1, "the pod template carries the Secret's checksum");
                const newValue = `qs-api-token-${RUN_ID}-rotated-Lp5`;
                secretValues = [...secretValues, newValue];
                stack.setSecret({ apiToken: newValue });
                const secretBefore = get("secret", "api-token", stack.namespace);
                const p = stack.preview();
                assert.equal(p.status, 0, p.output);
                const planned = summary(p.output);
                // The Deployment updates in place (new checksum on its pod template); the provider replaces
                // a Secret whose data changed unless kubernetes:enableSecretMutable is set (see docs/pulumi-engine.md).
                assert.equal(planned.create + planned.delete, 0, p.output);
                assert.match(p.output, /~ kubernetes:apps\/v1:Deployment: \(update\)/, p.output);
                assert.match(p.output, /checksum\.mlkube\.dev\/api-token: "[0-9a-f]+" => "[0-9a-f]+"/, p.output);
                const r = stack.up();
                assert.equal(r.status, 0, r.output);
                const secretAfter = get("secret", "api-token", stack.namespace);
                console.log(
                    `# quickstart: secret rotation: preview ${JSON.stringify(planned)}; up ${r.seconds}s, ${JSON.stringify(summary(r.output))}; Secret ${secretAfter.metadata.uid === secretBefore.metadata.uid ? "updated in place" : "replaced"}`,
                );
                const afterUp = get("deployment", "server", stack.namespace);
                assert.equal(afterUp.metadata.uid, before.metadata.uid, "same Deployment");
                assert.notDeepEqual(checksum(afterUp), checksum(before), "new checksum on the pod template");
                assert.equal(afterUp.metadata.generation, before.metadata.generation + 1);
                // A new ReplicaSet rolled out; the old one is scaled to zero.
                await waitFor("rollout", () => {
                    const d = get("deployment", "server", stack.namespace);
                    return (
                        d.status.observedGeneration === d.metadata.generation &&
                        d.status.updatedReplicas === 1 &&
                        d.status.readyReplicas === 1 &&
                        !d.status.unavailableReplicas
                    );
                });
                const rs = list("replicasets", stack.namespace).filter(
                    (x) => x.metadata.ownerReferences?.[0]?.uid === before.metadata.uid,
                );
                assert.equal(rs.length, 2, "old and new ReplicaSet");
                assert.deepEqual(rs.map((x) => x.spec.replicas).sort(), [0, 1]);
                const liveSecret = get("secret", "api-token", stack.namespace);
                assert.equal(Buffer.from(liveSecret.data.API_TOKEN, "base64").toString(), newValue);
                const again = stack.preview(["--expect-no-changes"]);
                assert.equal(again.status, 0, again.output);
            });
        }

        test("no plaintext secret in pulumi stack export or the CLI output", () => {
            // The stack config file too holds ciphertext only.
            assertNoSecretLeak(stack, secretValues);
        });

        test("pulumi destroy removes everything but the retained claims, which keep their data", () => {
            const r = stack.pulumi(["destroy", "--yes", "--skip-preview"]);
            assert.equal(r.status, 0, r.output);
            console.log(`# ${c.title}: destroy ${r.seconds}s`);
            assertDestroyedExcept(stack, predicted, retainedClaims);
        });
    });
}
