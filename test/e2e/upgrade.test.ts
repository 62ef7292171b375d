/**
 * Upgrading mlkube with the real engine (docs/operations.md, "Upgrading mlkube"): a stack deployed with
 * the previous release (release/previous/mlkube-<version>.tgz, as users installed it) is upgraded to the
 * checkout. No claim, Secret or Service is replaced or deleted; every other replacement is listed here
 * and named in the CHANGELOG; the second preview is empty.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { ROOT, Stack, createNamespace, deleteNamespaces, get, requirePrerequisites } from "./helpers";

const PROGRAM = path.join(ROOT, "test/e2e/programs/upgrade");
const PREVIOUS = path.join(ROOT, "release/previous");

/**
 * Every replacement the upgrade does, as `<type>::<name>` (the CHANGELOG names each, with its reason):
 * - the JobSet of a TrainJob (backend jobset): its pod template changed (no WORLD_SIZE env,
 *   terminationMessagePolicy FallbackToLogsOnError, fsGroup with runAsUser), and a JobSet's spec is
 *   immutable, so the job is replaced and runs again, finished or not.
 */
export const EXPECTED_REPLACEMENTS: string[] = ["kubernetes:jobset.x-k8s.io/v1alpha2:JobSet::train"];
/** Kinds whose objects an upgrade must never replace or delete (data, credentials, addresses). */
const KEPT = ["PersistentVolumeClaim", "Secret", "Service"];

before(() => requirePrerequisites());
after(() => deleteNamespaces());

/** The previous release's tarball (the only one in release/previous/). */
function previousTarball(): string {
    const tgz = fs.readdirSync(PREVIOUS).filter((f) => f.endsWith(".tgz"));
    assert.equal(tgz.length, 1, `release/previous/ holds one tarball: ${tgz}`);
    return path.join(PREVIOUS, tgz[0]);
}

/**
 * The program in a directory of its own outside the repository (inside, `require("mlkube")` would resolve
 * to the checkout by the package's self-reference), with node_modules/mlkube the unpacked previous release
 * and its dependencies (and @pulumi/*) linked from the repository's node_modules, as npm installs them.
 */
function stageProgram(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-e2e-upgrade-"));
    for (const f of fs.readdirSync(PROGRAM)) fs.copyFileSync(path.join(PROGRAM, f), path.join(dir, f));
    const nm = path.join(dir, "node_modules");
    fs.mkdirSync(nm);
    const r = spawnSync("tar", ["-xzf", previousTarball(), "-C", nm], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    fs.renameSync(path.join(nm, "package"), path.join(nm, "mlkube"));
    const deps = JSON.parse(fs.readFileSync(path.join(nm, "mlkube", "package.json"), "utf8"));
    for (const d of ["@pulumi", ...Object.keys({ ...deps.dependencies })]) {
        if (!fs.existsSync(path.join(nm, d))) fs.symlinkSync(path.join(ROOT, "node_modules", d), path.join(nm, d));
    }
    return dir;
}

/** Switches the staged program to the checkout (node_modules/mlkube -> the repository, its dist/ built). */
function upgradeProgram(dir: string): void {
    const target = path.join(dir, "node_modules", "mlkube");
    fs.rmSync(target, { recursive: true, force: true });
    fs.symlinkSync(ROOT, target);
}

interface Step {
    op: string;
    urn: string;
    type: string;
    name: string;
}

/** The steps of `pulumi preview --json` that replace or delete something. */
function destructive(stack: Stack): Step[] {
    const r = stack.ok(["preview", "--json"]);
    const plan = JSON.parse(r.stdout) as { steps?: Array<{ op: string; urn: string }> };
    return (plan.steps ?? [])
        .filter((s) => /replace|delete/.test(s.op))
        .map((s) => {
            const parts = s.urn.split("::");
            return { op: s.op, urn: s.urn, type: parts[2].split("$").pop()!, name: parts[3] };
        });
}

/**
 * What the previous release created, as kubectl names it and as `<Pulumi type>::<name>` (0.1.0 had no
 * PodDisruptionBudget and no ownership guard; the upgrade creates both).
 */
const OBJECTS = [
    ["persistentvolumeclaim", "data", "kubernetes:core/v1:PersistentVolumeClaim::data"],
    ["persistentvolumeclaim", "ckpt", "kubernetes:core/v1:PersistentVolumeClaim::ckpt"],
    ["secret", "keys", "kubernetes:core/v1:Secret::keys"],
    ["deployment", "api", "kubernetes:apps/v1:Deployment::api"],
    ["service", "api", "kubernetes:core/v1:Service::api"],
    ["jobsets.jobset.x-k8s.io", "train", "kubernetes:jobset.x-k8s.io/v1alpha2:JobSet::train"],
] as const;

describe("upgrade: the previous release to the checkout", () => {
    let stack: Stack;
    let ns: string;
    let dir: string;

    before(async () => {
        ns = await createNamespace("upg");
        dir = stageProgram();
        stack = new Stack(dir, "upg", ns);
        stack.init({}, { token: "t0k3n-upgrade" });
    });

    after(() => {
        stack?.remove();
        if (dir && !process.env.MLKUBE_E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    });

    test("no claim, Secret or Service is replaced or deleted, every other replacement is listed (and in the CHANGELOG), the second preview is empty", () => {
        const t0 = Date.now();
        const first = stack.up();
        assert.equal(first.status, 0, first.output);
        assert.equal(stack.outputs().jobState, "Complete");
        const uids = () =>
            Object.fromEntries(OBJECTS.map(([kind, name, id]) => [id, get(kind, name, ns)?.metadata.uid]));
        const before = uids();
        for (const [k, v] of Object.entries(before)) assert.ok(v, `the previous release created ${k}`);
        const deployedIn = (Date.now() - t0) / 1000;

        upgradeProgram(dir);
        const steps = destructive(stack);
        const kept = steps.filter((s) => KEPT.some((k) => s.type.endsWith(`:${k}`)));
        assert.deepEqual(kept, [], `the upgrade replaces or deletes a claim, Secret or Service`);
        const replaced = [...new Set(steps.map((s) => `${s.type}::${s.name}`))].sort();
        assert.deepEqual(
            replaced,
            [...EXPECTED_REPLACEMENTS].sort(),
            `the replacements of the upgrade (steps: ${JSON.stringify(steps)})`,
        );
        const changelog = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");
        // The CHANGELOG names each replaced type (`kubernetes:jobset.x-k8s.io/v1alpha2:JobSet`), the test program's objects by name.
        for (const r of EXPECTED_REPLACEMENTS)
            assert.ok(
                changelog.includes(`\`${r.split("::")[0]}\``),
                `CHANGELOG.md names the upgrade's replacement ${r.split("::")[0]}`,
            );

        const up = stack.up();
        assert.equal(up.status, 0, up.output);
        const after = uids();
        for (const [id, uid] of Object.entries(before)) {
            if (!EXPECTED_REPLACEMENTS.includes(id))
                assert.equal(after[id], uid, `${id} kept its uid across the upgrade`);
            else assert.notEqual(after[id], uid, `${id} was replaced, as listed`);
        }
        assert.equal(stack.outputs().jobState, "Complete");
        assert.equal(stack.outputs().jobName, "train");
        const guard = get("configmap", "api.mlkube-owner", ns);
        assert.equal(
            guard?.metadata.annotations["mlkube.dev/stack"],
            `mlkube-e2e-upgrade/${stack.name}`,
            "the Compute's guard was created",
        );
        const p = stack.preview(["--expect-no-changes"]);
        assert.equal(p.status, 0, p.output);
        console.log(
            `# upgrade: deploy with the previous release ${deployedIn}s, upgrade up ${up.seconds}s, replaced ${JSON.stringify(replaced)}, test ${(Date.now() - t0) / 1000}s`,
        );
    });
});
