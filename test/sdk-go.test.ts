/**
 * The generated Go SDK (sdk/go/mlkube, docs/go.md) and what ties it to the rest:
 * - sdk/go is what Pulumi's Go generator makes of schema.json (tools/pulumi/codegen via
 *   scripts/gen-sdk.sh), when the tool is already built for the current source; CI always runs
 *   `scripts/gen-sdk.sh --check`. A schema without a Go module path is refused with the fix.
 * - The module a user `go get`s: its go.mod names the schema's `language.go.importBasePath` and requires
 *   the Pulumi Go SDK at the CLI's version; its pulumi-plugin.json (what the Go host reads) names the
 *   plugin, the version and the download URL; test/lang's Go programs use it through a `replace`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { GO_MODULE } from "../scripts/gen-schema";

const ROOT = path.resolve(__dirname, "..");
const SDK = path.join(ROOT, "sdk", "go", "mlkube");
const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "schema.json"), "utf8")) as {
    version: string;
    pluginDownloadURL: string;
    language: { go?: { importBasePath?: string } };
};
const cliVersion = spawnSync(path.join(ROOT, "scripts", "pulumi-bins.sh"), ["versions"], {
    encoding: "utf8",
}).stdout.match(/^pulumi-cli=(.+)$/m)?.[1];

function cachedCodegen(): string | undefined {
    const r = spawnSync(path.join(ROOT, "scripts/gen-sdk.sh"), ["--cached-tool"], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/** `require` lines of a go.mod (single or block form) as module -> version. */
function requires(gomod: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const m of gomod.matchAll(/^(?:require\s+|\t)([^\s()]+)\s+(v[^\s]+)(?:\s*\/\/.*)?$/gm)) out[m[1]] = m[2];
    return out;
}

test("sdk/go: what Pulumi's Go generator makes of schema.json", (t) => {
    const tool = cachedCodegen();
    if (!tool) {
        t.skip(
            "tools/pulumi/codegen is not built for this source (scripts/gen-sdk.sh --tool builds it); CI runs scripts/gen-sdk.sh --check",
        );
        return;
    }
    const check = spawnSync(tool, ["-schema", "schema.json", "-lang", "go", "-out", "sdk/go", "-check"], {
        cwd: ROOT,
        encoding: "utf8",
    });
    assert.equal(check.status, 0, `${check.stderr}`);
});

test("sdk/go: a schema without language.go.importBasePath is refused with the fix, nothing written", (t) => {
    const tool = cachedCodegen();
    if (!tool) {
        t.skip("tools/pulumi/codegen is not built for this source (scripts/gen-sdk.sh --tool builds it)");
        return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-sdk-go-"));
    try {
        const bare = { ...schema, language: { ...schema.language } };
        delete bare.language.go;
        fs.writeFileSync(path.join(dir, "schema.json"), JSON.stringify(bare));
        const r = spawnSync(
            tool,
            ["-schema", path.join(dir, "schema.json"), "-lang", "go", "-out", path.join(dir, "out")],
            { encoding: "utf8" },
        );
        assert.equal(r.status, 1, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /schema\.json has no language\.go\.importBasePath: the Go SDK's module path \(scripts\/gen-schema\.ts GO_MODULE\)/,
        );
        assert.ok(!fs.existsSync(path.join(dir, "out")), "nothing written");
        const lang = spawnSync(tool, ["-schema", "schema.json", "-lang", "golang", "-out", path.join(dir, "out")], {
            cwd: ROOT,
            encoding: "utf8",
        });
        assert.equal(lang.status, 1);
        assert.match(lang.stderr, /-lang "golang": python or go/);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
});

test("sdk/go: the module path is the schema's importBasePath; it requires the Pulumi Go SDK at the CLI's version", () => {
    assert.equal(schema.language.go?.importBasePath, GO_MODULE);
    const gomod = fs.readFileSync(path.join(SDK, "go.mod"), "utf8");
    assert.equal(gomod.match(/^module (\S+)$/m)?.[1], GO_MODULE);
    assert.ok(cliVersion, "scripts/pulumi-bins.sh versions names the CLI");
    assert.equal(requires(gomod)["github.com/pulumi/pulumi/sdk/v3"], `v${cliVersion}`);
    // The package is at the module's root, named as its last path element.
    assert.match(fs.readFileSync(path.join(SDK, "compute.go"), "utf8"), /^package mlkube$/m);
    assert.equal(path.basename(GO_MODULE), "mlkube");
});

test("sdk/go: pulumi-plugin.json names the plugin, the schema's version and its download URL", () => {
    const plugin = JSON.parse(fs.readFileSync(path.join(SDK, "pulumi-plugin.json"), "utf8"));
    assert.deepEqual(plugin, {
        resource: true,
        name: "mlkube",
        version: schema.version,
        server: schema.pluginDownloadURL,
    });
    // The resources ask the engine for that plugin, version and URL.
    const util = fs.readFileSync(path.join(SDK, "internal", "pulumiUtilities.go"), "utf8");
    assert.equal(util.split(`pulumi.PluginDownloadURL(${JSON.stringify(schema.pluginDownloadURL)})`).length, 3);
    assert.equal(util.split(`semver.MustParse(${JSON.stringify(schema.version)})`).length, 3);
});

test("test/lang's Go programs: one module using sdk/go/mlkube through a replace, at the SDK's Pulumi version", () => {
    const gomod = fs.readFileSync(path.join(ROOT, "test", "lang", "programs", "go.mod"), "utf8");
    const replace = gomod.match(/^replace (\S+) => (\S+)$/m);
    assert.ok(replace, "a replace");
    assert.equal(replace[1], GO_MODULE);
    assert.equal(path.resolve(ROOT, "test", "lang", "programs", replace[2]), SDK);
    assert.equal(requires(gomod)["github.com/pulumi/pulumi/sdk/v3"], `v${cliVersion}`);
    assert.ok(
        fs.existsSync(path.join(ROOT, "test", "lang", "programs", "go.sum")),
        "go.sum committed (go build runs with -mod=readonly)",
    );
    for (const shape of ["quickstart", "inference", "trainjob", "invalid"]) {
        const dir = path.join(ROOT, "test", "lang", "programs", shape, "go");
        assert.match(
            fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"),
            /^runtime: go$/m,
            `${shape}/go/Pulumi.yaml`,
        );
        assert.match(
            fs.readFileSync(path.join(dir, "main.go"), "utf8"),
            new RegExp(`"${GO_MODULE.replace(/\./g, "\\.")}"`),
            `${shape}/go/main.go imports the SDK`,
        );
    }
});
