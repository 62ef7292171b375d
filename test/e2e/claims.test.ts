/**
 * A Volume's retained claim with the real engine (test/e2e/programs/shared; docs/operations.md "Getting a
 * retained claim back", docs/concepts/volume.md): the same stack re-adopts it after destroy + up and can
 * grow it; changing an immutable field fails preview and up with mlkube's message, changes nothing, and
 * after reverting the preview is empty.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Stack, createNamespace, deleteNamespaces, get, kc, requirePrerequisites } from "./helpers";

const PROGRAM = "test/e2e/programs/shared";

before(() => requirePrerequisites());
after(() => deleteNamespaces());

describe("retained claims", () => {
    let a: Stack;
    let ns: string;

    before(async () => {
        ns = await createNamespace("claim");
        a = new Stack(PROGRAM, "claim", ns);
        a.init({ workloads: "false" }, { token: "unused" });
        const r = a.up();
        assert.equal(r.status, 0, r.output);
    });

    after(() => a?.remove());

    test("changing a retained claim's storageClass fails preview and up with mlkube's message, changes nothing; reverted, the preview is empty", () => {
        const t0 = Date.now();
        const claim = get("persistentvolumeclaim", "data", ns);
        const cls = claim.spec.storageClassName;
        assert.ok(cls, "the cluster's default class was set on the claim");
        a.set({ storageClass: "manual" });
        const message = new RegExp(
            `Volume "data": storageClass: claim "data" exists with storageClass "${cls}", and Kubernetes cannot change a claim's storageClass; nothing was changed`,
        );
        const p = a.preview();
        assert.notEqual(p.status, 0, p.output);
        assert.match(p.output, message, p.output);
        const up = a.up();
        assert.notEqual(up.status, 0, up.output);
        assert.match(up.output, message, up.output);
        assert.doesNotMatch(up.output, /client connection is closing|spec is immutable|conflict/i, up.output);
        const after = get("persistentvolumeclaim", "data", ns);
        assert.equal(after.metadata.uid, claim.metadata.uid);
        assert.equal(after.spec.storageClassName, cls);
        a.pulumi(["config", "rm", "storageClass"]);
        const again = a.preview(["--expect-no-changes"]);
        assert.equal(again.status, 0, again.output);
        console.log(
            `# claims: storageClass change preview ${p.seconds}s, up ${up.seconds}s (both failed as expected), reverted preview ${again.seconds}s, test ${(Date.now() - t0) / 1000}s`,
        );
    });

    test("the same stack re-adopts its retained claim after destroy + up, and growing it works", () => {
        const t0 = Date.now();
        const claim = get("persistentvolumeclaim", "data", ns);
        const destroy = a.pulumi(["destroy", "--yes", "--skip-preview"]);
        assert.equal(destroy.status, 0, destroy.output);
        assert.equal(
            get("persistentvolumeclaim", "data", ns)?.metadata.uid,
            claim.metadata.uid,
            "destroy retained the claim",
        );
        const up = a.up();
        assert.equal(up.status, 0, up.output);
        assert.equal(
            get("persistentvolumeclaim", "data", ns).metadata.uid,
            claim.metadata.uid,
            "up re-adopted the same claim",
        );
        a.set({ dataSize: "2Gi" });
        const grow = a.up();
        assert.equal(grow.status, 0, grow.output);
        assert.doesNotMatch(grow.output, /conflict/i, grow.output);
        const grown = get("persistentvolumeclaim", "data", ns);
        assert.equal(grown.metadata.uid, claim.metadata.uid);
        assert.equal(grown.spec.resources.requests.storage, "2Gi");
        const managers = JSON.parse(
            kc(["-n", ns, "get", "pvc", "data", "-o", "json", "--show-managed-fields"]),
        ).metadata.managedFields.map((f: any) => f.manager);
        assert.ok(
            !managers.some((m: string) => m.startsWith("pulumi-kubernetes-")),
            `no field manager of a destroyed incarnation is left: ${managers}`,
        );
        const p = a.preview(["--expect-no-changes"]);
        assert.equal(p.status, 0, p.output);
        console.log(
            `# re-adopt: destroy ${destroy.seconds}s, up ${up.seconds}s, grow ${grow.seconds}s, test ${(Date.now() - t0) / 1000}s`,
        );
    });
});
