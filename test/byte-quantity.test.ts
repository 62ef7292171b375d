/**
 * Byte quantities (issue 22 item 2): memory, disk and volume sizes never take milli/micro/nano
 * suffixes or amounts below one byte ("512m" is 0.512 bytes, not Docker's 512 MiB), in every byte
 * field, through the one `byteQuantity` schema (src/schema/quantity.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Compute, MlkubeValidationError, TrainJob, Volume } from "../src";
import { byteQuantity, parseQuantity } from "../src/schema/quantity";
import { assertFails, emit } from "./helpers";

/** The message of a synchronous validation error of `fn` (fails when there is none). */
function message(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof MlkubeValidationError, String(e));
        return e.message;
    }
    assert.fail("expected a validation error");
}

test('byte quantities: "512m" memory is refused with the fix "512Mi" (it is 0.512 bytes, not Docker\'s MiB)', async () => {
    await assertFails(
        () => new Compute("a", { image: "busybox", resources: { memory: "512m" } }),
        'Compute "a": resources.memory: "512m" is 0.512 bytes ("m" is milli, a thousandth); sizes take binary units: use "512Mi"',
    );
    await assertFails(
        () => new Compute("a", { image: "busybox", resources: { memory: "1Gi" }, sharedMemory: "256m" }),
        'Compute "a": sharedMemory: "256m" is 0.256 bytes ("m" is milli, a thousandth); sizes take binary units: use "256Mi"',
    );
});

test("byte quantities: every byte field refuses milli/micro/nano and amounts below one byte (Compute, TrainJob, Volume, profiles, mlkube:resources)", async () => {
    const bad = "2m";
    const cases: [string, () => unknown, Record<string, string>?][] = [
        ["resources.memory", () => new Compute("a", { image: "x", resources: { memory: bad } })],
        ["resources.ephemeralStorage", () => new Compute("a", { image: "x", resources: { ephemeralStorage: bad } })],
        ["resources.limits.memory", () => new Compute("a", { image: "x", resources: { limits: { memory: bad } } })],
        [
            "resources.limits.ephemeralStorage",
            () => new Compute("a", { image: "x", resources: { limits: { ephemeralStorage: bad } } }),
        ],
        [
            "emptyDirs[0].sizeLimit",
            () => new Compute("a", { image: "x", emptyDirs: [{ mountPath: "/s", sizeLimit: bad }] }),
        ],
        ["sharedMemory", () => new Compute("a", { image: "x", sharedMemory: bad })],
        ["tmpfs.size", () => new Compute("a", { image: "x", tmpfs: { size: bad } })],
        [
            "ephemeralVolumes[0].size",
            () => new Compute("a", { image: "x", ephemeralVolumes: [{ mountPath: "/e", size: bad }] }),
        ],
        ["resourcesPerNode.memory", () => new TrainJob("t", { image: "x", resourcesPerNode: { memory: bad } })],
        ["size", () => new Volume("v", { size: bad })],
    ];
    for (const [field, build] of cases)
        await assertFails(build, new RegExp(`: ${field.replace(/[.[\]]/g, "\\$&")}: "2m" is 0\\.002 bytes`));
    await assertFails(
        () => new Compute("a", { image: "x", profile: "p" }),
        /mlkube:profiles\.p\.resources\.memory: "2m" is 0\.002 bytes/,
        { "mlkube:profiles": JSON.stringify({ p: { resources: { memory: "2m" } } }) },
    );
    await assertFails(() => new Compute("a", { image: "x" }), /mlkube:resources\.memory: "2m" is 0\.002 bytes/, {
        "mlkube:resources": JSON.stringify({ memory: "2m" }),
    });
    // An Output is checked when it resolves, with the same message.
    const pulumi = await import("@pulumi/pulumi");
    await assertFails(() => new Volume("v", { size: pulumi.output("5m") }), /size: "5m" is 0\.005 bytes/);
    assert.match(
        message(() => new Compute("a", { image: "x", resources: { memory: "3u" } })),
        /"3u" is 0\.000003 bytes \("u" is micro/,
    );
    assert.match(
        message(() => new Compute("a", { image: "x", resources: { memory: "1e-3" } })),
        /"1e-3" is less than one byte/,
    );
    assert.match(
        message(() => new Compute("a", { image: "x", resources: { memory: "0.0001Ki" } })),
        /"0\.0001Ki" is less than one byte/,
    );
    // Fractions of a unit that are whole bytes (or more than one byte) stay valid.
    const ok = await emit(
        () =>
            new Compute("a", {
                image: "x",
                resources: { memory: "1.5Gi", limits: { memory: "2G" } },
                sharedMemory: "0.5Gi",
            }),
    );
    assert.deepEqual(ok.errors, []);
});

test("byte quantities (property): accepted exactly when the unit is not n/u/m and the amount is 0 or at least one byte", () => {
    const schema = byteQuantity("Mi");
    const suffix = fc.constantFrom(
        "",
        "n",
        "u",
        "m",
        "k",
        "Ki",
        "M",
        "Mi",
        "G",
        "Gi",
        "T",
        "Ti",
        "e3",
        "e-3",
        "E",
        "Ei",
        "P",
    );
    const num = fc.oneof(
        fc.nat({ max: 100000 }).map(String),
        fc.tuple(fc.nat({ max: 999 }), fc.nat({ max: 9999 })).map(([a, b]) => `${a}.${b}`),
    );
    fc.assert(
        fc.property(num, suffix, (n, s) => {
            const q = `${n}${s}`;
            const r = schema.safeParse(q);
            const bytes = parseQuantity(q);
            const unitless = s === "";
            const tiny = s === "n" || s === "u" || s === "m" || (bytes > 0 && bytes < 1);
            const overflow = !Number.isFinite(bytes);
            assert.equal(
                r.success,
                !unitless && !tiny && !overflow,
                `${q}: ${r.success ? "accepted" : r.error.issues[0].message}`,
            );
            if (!r.success) assert.doesNotMatch(r.error.issues[0].message, /Invalid/);
        }),
        { numRuns: 2000 },
    );
});
