/**
 * `mlkube render --check PATH`: committed manifests (a file or an `--out` directory) compared with
 * what the program renders now; exit 3 with a unified diff when they differ.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { render, writeDir } from "../src/render";
import { checkRendered } from "../src/render/check";
import { ensureBuilt, ROOT } from "./render-helpers";

const QUICKSTART = path.join(ROOT, "examples", "quickstart");

before(() => ensureBuilt());

function cli(...args: string[]) {
    const r = spawnSync(process.execPath, [path.join(ROOT, "dist", "render", "cli.js"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-check-"));

test("cli --check FILE: 0 when the committed file is current; 3 with a unified diff when not", () => {
    const file = path.join(tmp(), "rendered.yaml");
    const printed = cli("render", "examples/quickstart");
    assert.equal(printed.code, 0, printed.stderr);
    fs.writeFileSync(file, printed.stdout);
    const same = cli("render", "examples/quickstart", "--check", file);
    assert.equal(same.code, 0, same.stderr);
    assert.equal(same.stdout, "");
    assert.match(same.stderr, /up to date/);

    fs.writeFileSync(
        file,
        printed.stdout.replace(
            "image: ghcr.io/ggml-org/llama.cpp:server",
            "image: ghcr.io/ggml-org/llama.cpp:server-b1",
        ),
    );
    const r = cli("render", "examples/quickstart", "--check", file);
    assert.equal(r.code, 3, r.stderr);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "--- a/rendered.yaml");
    assert.equal(lines[1], "+++ b/rendered.yaml");
    assert.match(lines[2], /^@@ -\d+,\d+ \+\d+,\d+ @@$/);
    assert.deepEqual(
        lines.filter((l) => /^[-+] /.test(l)),
        [
            "-          image: ghcr.io/ggml-org/llama.cpp:server-b1",
            "+          image: ghcr.io/ggml-org/llama.cpp:server",
        ],
    );
    assert.match(r.stderr, /changed: rendered\.yaml/);
    assert.match(r.stderr, /run `mlkube render examples\/quickstart > .*rendered\.yaml` to update it/);
    assert.equal(fs.readFileSync(file, "utf8").includes("server-b1"), true, "--check never writes");
});

test("cli --check DIR: compares an --out directory; --out and --check together are a usage error", () => {
    const dir = tmp();
    assert.equal(cli("render", "examples/quickstart", "--out", dir).code, 0);
    const ok = cli("render", "examples/quickstart", "--check", dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(cli("render", "examples/quickstart", "--out", dir, "--check", dir).code, 2);
});

test("checkRendered on a directory: changed, missing and stale files, each with a diff", async () => {
    const r = await render(QUICKSTART);
    const dir = tmp();
    const files = writeDir(r.objects, dir, r.sources).map((f) => path.basename(f));
    assert.equal(checkRendered(r.objects, dir, r.sources).ok, true);

    const deployment = files.find((f) => f.includes("deployment"))!;
    const claim = files.find((f) => f.includes("persistentvolumeclaim"))!;
    fs.writeFileSync(
        path.join(dir, deployment),
        fs.readFileSync(path.join(dir, deployment), "utf8").replace("replicas: 1", "replicas: 2"),
    );
    fs.rmSync(path.join(dir, claim));
    fs.writeFileSync(path.join(dir, "99-configmap-old.yaml"), "kind: ConfigMap\n");
    fs.writeFileSync(path.join(dir, "README.md"), "not a rendered file\n");

    const c = checkRendered(r.objects, dir, r.sources);
    assert.equal(c.ok, false);
    assert.deepEqual(
        c.summary,
        [`changed: ${deployment}`, `missing: ${claim}`, "stale: 99-configmap-old.yaml"].sort((a, b) =>
            a.split(": ")[1].localeCompare(b.split(": ")[1]),
        ),
    );
    assert.match(c.diff, new RegExp(`--- a/${deployment}\n\\+\\+\\+ b/${deployment}\n`));
    assert.match(c.diff, /^- {2}replicas: 2\n\+ {2}replicas: 1$/m);
    assert.match(c.diff, new RegExp(`--- /dev/null\n\\+\\+\\+ b/${claim}\n`));
    assert.match(c.diff, /--- a\/99-configmap-old.yaml\n\+\+\+ \/dev\/null\n@@ -1,1 \+0,0 @@\n-kind: ConfigMap/);
    assert.doesNotMatch(c.diff, /README/);
});

test("examples/ci workflow: valid YAML whose mlkube/pulumi commands use options that exist", () => {
    const wf = YAML.parse(fs.readFileSync(path.join(ROOT, "examples", "ci", "pulumi-pr.yml"), "utf8")) as {
        on: { pull_request: unknown };
        jobs: Record<string, { steps: Array<{ run?: string; uses?: string }> }>;
    };
    assert.ok(wf.on.pull_request);
    const runs = Object.values(wf.jobs)
        .flatMap((j) => j.steps.map((s) => s.run ?? ""))
        .join("\n");
    assert.match(runs, /pulumi preview --stack "\$PULUMI_STACK" --diff/);
    const renders = runs.split("\n").filter((l) => /^\s*npx mlkube render /.test(l));
    assert.ok(renders.length >= 3);
    const help = cli("--help").stdout;
    for (const line of renders) {
        for (const flag of line.match(/ --?[a-z-]+/g) ?? [])
            assert.ok(
                help.includes(flag.trim()),
                `${flag.trim()} (in "${line.trim()}") is not an mlkube render option`,
            );
    }
});
