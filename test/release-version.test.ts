/**
 * One version everywhere (scripts/check-version.ts): the repository agrees today, and a different
 * version in any one place — or a release artifact named for another version — is reported by name.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, test } from "node:test";
import { goSdkVersion, pyprojectVersion, releaseFileMismatches, versionMismatches } from "../scripts/check-version";

const ROOT = path.resolve(__dirname, "..");
const FILES = [
    "package.json",
    "package-lock.json",
    "schema.json",
    "sdk/python/pyproject.toml",
    "sdk/python/pulumi_mlkube/pulumi-plugin.json",
    "sdk/go/mlkube/pulumi-plugin.json",
    "sdk/go/mlkube/internal/pulumiUtilities.go",
];

/** A copy of the files the check reads, in a temp dir. */
function copyRoot(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-version-"));
    for (const f of FILES) {
        fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
    }
    return dir;
}

describe("one version everywhere", () => {
    test("the repository: package.json, the lockfile, schema.json and the Python and Go SDKs agree", () => {
        const { version, mismatches } = versionMismatches(ROOT);
        assert.match(version, /^\d+\.\d+\.\d+/);
        assert.deepEqual(mismatches, []);
    });

    const edits: [string, string, (text: string) => string][] = [
        [
            "schema.json",
            "schema.json version",
            (t) => t.replace(/"version": "[^"]+"\n}\s*$/, '"version": "9.9.9"\n}\n'),
        ],
        [
            "sdk/python/pyproject.toml",
            "sdk/python/pyproject.toml [project] version",
            (t) => t.replace(/version = "[^"]+"/, 'version = "9.9.9"'),
        ],
        [
            "sdk/python/pulumi_mlkube/pulumi-plugin.json",
            "sdk/python/pulumi_mlkube/pulumi-plugin.json version",
            (t) => t.replace(/"version": "[^"]+"/, '"version": "9.9.9"'),
        ],
        [
            "package-lock.json",
            "package-lock.json version",
            (t) => t.replace(/"version": "[^"]+"/, '"version": "9.9.9"'),
        ],
        [
            "sdk/go/mlkube/pulumi-plugin.json",
            "sdk/go/mlkube/pulumi-plugin.json version",
            (t) => t.replace(/"version": "[^"]+"/, '"version": "9.9.9"'),
        ],
        [
            "sdk/go/mlkube/internal/pulumiUtilities.go",
            "sdk/go/mlkube/internal/pulumiUtilities.go semver.MustParse",
            (t) => t.replaceAll(/semver\.MustParse\("[^"]+"\)/g, 'semver.MustParse("9.9.9")'),
        ],
    ];
    for (const [file, where, edit] of edits) {
        test(`another version in ${file} is reported`, () => {
            const dir = copyRoot();
            try {
                const text = fs.readFileSync(path.join(dir, file), "utf8");
                const changed = edit(text);
                assert.notEqual(changed, text, "the edit applies");
                fs.writeFileSync(path.join(dir, file), changed);
                assert.deepEqual(versionMismatches(dir).mismatches, [{ where, found: "9.9.9" }]);
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    }

    test("a missing or broken file is reported, not thrown", () => {
        const dir = copyRoot();
        try {
            fs.rmSync(path.join(dir, "schema.json"));
            fs.writeFileSync(path.join(dir, "sdk/python/pulumi_mlkube/pulumi-plugin.json"), "{ not json");
            const wheres = versionMismatches(dir).mismatches.map((m) => `${m.where}: ${m.found.slice(0, 9)}`);
            assert.deepEqual(wheres, [
                "schema.json version: (missing ",
                "sdk/python/pulumi_mlkube/pulumi-plugin.json version: (not JSON",
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    test("the Go SDK: each semver.MustParse names the same version", () => {
        assert.equal(goSdkVersion('a := semver.MustParse("1.2.3")\nb := semver.MustParse("1.2.3")\n'), "1.2.3");
        assert.equal(
            goSdkVersion('a := semver.MustParse("1.2.3")\nb := semver.MustParse("1.2.4")\n'),
            "(several: 1.2.3, 1.2.4)",
        );
        assert.equal(goSdkVersion("version := semver.Version{}\n"), "(no semver.MustParse version)");
    });

    test("pyproject.toml: the [project] table's version, not another table's", () => {
        assert.equal(
            pyprojectVersion('[project]\n  name = "x"\n  version = "1.2.3"\n[tool.x]\n  version = "0"\n'),
            "1.2.3",
        );
        assert.equal(pyprojectVersion('[tool.x]\nversion = "0"\n[project]\nname = "x"\n'), "(no [project] version)");
        assert.equal(
            pyprojectVersion('[project]\n  name = "x"\n  [project.license]\n    text = "A"\n'),
            "(no [project] version)",
        );
    });

    test("release files: each artifact named for the version; other files ignored", () => {
        const ok = [
            "mlkube-1.2.3.tgz",
            "pulumi_mlkube-1.2.3-py3-none-any.whl",
            "pulumi_mlkube-1.2.3.tar.gz",
            "pulumi-resource-mlkube-v1.2.3-linux-amd64.tar.gz",
            "pulumi-resource-mlkube-v1.2.3-linux-arm64.tar.gz",
            "mlkube-sdk-go-v1.2.3.tar.gz",
            "SHA256SUMS",
            "schema.json",
        ];
        assert.deepEqual(releaseFileMismatches(ok, "1.2.3"), []);
        assert.deepEqual(
            releaseFileMismatches(
                [
                    "mlkube-1.2.4.tgz",
                    "pulumi-resource-mlkube-v1.2.3-linux-amd64.tar.gz",
                    "pulumi-resource-mlkube-v1.2.3-darwin-amd64.tar.gz",
                    "pulumi_mlkube-1.2.3x.tar.gz",
                    "mlkube-sdk-go-v1.2.4.tar.gz",
                ],
                "1.2.3",
            ).map((m) => m.found),
            [
                "mlkube-1.2.4.tgz",
                "pulumi-resource-mlkube-v1.2.3-darwin-amd64.tar.gz",
                "pulumi_mlkube-1.2.3x.tar.gz",
                "mlkube-sdk-go-v1.2.4.tar.gz",
            ],
        );
    });
});
