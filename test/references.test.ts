/**
 * Lossless references (issue 17): Volume and Secret expose everything a reference needs as outputs
 * (volumeMode, accessMode, checksum, keys, …), and `Volume.existing` / `Secret.existing` take them back
 * together with the dependency, so a workload built on rebuilt references equals one built on the
 * components themselves (same pod template, checksum rollout, dependency on the referenced resource).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret, Volume } from "../src";
import { assertThrows, emit } from "./helpers";

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((res) => o.apply((v) => res(v)));

test("Volume outputs: claimName, namespace, mountPath, readOnly, volumeMode, accessMode (defaults and given)", async () => {
    let a!: Volume, b!: Volume;
    await emit(() => {
        a = new Volume("data", { size: "1Gi" });
        b = new Volume("dev", {
            size: "1Gi",
            volumeMode: "Block",
            accessMode: pulumi.output("ReadWriteMany" as const),
            namespace: "ml",
            mountPath: "/dev/xvdb",
        });
    });
    assert.deepEqual(
        await Promise.all([
            value(a.claimName),
            value(a.namespace),
            value(a.mountPath),
            value(a.readOnly),
            value(a.volumeMode),
            value(a.accessMode),
        ]),
        ["data", "default", "/mnt/data", false, "Filesystem", "ReadWriteOnce"],
    );
    assert.deepEqual(
        await Promise.all([value(b.namespace), value(b.mountPath), value(b.volumeMode), value(b.accessMode)]),
        ["ml", "/dev/xvdb", "Block", "ReadWriteMany"],
    );
});

test("Secret outputs: checksum (not secret, = the pods' rollout annotation), keys (names only), mount, mountPath, fileMode, imagePull", async () => {
    let s!: Secret, o!: Secret, c!: Compute;
    const out = await emit(() => {
        s = new Secret("hf", { env: { HF_TOKEN: pulumi.secret("tok"), B: "x" }, mount: "files", fileMode: 0o400 });
        o = new Secret("dyn", { env: pulumi.secret({ Z: "1", A: "2" }) });
        c = new Compute("api", { image: "busybox", secrets: [s, o] });
    });
    const checksum = await value(s.checksum);
    assert.match(checksum, /^[0-9a-f]{16}$/);
    assert.equal(await (s.checksum as unknown as { isSecret: Promise<boolean> }).isSecret, false);
    const annotations = out.get("Deployment", "api").spec.template.metadata.annotations;
    assert.equal(annotations["checksum.mlkube.dev/hf"], checksum);
    assert.equal(annotations["checksum.mlkube.dev/dyn"], await value(o.checksum));
    assert.deepEqual(await value(s.keys), ["B", "HF_TOKEN"]);
    assert.deepEqual(await value(o.keys), ["A", "Z"], "keys of an Output env are known once it resolves");
    assert.equal(
        await (o.keys as unknown as { isSecret: Promise<boolean> }).isSecret,
        false,
        "key names are not secret",
    );
    assert.deepEqual(await Promise.all([value(s.mount), value(s.mountPath), value(s.fileMode), value(s.imagePull)]), [
        "files",
        "/etc/mlkube/secrets/hf",
        0o400,
        false,
    ]);
    assert.ok(c);
});

test("references rebuilt from outputs (+ dependsOn) give the same pods as the components, depending on them", async () => {
    const build = (rebuild: boolean) =>
        emit(async () => {
            const vol = new Volume("cache", {
                size: "1Gi",
                accessMode: "ReadWriteMany",
                volumeMode: "Block",
                storageClass: "nfs",
            });
            const sec = new Secret("hf", { env: { HF_TOKEN: pulumi.secret("tok") } });
            let v: Volume | ReturnType<typeof Volume.existing> = vol;
            let s: Secret | ReturnType<typeof Secret.existing> = sec;
            if (rebuild) {
                const [claimName, mountPath, readOnly, volumeMode, accessMode] = await Promise.all([
                    value(vol.claimName),
                    value(vol.mountPath),
                    value(vol.readOnly),
                    value(vol.volumeMode),
                    value(vol.accessMode),
                ]);
                v = Volume.existing(claimName, { mountPath, readOnly, volumeMode, accessMode, dependsOn: vol });
                const [secretName, mount, keys] = await Promise.all([
                    value(sec.secretName),
                    value(sec.mount),
                    value(sec.keys),
                ]);
                s = Secret.existing(secretName, {
                    mount: mount as "env",
                    keys,
                    checksum: sec.checksum,
                    dependsOn: sec,
                });
            }
            new Compute("api", {
                image: "busybox",
                replicas: 2,
                volumes: [v],
                secrets: [s],
                env: { TOKEN: s.ref("HF_TOKEN") },
            });
        });
    const live = await build(false);
    const rebuilt = await build(true);
    assert.deepEqual(
        [...live.errors, ...rebuilt.errors].map((e) => e.message),
        [],
    );
    assert.deepEqual(rebuilt.get("Deployment", "api").spec, live.get("Deployment", "api").spec);
    // A dependency on a component is one on its children: the claim and the Kubernetes Secret.
    const deps = rebuilt.resource("Deployment", "api").options.dependsOn ?? [];
    assert.deepEqual([...deps].sort(), [...(live.resource("Deployment", "api").options.dependsOn ?? [])].sort());
    // ... on the stack's checksum key (the annotation is computed from it), and on the Compute's own
    // PodDisruptionBudget, created first (the ownership guard, test/ownership.test.ts).
    assert.deepEqual(deps.map((u) => u.split("::").pop()).sort(), ["api", "cache", "hf", "mlkube-checksum-key"]);
});

test("rebuilt references keep the checks: access mode vs replicas, namespace, unknown keys", async () => {
    const rwo = Volume.existing("data", { accessMode: "ReadWriteOnce" });
    const out = await emit(
        () =>
            new Compute("api", {
                image: "busybox",
                namespace: "ml",
                replicas: 2,
                volumes: [rwo],
                secrets: [Secret.existing("s", { namespace: "other" })],
            }),
    );
    assert.match(out.errors.map((e) => e.message).join("\n"), /claim "data" is ReadWriteOnce/);
    assert.match(
        out.errors.map((e) => e.message).join("\n"),
        /Secret "s" is in namespace "other" but this Compute runs in/,
    );
    assertThrows(
        () => Secret.existing("s", { keys: ["A"] }).ref("B"),
        'Secret "s": ref: this Secret has no key "B" (it has "A"); a pod referencing it would fail with CreateContainerConfigError',
    );
    assert.equal(Secret.existing("s", { keys: ["A"] }).ref("B", true).key, "B");
    assertThrows(
        () => Volume.existing("d", { dependsOn: "x" as never }),
        'Volume.existing "d": dependsOn: expected a Pulumi resource (e.g. the Volume or Secret the reference stands for)',
    );
    assertThrows(
        () => Secret.existing("s", { imagePull: true, mount: "env", checksum: "abc" }),
        'Secret.existing "s": mount: imagePull and mount are mutually exclusive',
    );
    assertThrows(
        () => Volume.existing("d", { volumeMode: "block" as never }),
        'Volume.existing "d": volumeMode: "block" is not one of "Filesystem", "Block"; did you mean "Block"?',
    );
});
