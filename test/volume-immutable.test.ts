/**
 * Changing an immutable field of an existing claim (issue 23 item 6): mlkube keeps the claim as it is
 * (`ignoreChanges`, never a replacement, which for a retained claim dropped it from the stack) and fails
 * the preview and the update with a message saying how to keep or move the data. The live claim is what
 * the mocks return (as the engine does for an unchanged resource, or after a dry run).
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Volume } from "../src";
import { IMMUTABLE_CLAIM_FIELDS, immutableClaimIssues } from "../src/volume";
import { emit } from "./helpers";
import { keepFieldManager } from "../src/metadata";

test("Volume: the claim's immutable fields are under ignoreChanges, so a change never replaces (nor drops) the claim", async () => {
    const out = await emit(() => new Volume("data-ic", { size: "1Gi", storageClass: "fast" }));
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    assert.deepEqual(
        out.resource("PersistentVolumeClaim", "data-ic").options.ignoreChanges,
        keepFieldManager(IMMUTABLE_CLAIM_FIELDS),
    );
    assert.deepEqual(IMMUTABLE_CLAIM_FIELDS, ["spec.storageClassName", "spec.accessModes", "spec.volumeMode"]);
});

test("immutableClaimIssues: only declared, known, differing fields; each message names both values and both ways out", () => {
    assert.deepEqual(immutableClaimIssues("d", { storageClass: "fast" }, undefined), []);
    assert.deepEqual(
        immutableClaimIssues(
            "d",
            {},
            { storageClassName: "standard", accessModes: ["ReadWriteOnce"], volumeMode: "Filesystem" },
        ),
        [],
        "undeclared: the cluster's defaults",
    );
    assert.deepEqual(
        immutableClaimIssues(
            "d",
            { storageClass: "standard", accessMode: "ReadWriteOnce" },
            { storageClassName: "standard", accessModes: ["ReadWriteOnce"] },
        ),
        [],
    );
    const issues = immutableClaimIssues(
        "d",
        { storageClass: "fast", accessMode: "ReadWriteMany", volumeMode: "Block" },
        { storageClassName: "standard", accessModes: ["ReadWriteOnce"], volumeMode: "Filesystem" },
    );
    assert.deepEqual(
        issues.map((i) => i.path),
        [["storageClass"], ["accessMode"], ["volumeMode"]],
    );
    assert.match(
        issues[0].message,
        /^claim "d" exists with storageClass "standard", and Kubernetes cannot change a claim's storageClass; nothing was changed\. To keep the claim and its data, set storageClass back to "standard"\. To move the data to a "fast" claim: add a Volume with another name/,
    );
});

// The live claim has storage class "standard", access mode ReadWriteOnce, volume mode Filesystem.
describe("under a live claim", () => {
    before(() =>
        pulumi.runtime.setMocks(
            {
                newResource(a) {
                    const state =
                        a.type === "kubernetes:core/v1:PersistentVolumeClaim"
                            ? {
                                  ...a.inputs,
                                  spec: {
                                      ...a.inputs.spec,
                                      storageClassName: "standard",
                                      accessModes: ["ReadWriteOnce"],
                                      volumeMode: "Filesystem",
                                  },
                              }
                            : a.inputs;
                    return { id: `${a.name}-id`, state };
                },
                call: (a) => a.inputs,
            },
            "proj",
            "dev",
            true,
        ),
    );

    /**
     * The errors the program fails with (as the engine reports an Output's rejection) while `program` runs
     * and its Outputs settle; the test runner's own rejection listeners are set aside meanwhile.
     */
    async function programErrors(program: () => void): Promise<string[]> {
        const errors: string[] = [];
        const others = process.listeners("unhandledRejection");
        process.removeAllListeners("unhandledRejection");
        const onRejection = (e: unknown) => errors.push((e as Error).message);
        process.on("unhandledRejection", onRejection);
        try {
            program();
            // Settle: mocks answer on the next turns; bounded.
            for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
            await new Promise((r) => setTimeout(r, 200));
        } finally {
            process.off("unhandledRejection", onRejection);
            for (const l of others) process.on("unhandledRejection", l);
        }
        return [...new Set(errors)];
    }

    test("Volume: a storageClass the claim does not have fails with mlkube's message; the same class, or none, passes", async () => {
        const moved = await programErrors(() => new Volume("moved", { size: "1Gi", storageClass: "fast" }));
        assert.equal(moved.length, 1, moved.join("\n"));
        assert.match(
            moved[0],
            /^Volume "moved": storageClass: claim "moved" exists with storageClass "standard", and Kubernetes cannot change/,
        );
        assert.deepEqual(await programErrors(() => new Volume("kept", { size: "1Gi", storageClass: "standard" })), []);
        assert.deepEqual(
            await programErrors(() => new Volume("default", { size: "1Gi" })),
            [],
            "no class declared: the cluster's default, nothing to compare",
        );
    });
});
