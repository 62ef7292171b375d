/**
 * One version number everywhere (scripts/release.sh and CI; docs/release.md): package.json's `version` is
 * the release's, and every other place must say the same —
 * package-lock.json (its root and packages[""]), schema.json `version`, the Python SDK's
 * sdk/python/pyproject.toml `[project] version` and sdk/python/pulumi_mlkube/pulumi-plugin.json `version`,
 * the Go SDK's sdk/go/mlkube/pulumi-plugin.json `version` and the version its resources ask the engine for
 * (`semver.MustParse("...")` in sdk/go/mlkube/internal/pulumiUtilities.go), and, given a release folder,
 * every artifact's file name (npm tarball, wheel, sdist, Go SDK, plugin tarballs).
 *
 *   node --import tsx scripts/check-version.ts [--release DIR]     exit 1 and list each mismatch
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface VersionMismatch {
    where: string;
    found: string;
}

const read = (file: string): string | undefined => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reads fields of untyped package JSON
const jsonField = (text: string | undefined, get: (j: any) => unknown): string => {
    if (text === undefined) return "(missing file)";
    try {
        const v = get(JSON.parse(text));
        return typeof v === "string" ? v : `(not a string: ${JSON.stringify(v) ?? "undefined"})`;
    } catch (e) {
        return `(not JSON: ${(e as Error).message.slice(0, 80)})`;
    }
};

/** `version = "..."` of the `[project]` table of a pyproject.toml (the generator's layout, indented or not). */
export function pyprojectVersion(text: string | undefined): string {
    if (text === undefined) return "(missing file)";
    const project = /^\s*\[project\]\s*$([\s\S]*?)(?=^\s*\[(?!project\.)|(?![\s\S]))/m.exec(text);
    const v = project && /^\s*version\s*=\s*"([^"\n]*)"\s*$/m.exec(project[1]);
    return v ? v[1] : "(no [project] version)";
}

/**
 * The version the Go SDK's resources ask the engine for: every `semver.MustParse("...")` of the generated
 * internal/pulumiUtilities.go must name the same one.
 */
export function goSdkVersion(text: string | undefined): string {
    if (text === undefined) return "(missing file)";
    const found = new Set([...text.matchAll(/semver\.MustParse\("([^"\n]*)"\)/g)].map((m) => m[1]));
    if (found.size === 0) return "(no semver.MustParse version)";
    return found.size === 1 ? [...found][0] : `(several: ${[...found].join(", ")})`;
}

/** The artifacts a release folder must hold for `version`; the plugin platforms are those present. */
export function releaseFileMismatches(files: string[], version: string): VersionMismatch[] {
    const out: VersionMismatch[] = [];
    const artifact =
        /^(mlkube-.*\.tgz|pulumi_mlkube-.*\.(whl|tar\.gz)|pulumi-resource-mlkube-.*\.tar\.gz|mlkube-sdk-go-.*\.tar\.gz)$/;
    const expected = [
        `mlkube-${version}.tgz`,
        `pulumi_mlkube-${version}-py3-none-any.whl`,
        `pulumi_mlkube-${version}.tar.gz`,
        `mlkube-sdk-go-v${version}.tar.gz`,
    ];
    const plugin = new RegExp(
        `^pulumi-resource-mlkube-v${version.replace(/\./g, "\\.")}-linux-(amd64|arm64)\\.tar\\.gz$`,
    );
    for (const f of files.filter((f) => artifact.test(f))) {
        if (!expected.includes(f) && !plugin.test(f)) out.push({ where: `release file ${f}`, found: f });
    }
    return out;
}

/** Every place whose version differs from package.json's (empty when all agree). */
export function versionMismatches(
    root: string,
    releaseDir?: string,
): { version: string; mismatches: VersionMismatch[] } {
    const version = jsonField(read(path.join(root, "package.json")), (j) => j.version);
    const mismatches: VersionMismatch[] = [];
    const check = (where: string, found: string) => {
        if (found !== version) mismatches.push({ where, found });
    };
    if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version))
        mismatches.push({ where: "package.json version (not semver)", found: version });
    const lock = read(path.join(root, "package-lock.json"));
    check(
        "package-lock.json version",
        jsonField(lock, (j) => j.version),
    );
    check(
        'package-lock.json packages[""].version',
        jsonField(lock, (j) => j.packages?.[""]?.version),
    );
    check(
        "schema.json version",
        jsonField(read(path.join(root, "schema.json")), (j) => j.version),
    );
    check(
        "sdk/python/pyproject.toml [project] version",
        pyprojectVersion(read(path.join(root, "sdk", "python", "pyproject.toml"))),
    );
    check(
        "sdk/python/pulumi_mlkube/pulumi-plugin.json version",
        jsonField(read(path.join(root, "sdk", "python", "pulumi_mlkube", "pulumi-plugin.json")), (j) => j.version),
    );
    const goSdk = path.join(root, "sdk", "go", "mlkube");
    check(
        "sdk/go/mlkube/pulumi-plugin.json version",
        jsonField(read(path.join(goSdk, "pulumi-plugin.json")), (j) => j.version),
    );
    check(
        "sdk/go/mlkube/internal/pulumiUtilities.go semver.MustParse",
        goSdkVersion(read(path.join(goSdk, "internal", "pulumiUtilities.go"))),
    );
    if (releaseDir) mismatches.push(...releaseFileMismatches(fs.readdirSync(releaseDir), version));
    return { version, mismatches };
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const i = argv.indexOf("--release");
    const { version, mismatches } = versionMismatches(path.resolve(__dirname, ".."), i >= 0 ? argv[i + 1] : undefined);
    if (mismatches.length) {
        console.error(`check-version: package.json says ${version}, but:`);
        for (const m of mismatches) console.error(`  ${m.where}: ${m.found}`);
        console.error(
            "check-version: bump them together (npm version --no-git-tag-version X; npm run gen:schema; scripts/gen-sdk.sh)",
        );
        process.exit(1);
    }
    console.log(`check-version: ${version} everywhere`);
}
