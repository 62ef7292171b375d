/**
 * mlkube render: the programmatic API (render/toYaml/writeDir) and the `mlkube` bin, on the
 * quickstart example and the fixture programs in test/render-fixtures/.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as YAML from "yaml";
import { render, toYaml, writeDir, mockName, REDACTED, K8sObject, fileName, APPLY_ORDER } from "../src/render";
import { MlkubeValidationError } from "../src/errors";
import { assertConforms } from "./conformance";
import { ensureBuilt, ROOT } from "./render-helpers";

const FIX = path.join(ROOT, "test", "render-fixtures");
const QUICKSTART = path.join(ROOT, "examples", "quickstart");

before(() => ensureBuilt());

function find(objects: K8sObject[], kind: string, name?: string): K8sObject {
    const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
    assert.ok(o, `no ${kind} ${name ?? ""} among ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
    return o;
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

test("renders the quickstart: every object conforms, in apply order, secrets redacted", async () => {
    const r = await render(QUICKSTART);
    assert.deepEqual(r.errors, []);
    assert.equal(r.stack, "dev");
    assert.equal(r.project, "quickstart");
    assert.deepEqual(
        r.objects.map((o) => o.kind),
        ["ConfigMap", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment"],
    );
    assert.ok(find(r.objects, "ConfigMap", "server.mlkube-owner"), "the Compute's ownership guard");
    for (const o of r.objects) assertConforms(o);
    const secret = find(r.objects, "Secret", "api-token");
    assert.deepEqual(secret.data, { API_TOKEN: b64(REDACTED) });
    assert.ok(
        !toYaml(r.objects).includes("secret:quickstart"),
        "placeholder of secure config must not appear when redacted",
    );
    // Everything lands in the stack's mlkube:namespace.
    for (const o of r.objects) assert.equal(o.metadata.namespace, "ml");
});

test("auto-named objects carry the deterministic name the program's references saw", async () => {
    const r = await render(QUICKSTART);
    const cm = find(r.objects, "ConfigMap");
    assert.equal(cm.metadata.name, mockName("kubernetes:core/v1:ConfigMap", "server-settings"));
    assert.match(cm.metadata.name, /^server-settings-[0-9a-f]{7}$/);
    const src = r.sources[r.objects.indexOf(cm)];
    assert.equal(src.autoNamed, true);
    const dep = find(r.objects, "Deployment");
    const env = (dep as any).spec.template.spec.containers[0].env as Array<{ name: string; value: string }>;
    assert.equal(env.find((e) => e.name === "SETTINGS_CONFIGMAP")?.value, cm.metadata.name);
    // Same program, same names: rendering is deterministic.
    const again = await render(QUICKSTART);
    assert.equal(toYaml(again.objects, again.sources), toYaml(r.objects, r.sources));
});

test("--show-secrets reveals values; secure: config stays a placeholder, never decrypted", async () => {
    const r = await render(QUICKSTART, { showSecrets: true });
    const secret = find(r.objects, "Secret");
    assert.equal(
        Buffer.from((secret.data as Record<string, string>).API_TOKEN, "base64").toString(),
        "[secret:quickstart:apiToken]",
    );
});

test("config overrides the stack file (namespaced or not)", async () => {
    const r = await render(QUICKSTART, { config: { model: "gpt2", "mlkube:namespace": "other" } });
    assert.deepEqual(r.errors, []);
    assert.equal((find(r.objects, "ConfigMap").data as Record<string, string>).MODEL, "gpt2");
    assert.equal(find(r.objects, "Deployment").metadata.namespace, "other");
});

test("plain @pulumi/kubernetes resources: namespace first, workloads last, Pulumi secrets and Secret data redacted", async () => {
    const r = await render(path.join(FIX, "plain"));
    assert.deepEqual(r.errors, []);
    assert.equal(r.stack, "test");
    assert.deepEqual(
        r.objects.map((o) => `${o.kind}/${o.metadata.name}`),
        [
            `Namespace/${mockName("kubernetes:core/v1:Namespace", "team")}`,
            "ConfigMap/settings",
            "Secret/db",
            "Service/web",
            `Deployment/${mockName("kubernetes:apps/v1:Deployment", "web")}`,
        ],
    );
    for (const o of r.objects) assertConforms(o);
    const ns = r.objects[0].metadata.name;
    for (const o of r.objects.slice(1)) assert.equal(o.metadata.namespace, ns);
    // Project config default (Pulumi.yaml) and stack config both apply.
    assert.equal((find(r.objects, "Deployment") as any).spec.replicas, 2);
    assert.equal((find(r.objects, "Deployment") as any).spec.template.spec.containers[0].image, "nginx:1.27");
    assert.deepEqual(find(r.objects, "Secret").stringData, { password: REDACTED, user: REDACTED });
    assert.equal((find(r.objects, "ConfigMap").data as Record<string, string>).token, REDACTED);
    const shown = await render(path.join(FIX, "plain"), { showSecrets: true });
    assert.deepEqual(find(shown.objects, "Secret").stringData, { password: "[secret:plain:password]", user: "admin" });
    assert.equal((find(shown.objects, "ConfigMap").data as Record<string, string>).token, "s3cr3t");
});

test("a program exporting an async function is called; relative TypeScript imports load", async () => {
    const r = await render(path.join(FIX, "exported"));
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
        r.objects.map((o) => o.metadata.name),
        ["late-from-helper"],
    );
});

test("stacks: one file is chosen automatically, several need --stack, unknown stacks are rejected", async () => {
    await assert.rejects(render(path.join(FIX, "stacks")), /several stacks \(dev, prod\); choose one with --stack/);
    await assert.rejects(render(path.join(FIX, "stacks"), { stack: "qa" }), /no Pulumi\.qa\.yaml/);
    const prod = await render(path.join(FIX, "stacks"), { stack: "prod" });
    assert.deepEqual(prod.errors, []);
    const pvc = find(prod.objects, "PersistentVolumeClaim");
    assert.equal(pvc.metadata.namespace, "prod");
    assert.equal((pvc as any).spec.resources.requests.storage, "1Ti");
    const dev = await render(path.join(FIX, "stacks"), { stack: "dev" });
    assert.equal((find(dev.objects, "PersistentVolumeClaim") as any).spec.resources.requests.storage, "1Gi");
    assert.equal(find(dev.objects, "PersistentVolumeClaim").metadata.namespace, undefined);
});

test("invalid programs return the components' validation errors", async () => {
    const r = await render(path.join(FIX, "invalid"));
    assert.equal(r.errors.length, 1);
    assert.ok(r.errors[0] instanceof MlkubeValidationError || r.errors[0].name === "MlkubeValidationError");
    assert.equal(r.errors[0].message, 'Volume "data": size: "16GB" is not a Kubernetes quantity; use "16Gi"');
});

test("a program that throws returns its error", async () => {
    const r = await render(path.join(FIX, "throws"));
    assert.deepEqual(
        r.errors.map((e) => e.message),
        ["cannot read model list: models.json not found"],
    );
});

test("not a program directory", async () => {
    await assert.rejects(render(path.join(FIX)), /no Pulumi\.yaml/);
    await assert.rejects(render(path.join(FIX, "nope")), /not a directory/);
});

test("writeDir: one file per object, apply-ordered names, stale rendered files replaced", async () => {
    const r = await render(path.join(FIX, "plain"));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-render-"));
    fs.writeFileSync(path.join(dir, "99-configmap-old.yaml"), "stale");
    fs.writeFileSync(path.join(dir, "kustomization.yaml"), "keep");
    const files = writeDir(r.objects, dir, r.sources).map((f) => path.basename(f));
    const ns = r.objects[0].metadata.name;
    assert.deepEqual(files, [
        `01-namespace-${ns}.yaml`,
        `02-configmap-${ns}-settings.yaml`,
        `03-secret-${ns}-db.yaml`,
        `04-service-${ns}-web.yaml`,
        `05-deployment-${ns}-${r.objects[4].metadata.name}.yaml`,
    ]);
    assert.deepEqual(fs.readdirSync(dir).sort(), [...files, "kustomization.yaml"].sort());
    assert.deepEqual(YAML.parse(fs.readFileSync(path.join(dir, files[2]), "utf8")), r.objects[2]);
    assert.equal(fileName(r.objects[0], 0, 120), `001-namespace-${ns}.yaml`);
});

test("toYaml is multi-document YAML that parses back to the objects", async () => {
    const r = await render(QUICKSTART);
    const docs = YAML.parseAllDocuments(toYaml(r.objects, r.sources)).map((d) => d.toJS());
    assert.deepEqual(docs, r.objects);
});

test("apply order lists workloads after what they use", () => {
    const i = (k: string) => APPLY_ORDER.indexOf(k);
    assert.ok(i("Namespace") < i("CustomResourceDefinition"));
    for (const dep of ["ServiceAccount", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service"]) {
        for (const w of ["Deployment", "Job", "JobSet", "TrainJob"]) assert.ok(i(dep) < i(w), `${dep} before ${w}`);
    }
    assert.ok(i("TrainingRuntime") < i("TrainJob") && i("ClusterTrainingRuntime") < i("TrainJob"));
});

// ---------------------------------------------------------------------------------------------
// The bin

function cli(...args: string[]) {
    const r = spawnSync(process.execPath, [path.join(ROOT, "dist", "render", "cli.js"), ...args], {
        cwd: ROOT,
        encoding: "utf8",
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("cli: render prints YAML on stdout; program console output goes to stderr", () => {
    const r = cli("render", path.join(FIX, "plain"));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /program output goes to stderr/);
    const docs = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
    assert.deepEqual(
        docs.map((d) => d.kind),
        ["Namespace", "ConfigMap", "Secret", "Service", "Deployment"],
    );
});

test("cli: --out writes a directory", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-cli-"));
    const r = cli("render", "examples/quickstart", "--out", dir, "--stack", "dev");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    assert.equal(fs.readdirSync(dir).length, 6);
});

test("cli: validation errors print just the message and exit 1", () => {
    const r = cli("render", path.join(FIX, "invalid"));
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^error: Volume "data": size: "16GB" is not a Kubernetes quantity; use "16Gi"$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test("cli: a throwing program prints its error without a stack unless --verbose", () => {
    const r = cli("render", path.join(FIX, "throws"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot read model list: models\.json not found$/m);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const v = cli("render", path.join(FIX, "throws"), "--verbose");
    assert.equal(v.code, 1);
    assert.match(v.stderr, /cannot read model list[\s\S]*\n\s+at .*index\.ts/);
});

test("cli: usage errors exit 2; --help and --version exit 0", () => {
    assert.equal(cli().code, 2);
    assert.equal(cli("deploy", ".").code, 2);
    assert.equal(cli("render").code, 2);
    assert.equal(cli("render", ".", "--bogus").code, 2);
    const h = cli("--help");
    assert.equal(h.code, 0);
    assert.match(h.stdout, /mlkube render <program-dir>/);
    const v = cli("--version");
    assert.equal(v.code, 0);
    assert.equal(
        v.stdout.trim(),
        (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version,
    );
    const missing = cli("render", path.join(FIX, "stacks"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /choose one with --stack/);
});
