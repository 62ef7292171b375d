import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Volume, VolumeReference } from "../src";
import { claimMountOf } from "../src/volume";
import { assertFails, emit, OWNER } from "./helpers";

test("Volume: defaults give a ReadWriteOnce claim named after the component, retained on destroy", async () => {
    const out = await emit(() => new Volume("data", { size: "10Gi" }));
    const pvc = out.get("PersistentVolumeClaim", "data");
    assert.deepEqual(pvc, {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: {
            name: "data",
            labels: {
                "app.kubernetes.io/name": "data",
                "app.kubernetes.io/component": "volume",
                "app.kubernetes.io/managed-by": "mlkube",
            },
            annotations: OWNER,
        },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "10Gi" } } },
    });
    assert.equal(out.resource("PersistentVolumeClaim", "data").options.retainOnDelete, true);
    const comp = out.resources.find((r) => r.type === "mlkube:index:Volume")!;
    assert.equal(out.resource("PersistentVolumeClaim", "data").parent, comp.urn, "claim is parented to the component");
});

test("Volume: every option reaches the claim", async () => {
    const out = await emit(
        () =>
            new Volume("ckpt", {
                size: "1Ti",
                accessMode: "ReadWriteMany",
                storageClass: "nfs-fast",
                volumeMode: "Filesystem",
                name: "checkpoints",
                namespace: "ml",
                labels: { team: "research" },
                annotations: { "example.com/owner": "alice" },
                mountPath: "/ckpt",
            }),
    );
    const pvc = out.get("PersistentVolumeClaim", "ckpt");
    assert.equal(pvc.metadata.name, "checkpoints");
    assert.equal(pvc.metadata.namespace, "ml");
    assert.equal(pvc.metadata.labels.team, "research");
    assert.deepEqual(pvc.metadata.annotations, { "example.com/owner": "alice", ...OWNER });
    assert.deepEqual(pvc.spec, {
        accessModes: ["ReadWriteMany"],
        storageClassName: "nfs-fast",
        volumeMode: "Filesystem",
        resources: { requests: { storage: "1Ti" } },
    });
});

test("Volume: reclaim Delete lets destroy delete the claim", async () => {
    const out = await emit(() => new Volume("tmp", { size: "1Gi", reclaim: "Delete" }));
    assert.equal(out.resource("PersistentVolumeClaim", "tmp").options.retainOnDelete, undefined);
});

test("Volume: stack config supplies namespace, storage class and labels; args win", async () => {
    const cfg = {
        "mlkube:namespace": "team-a",
        "mlkube:storageClass": "standard",
        "mlkube:labels": '{"cost-center":"42"}',
    };
    const out = await emit(() => {
        new Volume("a", { size: "1Gi" });
        new Volume("b", { size: "1Gi", namespace: "other", storageClass: "fast" });
    }, cfg);
    const a = out.get("PersistentVolumeClaim", "a");
    assert.equal(a.metadata.namespace, "team-a");
    assert.equal(a.spec.storageClassName, "standard");
    assert.equal(a.metadata.labels["cost-center"], "42");
    const b = out.get("PersistentVolumeClaim", "b");
    assert.equal(b.metadata.namespace, "other");
    assert.equal(b.spec.storageClassName, "fast");
});

test("Volume: Inputs from other resources flow through and are validated when they resolve", async () => {
    const out = await emit(() => new Volume("x", { size: pulumi.output("5Gi"), namespace: Promise.resolve("ml") }));
    assert.equal(out.get("PersistentVolumeClaim", "x").spec.resources.requests.storage, "5Gi");
    assert.equal(out.get("PersistentVolumeClaim", "x").metadata.namespace, "ml");
    await assertFails(
        () => new Volume("y", { size: pulumi.output("16GB") }),
        'Volume "y": size: "16GB" is not a Kubernetes quantity; use "16Gi"',
    );
});

test("Volume: outputs and mount info", async () => {
    let v!: Volume;
    await emit(() => (v = new Volume("models", { size: "1Gi", namespace: "ml" })));
    const [claim, ns, mp] = await new Promise<string[]>((res) =>
        pulumi.all([v.claimName, v.namespace, v.mountPath]).apply((x) => res(x as string[])),
    );
    assert.deepEqual([claim, ns, mp], ["models", "ml", "/mnt/models"]);
    assert.equal(v.mount().claimName, "models");
    assert.equal(v.mount().resource, v.claim, "workloads depend on the claim itself");
});

test("Volume.existing and claim names create nothing and mount like a Volume", async () => {
    const out = await emit(() => Volume.existing("datasets", { mountPath: "/data", readOnly: true }));
    assert.equal(out.resources.length, 0);
    const ref = Volume.existing("datasets", { mountPath: "/data", readOnly: true });
    assert.ok(ref instanceof VolumeReference);
    assert.deepEqual(claimMountOf(ref), {
        claimName: "datasets",
        namespace: undefined,
        mountPath: "/data",
        volumeMode: "Filesystem",
        readOnly: true,
    });
    assert.deepEqual(claimMountOf("scratch"), {
        claimName: "scratch",
        namespace: undefined,
        mountPath: "/mnt/scratch",
        volumeMode: "Filesystem",
        readOnly: undefined,
    });
    assert.throws(
        () => Volume.existing("Data_Sets"),
        /Volume.existing "Data_Sets": claimName: "Data_Sets" is not a valid Kubernetes name .*; use "data-sets"/,
    );
});
