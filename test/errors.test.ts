import { test } from "node:test";
import assert from "node:assert/strict";
import { Compute, Secret, Volume } from "../src";
import { suggestQuantity } from "../src/schema/quantity";
import { assertFails, assertThrows } from "./helpers";

// Each case: the constructor call and the exact message the user sees.
const cases: [string, () => unknown, string][] = [
    [
        "quantity typo",
        () => new Volume("v", { size: "16GB" }),
        'Volume "v": size: "16GB" is not a Kubernetes quantity; use "16Gi"',
    ],
    [
        "quantity without a guess",
        () => new Volume("v", { size: "lots" }),
        'Volume "v": size: "lots" is not a Kubernetes quantity; use a number with an optional suffix such as "512Mi", "16Gi" or "500m"',
    ],
    ["missing required field", () => new Volume("v", {} as never), 'Volume "v": size: is required'],
    [
        "unknown field with suggestion",
        () => new Volume("v", { size: "1Gi", storgeClass: "x" } as never),
        'Volume "v": storgeClass: unknown field; did you mean "storageClass"?',
    ],
    [
        "enum typo",
        () => new Volume("v", { size: "1Gi", accessMode: "ReadWriteOne" as never }),
        'Volume "v": accessMode: "ReadWriteOne" is not one of "ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"; did you mean "ReadWriteOnce"?',
    ],
    [
        "invalid component name",
        () => new Volume("My Data", { size: "1Gi" }),
        'Volume "My Data": name: "My Data" is not a valid Kubernetes name (lowercase letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters); use "my-data"',
    ],
    [
        "label key",
        () => new Volume("v", { size: "1Gi", labels: { "bad key!": "x" } }),
        "Volume \"v\": labels[\"bad key!\"]: label/annotation key \"bad key!\" is invalid: name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric",
    ],
    [
        "label value",
        () => new Volume("v", { size: "1Gi", labels: { team: "ml team" } }),
        "Volume \"v\": labels.team: label value \"ml team\" is invalid (at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric); use \"ml-team\"",
    ],
    [
        "relative mount path",
        () => new Volume("v", { size: "1Gi", mountPath: "data" }),
        'Volume "v": mountPath: "data" is not an absolute path; use "/data"',
    ],
    [
        "wrong type",
        () => new Volume("v", { size: 16 as never }),
        'Volume "v": size: 16 is a number; give a quantity string with a unit, e.g. "16Gi" (a plain number means bytes)',
    ],
    [
        "secret sources conflict",
        () => new Secret("s", { env: { A: "1" }, fromEnv: ["HOME"] }),
        'Secret "s": fromEnv: env and fromEnv are mutually exclusive; a Secret has exactly one source (make one Secret per source)',
    ],
    [
        "secret without source",
        () => new Secret("s", {}),
        'Secret "s": give exactly one source: env, fromEnv, fromFile, fromDirectory, provider, gitSsh',
    ],
    [
        "secret key",
        () => new Secret("s", { env: { "my key": "x" } }),
        'Secret "s": env["my key"]: "my key" is not a valid Secret key (letters, digits, \'-\', \'_\' and \'.\', at most 253 characters); use "my_key"',
    ],
    [
        "env var name",
        () => new Compute("c", { image: "x", env: { "1BAD-NAME": "x" } }),
        'Compute "c": env["1BAD-NAME"]: "1BAD-NAME" is not a valid environment variable name (letters, digits and \'_\', not starting with a digit); use "_1BAD_NAME"',
    ],
    [
        "memory quantity",
        () => new Compute("api", { image: "x", resources: { memory: "16GB" } }),
        'Compute "api": resources.memory: "16GB" is not a Kubernetes quantity; use "16Gi"',
    ],
    [
        "cpu words",
        () => new Compute("api", { image: "x", resources: { cpu: "2 cores" } }),
        'Compute "api": resources.cpu: "2 cores" is not a Kubernetes quantity; use "2"',
    ],
    [
        "conflicting replicas/autoscaling",
        () => new Compute("c", { image: "x", replicas: 2, autoscaling: { maxReplicas: 4 }, resources: { cpu: 1 } }),
        'Compute "c": replicas: replicas and autoscaling are mutually exclusive (the autoscaler owns the replica count); remove replicas',
    ],
];

for (const [what, fn, message] of cases) {
    test(`bad input is reported with component, path and fix: ${what}`, () => assertThrows(fn, message));
}

test("several problems are reported together", () => {
    assertThrows(
        () => new Compute("api", { image: "x", resources: { memory: "16GB", cpu: "lots" }, ports: [{ port: 0 }] }),
        'Compute "api": 3 problems\n  - resources.cpu: "lots" is not a Kubernetes quantity; use a number with an optional suffix such as "512Mi", "16Gi" or "500m"\n  - resources.memory: "16GB" is not a Kubernetes quantity; use "16Gi"\n  - ports[0].port: must be at least 1',
    );
});

test("values that arrive as Outputs fail the update with the same message", async () => {
    const { output } = await import("@pulumi/pulumi");
    await assertFails(
        () => new Compute("api", { image: "x", env: { A: output("ok") }, namespace: output("Bad_NS") }),
        'Compute "api": namespace: "Bad_NS" is not a valid Kubernetes name (lowercase letters, digits and \'-\', starting and ending with a letter or digit, at most 63 characters); use "bad-ns"',
    );
});

test("stack config is validated with the key in the path", async () => {
    await assertFails(
        () => new Volume("v", { size: "1Gi" }),
        /^Stack config "dev": mlkube:namespace: "Team A" is not a valid Kubernetes name .*; use "team-a"$/,
        { "mlkube:namespace": "Team A" },
    );
});

test("quantity suggestions", () => {
    assert.equal(suggestQuantity("16GB"), "16Gi");
    assert.equal(suggestQuantity("512mb"), "512Mi");
    assert.equal(suggestQuantity("1.5TB"), "1.5Ti");
    assert.equal(suggestQuantity("8GiB"), "8Gi");
    assert.equal(suggestQuantity("500 m"), "500m");
    assert.equal(suggestQuantity("4 vCPUs"), "4");
    assert.equal(suggestQuantity("lots"), undefined);
});

test("error messages never contain secret values", async () => {
    const { secret } = await import("@pulumi/pulumi");
    await assertFails(
        () => new Secret("s", { env: secret({ "bad key": "hunter2-very-secret" }) }),
        'Secret "s": env["bad key"]: "bad key" is not a valid Secret key (letters, digits, \'-\', \'_\' and \'.\', at most 253 characters); use "bad_key"',
    );
    assert.throws(
        () => new Secret("s2", { env: { OK: 42 as never } }),
        (e: Error) => !e.message.includes("42") && e.message.includes("env.OK: expected a string, got a number"),
    );
});
