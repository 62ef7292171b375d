/**
 * Issue 27: what mlkube asks of the Pulumi SDK per component, against the same objects written by hand
 * (bench/programs/raw.ts) under an empty component (the bench's floor). Counted, not timed: every
 * Output the SDK makes allocates ~10 promises and their closures, which is where a program's memory goes
 * (docs/performance.md, "Issue 27"). Each check would fail if mlkube went back to building its Outputs
 * the costly way (a chain of Outputs per secret value).
 */
import assert from "node:assert/strict";
import { createHook } from "node:async_hooks";
import { test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { collect } from "../src/render/collect";
import { checksumKey, checksumOf } from "../src/secret/checksum";
import * as mlkube from "../src/index";
import { build as buildMlkube } from "../bench/programs/mlkube";
import { build as buildFloor } from "../bench/programs/floor";

const N = 20;

/** Promises created while `f` runs (synchronously: components build their Outputs in the constructor). */
function promisesDuring(f: () => void): number {
    let n = 0;
    const hook = createHook({
        init(_id, type) {
            if (type === "PROMISE") n++;
        },
    }).enable();
    try {
        f();
    } finally {
        hook.disable();
    }
    return n;
}

class Empty extends pulumi.ComponentResource {
    constructor(type: string, name: string) {
        super(type, name, {}, {});
        this.registerOutputs({});
    }
}

const labels = (name: string) => ({
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/component": "secret",
    "app.kubernetes.io/managed-by": "mlkube",
});
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** The floor of a Secret whose value is a secret Output: what a user writes by hand for the same object. */
function floorSecret(i: number): pulumi.Output<string> {
    const name = `floor-${i}`;
    const parent = new Empty("mlkube:index:Secret", name);
    const data = pulumi.secret(`value-${i}`).apply((v): Record<string, string> => ({ API_KEY: b64(v) }));
    new k8s.core.v1.Secret(
        name,
        { apiVersion: "v1", kind: "Secret", metadata: { name, labels: labels(name) }, type: "Opaque", data },
        { parent, additionalSecretOutputs: ["data", "stringData"] },
    );
    // The pod annotation a workload gets: the unsecret digest of the data (mlkube's own helper).
    return pulumi.output(checksumOf(data, checksumKey()));
}

test("a Secret whose value is a secret Output costs the SDK at most 1.25x the promises of the same object written by hand (1.74x before issue 27)", async () => {
    let mine = 0;
    let floor = 0;
    const r = await collect(() => {
        // Warm-up (module-level caches, the checksum key) outside the counts.
        new mlkube.Secret("warm", { env: { API_KEY: pulumi.secret("w") } });
        floorSecret(-1);
        for (let round = 0; round < 2; round++) {
            mine += promisesDuring(() => {
                for (let i = 0; i < N; i++)
                    new mlkube.Secret(`s-${round}-${i}`, { env: { API_KEY: pulumi.secret(`value-${i}`) } });
            });
            floor += promisesDuring(() => {
                for (let i = 0; i < N; i++) floorSecret(round * N + i);
            });
        }
    });
    assert.deepEqual(r.errors, []);
    assert.ok(mine > 0 && floor > 0, "the counter saw no promises");
    const perMine = mine / (2 * N);
    const perFloor = floor / (2 * N);
    assert.ok(
        perMine <= perFloor * 1.25,
        `mlkube's Secret makes ${perMine} promises per Secret, the hand-written one ${perFloor} (ratio ${(perMine / perFloor).toFixed(2)})`,
    );
});

test("the bench workload (secret Output values, Volumes mounted by path, TrainJobs) costs the SDK at most 1.1x the floor's promises (1.25x before issue 27)", async () => {
    // Separate runs: the floor registers mlkube's URNs. The first run warms module caches and the checksum key.
    const count = async (build: () => void) => {
        let n = 0;
        const r = await collect(() => {
            n = promisesDuring(build);
        });
        assert.deepEqual(r.errors, []);
        return n;
    };
    await count(() => buildMlkube(10, { trainJobs: true, workload: "basic" }));
    const mine = await count(() => buildMlkube(N, { trainJobs: true, workload: "basic" }));
    const floor = await count(() => buildFloor(N, { trainJobs: true, workload: "basic" }));
    assert.ok(mine > 0 && floor > 0, "the counter saw no promises");
    assert.ok(
        mine <= floor * 1.1,
        `mlkube's workload makes ${mine / N} promises per workload, the floor ${floor / N} (ratio ${(mine / floor).toFixed(3)})`,
    );
});
