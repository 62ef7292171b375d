/**
 * The generated Python SDK (sdk/python) and the schema it is generated from:
 * - schema.json binds with Pulumi's own binder and sdk/python is what the generator makes of it
 *   (tools/pulumi/codegen via scripts/gen-sdk.sh). Runs here when the tool is already built for the
 *   current source (`scripts/gen-sdk.sh --tool`); CI always runs `scripts/gen-sdk.sh --check`.
 * - Under Pulumi's Python mocks, the SDK instantiates every resource with the wire forms (what
 *   reaches the engine is asserted): this catches import-order bugs that `import` alone does not.
 *   Uses the venv of scripts/python.sh (created on first use) and sdk/python on PYTHONPATH; skipped
 *   only when python3 is missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const schemaVersion = (JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8")) as { version: string })
    .version;

function cachedCodegen(): string | undefined {
    const r = spawnSync(path.join(ROOT, "scripts/gen-sdk.sh"), ["--cached-tool"], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

test("sdk/python: schema.json binds (Pulumi's schema.BindSpec) and sdk/python is what codegen makes of it", (t) => {
    const tool = cachedCodegen();
    if (!tool) {
        t.skip(
            "tools/pulumi/codegen is not built for this source (scripts/gen-sdk.sh --tool builds it); CI runs scripts/gen-sdk.sh --check",
        );
        return;
    }
    const bind = spawnSync(tool, ["-schema", "schema.json", "-bind"], { cwd: ROOT, encoding: "utf8" });
    assert.equal(bind.status, 0, `schema.json does not bind:\n${bind.stderr}`);
    assert.equal(bind.stderr, "", "no binder diagnostics (warnings included)");
    const check = spawnSync(tool, ["-schema", "schema.json", "-out", "sdk/python", "-check"], {
        cwd: ROOT,
        encoding: "utf8",
    });
    assert.equal(check.status, 0, `${check.stderr}`);
});

test("sdk/python: the _inputs.py import cycle is patched (resource imports after the input classes)", () => {
    const src = fs.readFileSync(path.join(ROOT, "sdk/python/pulumi_mlkube/_inputs.py"), "utf8");
    const firstClass = src.indexOf("\nclass ");
    assert.ok(firstClass > 0);
    for (const imp of ["from .secret import Secret", "from .volume import Volume"]) {
        const at = src.indexOf(`\n${imp}\n`);
        assert.ok(at > firstClass, `${imp} comes after the input classes`);
    }
});

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

function pythonBin(): string | undefined {
    if (spawnSync("python3", ["--version"]).error) return undefined;
    // Creates the venv on first use (pip install of the pinned pulumi SDK); cached afterwards.
    return execFileSync(path.join(ROOT, "scripts/python.sh"), {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "inherit"],
        timeout: 600_000,
    }).trim();
}

test("sdk/python: every resource instantiates under Pulumi's Python mocks with the wire forms", (t) => {
    const bin = pythonBin();
    if (!bin) {
        t.skip("python3 is not on PATH: the Python SDK is not exercised here (CI has python3)");
        return;
    }
    // From the source tree on PYTHONPATH, as test/lang and docs/python.md use it (not pip-installed).
    const r = spawnSync(path.join(bin, "python"), [path.join(ROOT, "test/python/mocks.py")], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, PYTHONPATH: path.join(ROOT, "sdk/python"), PYTHONDONTWRITEBYTECODE: "1" },
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("MLKUBE-MOCKS "));
    assert.ok(line, `the Python program failed (exit ${r.status}):\n${r.stderr}`);
    const { version, records: regs } = JSON.parse(line.slice("MLKUBE-MOCKS ".length)) as {
        version: string;
        records: Registration[];
    };
    // Not installed, the SDK takes its version (the plugin version it asks the engine for) from pulumi-plugin.json.
    assert.equal(version, schemaVersion);
    const get = (name: string) => {
        const reg = regs.find((x) => x.name === name);
        assert.ok(reg, `${name} was registered`);
        return reg;
    };
    assert.deepEqual(regs.map((x) => `${x.type} ${x.name}`).sort(), [
        "mlkube:index:Compute api",
        "mlkube:index:Secret git",
        "mlkube:index:Secret hf",
        "mlkube:index:TrainJob train",
        "mlkube:index:Volume data",
    ]);
    assert.deepEqual(get("data").inputs, { size: "10Gi", accessMode: "ReadWriteMany", reclaim: "Delete" });
    // Secret values leave the program marked secret (schema `secret: true`).
    assert.deepEqual(get("hf").inputs, { env: { $secret: { HF_TOKEN: "tok" } } });
    assert.deepEqual(get("git").inputs, { gitSsh: { privateKey: "-----BEGIN KEY-----" }, mount: "files" });
    const api = get("api").inputs;
    assert.deepEqual(api.volumes, [
        { $resource: "data" },
        { claimName: "datasets", mountPath: "/data", readOnly: true },
        "scratch",
        { volume: { $resource: "data" }, mountPath: "/models", subPath: "models" },
    ]);
    assert.deepEqual(api.secrets, [{ $resource: "hf" }, { secretName: "tls", mount: "files" }, "plain-name"]);
    assert.deepEqual(api.env, {
        MODE: "serve",
        HF_TOKEN: { secret: { $resource: "hf" }, key: "HF_TOKEN" },
        OTHER: { secretName: "elsewhere", key: "K", optional: true },
        POD_IP: { fieldRef: "status.podIP" },
    });
    // TypedDicts with snake_case keys arrive camelCase in typed positions.
    assert.deepEqual(api.resources, { cpu: 2, memory: "4Gi", ephemeralStorage: "10Gi" });
    assert.deepEqual(api.tolerations, [{ key: "gpu", operator: "Exists" }]);
    assert.deepEqual(api.disruptionBudget, { maxUnavailable: 1 });
    // The SDK fills schema defaults in (docs/schema.md "Defaults"): sent although the program leaves them out.
    assert.equal(api.defaultMounts, true);
    assert.equal(api.skipAwait, false);
    const train = get("train").inputs;
    assert.equal(train.backend, "jobset");
    assert.equal(train.queue, false);
    assert.equal(train.suspend, false);
    assert.deepEqual(train.resourcesPerNode, { gpu: 1, cpu: "500m" });
    assert.deepEqual(train.volumes, [{ volume: { claimName: "ckpt" }, mountPath: "/ckpt" }]);
    assert.deepEqual(train.initializer, {
        dataset: { storageUri: "hf://org/data", secret: { $resource: "hf" } },
        volume: { $resource: "data" },
    });
    assert.deepEqual(train.runtimePatches, [
        { manager: "example.com/team", trainingRuntimeSpec: { template: { metadata: { labels: { team: "ml" } } } } },
    ]);
});
