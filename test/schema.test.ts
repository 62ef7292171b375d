/**
 * schema.json (the Pulumi package schema): committed, regenerated identically from the zod schemas by
 * scripts/gen-schema.ts, and shaped as the wire contract says (plain vs Input fields checked against
 * the TypeScript interfaces, enums, Volume/Secret resource references, wire forms, outputs).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { computeArgsSchema } from "../src/compute";
import { secretArgsSchema } from "../src/secret/secret";
import { trainJobFieldsSchema } from "../src/trainjob/spec";
import { volumeArgsSchema } from "../src/volume";
import { generateSchema, PLUGIN_DOWNLOAD_URL, schemaText, SCHEMA_FILE, TypeSpec } from "../scripts/gen-schema";

const ROOT = path.resolve(__dirname, "..");
const committed = fs.readFileSync(SCHEMA_FILE, "utf8");
const schema = JSON.parse(committed) as {
    name: string;
    version: string;
    pluginDownloadURL: string;
    language: { python: Record<string, unknown> };
    resources: Record<
        string,
        {
            isComponent: boolean;
            description?: string;
            inputProperties: Record<string, TypeSpec>;
            requiredInputs: string[];
            properties: Record<string, TypeSpec>;
            required: string[];
        }
    >;
    types: Record<
        string,
        {
            type: string;
            description?: string;
            properties?: Record<string, TypeSpec>;
            required?: string[];
            enum?: { value: string }[];
        }
    >;
};
const T = (name: string) => `mlkube:index:${name}`;
const res = (name: string) => schema.resources[T(name)];
const type = (name: string) => {
    const t = schema.types[T(name)];
    assert.ok(t, `schema.json has no type ${name}`);
    return t;
};

test("schema.json: regenerates identically from the zod schemas and the TSDoc (npm run gen:schema)", () => {
    const fresh = schemaText(generateSchema());
    assert.ok(fresh === committed, "schema.json is stale: run `npm run gen:schema` and commit it");
});

test("schema.json: package metadata (name, version from package.json, plugin URL, Python package)", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        version: string;
        files: string[];
    };
    assert.equal(schema.name, "mlkube");
    assert.equal(schema.version, pkg.version);
    assert.equal(schema.pluginDownloadURL, PLUGIN_DOWNLOAD_URL);
    assert.equal(schema.language.python.packageName, "pulumi_mlkube");
    assert.equal(schema.language.python.respectSchemaVersion, true);
    assert.ok(pkg.files.includes("schema.json"), "schema.json ships in the npm package");
    assert.deepEqual(Object.keys(schema.resources).sort(), ["Compute", "Secret", "TrainJob", "Volume"].map(T));
    for (const r of Object.values(schema.resources)) assert.equal(r.isComponent, true);
});

/** The fields of an interface (own and inherited through `extends X` / `extends Omit<X, ...>`) and whether each is an Input. */
function interfaceFields(): Map<string, Map<string, boolean>> {
    const files = [
        "src/volume.ts",
        "src/secret/secret.ts",
        "src/pod/types.ts",
        "src/workload/options.ts",
        "src/compute.ts",
        "src/trainjob/spec.ts",
    ];
    const decls = new Map<string, ts.InterfaceDeclaration>();
    for (const f of files) {
        const sf = ts.createSourceFile(f, fs.readFileSync(path.join(ROOT, f), "utf8"), ts.ScriptTarget.ES2022, true);
        for (const st of sf.statements) if (ts.isInterfaceDeclaration(st)) decls.set(st.name.text, st);
    }
    const fields = (name: string, omit: string[] = []): Map<string, boolean> => {
        const d = decls.get(name)!;
        const out = new Map<string, boolean>();
        for (const h of d.heritageClauses ?? []) {
            for (const e of h.types) {
                const base = e.expression.getText();
                if (base === "Omit") {
                    const [of, keys] = e.typeArguments!;
                    const omitted = keys
                        .getText()
                        .split("|")
                        .map((k) => k.trim().replace(/"/g, ""));
                    for (const [k, v] of fields(of.getText(), omitted)) out.set(k, v);
                } else for (const [k, v] of fields(base)) out.set(k, v);
            }
        }
        for (const m of d.members) {
            if (!ts.isPropertySignature(m) || omit.includes(m.name.getText())) continue;
            out.set(m.name.getText(), ts.isTypeReferenceNode(m.type!) && m.type.typeName.getText() === "pulumi.Input");
        }
        return out;
    };
    return new Map(["Volume", "Secret", "Compute", "TrainJob"].map((r) => [r, fields(`${r}Args`)]));
}

test("schema.json: every field of VolumeArgs/SecretArgs/ComputeArgs/TrainJobArgs, plain unless the interface says pulumi.Input", () => {
    const shapes: Record<string, object> = {
        Volume: volumeArgsSchema().shape,
        Secret: secretArgsSchema().shape,
        Compute: computeArgsSchema().shape,
        TrainJob: trainJobFieldsSchema().shape,
    };
    for (const [r, fields] of interfaceFields()) {
        const inputs = res(r).inputProperties;
        assert.deepEqual(
            Object.keys(inputs).sort(),
            [...fields.keys()].sort(),
            `${r}: the schema's inputs are the interface's fields`,
        );
        assert.deepEqual(
            Object.keys(inputs).sort(),
            Object.keys(shapes[r]).sort(),
            `${r}: the schema's inputs are the zod schema's fields`,
        );
        for (const [k, isInput] of fields) {
            const p = inputs[k];
            // Kubernetes pass-through objects (Any) take Outputs inside, whatever the interface says at the top.
            if (p.$ref === "pulumi.json#/Any") continue;
            assert.equal(
                p.plain !== true,
                isInput,
                `${r}.${k}: ${isInput ? "an Input in the interface, so not plain" : "plain in the interface, so plain: true"}`,
            );
        }
    }
    assert.deepEqual(res("Volume").requiredInputs, ["size"]);
    assert.deepEqual(res("Compute").requiredInputs, ["image"]);
    assert.deepEqual(res("TrainJob").requiredInputs, ["image"]);
    assert.deepEqual(res("Secret").requiredInputs, []);
    // Inside plain maps and lists the values can still be Inputs, as in TypeScript.
    assert.equal(res("Volume").inputProperties.labels.additionalProperties!.plain, undefined);
    assert.equal(res("Compute").inputProperties.command.items!.plain, undefined);
    assert.equal(res("Secret").inputProperties.env.secret, true);
    assert.equal(type("GitSsh").properties!.privateKey.secret, true);
});

test("schema.json: literal unions are named enums (after the TypeScript alias, else <Owner><Prop>)", () => {
    const values = (name: string) => type(name).enum!.map((e) => e.value);
    assert.deepEqual(values("AccessMode"), ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"]);
    assert.deepEqual(values("SecretMount"), ["env", "files"]);
    assert.deepEqual(values("TrainJobBackend"), ["jobset", "kubeflow", "job"]);
    assert.deepEqual(values("SecretProvider"), [
        "aws",
        "gcp",
        "azure",
        "huggingface",
        "wandb",
        "openai",
        "anthropic",
        "github",
        "docker",
    ]);
    assert.deepEqual(values("VolumeReclaim"), ["Retain", "Delete"]);
    assert.deepEqual(values("PodOptionsImagePullPolicy"), ["Always", "IfNotPresent", "Never"]);
    assert.deepEqual(values("ComputeServiceType"), ["ClusterIP", "NodePort", "LoadBalancer", "Headless"]);
    assert.equal(res("Volume").inputProperties.accessMode.$ref, `#/types/${T("AccessMode")}`);
    assert.equal(res("TrainJob").inputProperties.backend.$ref, `#/types/${T("TrainJobBackend")}`);
    assert.equal(type("ExistingSecret").properties!.mount.$ref, `#/types/${T("SecretMount")}`);
    for (const [name, t] of Object.entries(schema.types)) if (t.enum) assert.equal(t.type, "string", name);
});

test("schema.json: Volume/Secret positions take resource references, wire forms and names (oneOf)", () => {
    const VOLUME = { $ref: `#/resources/${T("Volume")}`, plain: true };
    const SECRET = { $ref: `#/resources/${T("Secret")}`, plain: true };
    const ref = (name: string) => ({ $ref: `#/types/${T(name)}`, plain: true });
    const str = { type: "string", plain: true };
    for (const r of ["Compute", "TrainJob"]) {
        const p = res(r).inputProperties;
        assert.deepEqual(
            p.volumes.items!.oneOf,
            [VOLUME, ref("ExistingVolume"), str, ref("VolumeMountSpec")],
            `${r}.volumes`,
        );
        assert.deepEqual(p.secrets.items!.oneOf, [SECRET, ref("ExistingSecret"), str], `${r}.secrets`);
        assert.deepEqual(
            p.imagePullSecrets.items!.oneOf,
            [SECRET, ref("ExistingSecret"), str],
            `${r}.imagePullSecrets`,
        );
        const env = p.env.additionalProperties!.oneOf!;
        assert.deepEqual(
            env,
            [ref("SecretKeyRef"), ref("FieldRef"), { type: "string" }],
            `${r}.env: a value (an Input), a Secret key or a field`,
        );
    }
    assert.deepEqual(type("VolumeMountSpec").properties!.volume.oneOf, [VOLUME, ref("ExistingVolume"), str]);
    assert.deepEqual(type("Initializers").properties!.volume.oneOf, [VOLUME, ref("ExistingVolume"), str]);
    assert.deepEqual(type("InitializerSource").properties!.secret.oneOf, [SECRET, ref("ExistingSecret"), str]);
    // The wire forms of Volume.existing, Secret.existing, secret.ref() and Downward API fields.
    const props = (name: string) => Object.keys(type(name).properties!).sort();
    assert.deepEqual(props("ExistingVolume"), ["claimName", "mountPath", "namespace", "readOnly"]);
    assert.deepEqual(type("ExistingVolume").required, ["claimName"]);
    assert.deepEqual(props("ExistingSecret"), ["fileMode", "imagePull", "mount", "mountPath", "secretName"]);
    assert.deepEqual(type("ExistingSecret").required, ["secretName"]);
    assert.deepEqual(props("SecretKeyRef"), ["key", "optional", "secret", "secretName"]);
    assert.deepEqual(type("SecretKeyRef").required, ["key"]);
    assert.deepEqual(type("SecretKeyRef").properties!.secret, {
        ...SECRET,
        description: type("SecretKeyRef").properties!.secret.description,
    });
    assert.deepEqual(type("FieldRef").required, ["fieldRef"]);
    // Other unions: oneOf of their members.
    assert.deepEqual(type("Resources").properties!.cpu.oneOf, [{ type: "number", plain: true }, str]);
    assert.deepEqual(res("TrainJob").inputProperties.queue.oneOf, [str, { type: "boolean", plain: true }]);
    assert.deepEqual(res("Compute").inputProperties.disruptionBudget.oneOf, [
        { type: "boolean", plain: true },
        ref("DisruptionBudgetSpec"),
    ]);
});

test("schema.json: Kubernetes pass-through objects are Any", () => {
    const ANY = "pulumi.json#/Any";
    const p = res("Compute").inputProperties;
    for (const k of ["affinity", "securityContext", "containerSecurityContext", "podPatch"])
        assert.equal(p[k].$ref, ANY, k);
    for (const k of ["tolerations", "topologySpreadConstraints"]) assert.equal(p[k].items!.$ref, ANY, k);
    const patch = type("PodSpecPatch").properties!;
    for (const k of ["volumes", "tolerations"]) assert.equal(patch[k].items!.$ref, ANY, `PodSpecPatch.${k}`);
    for (const k of ["env", "volumeMounts"])
        assert.equal(type("ContainerPatch").properties![k].items!.$ref, ANY, `ContainerPatch.${k}`);
});

test("schema.json: outputs of each component (child resources dropped; Volume volumeMode, Secret checksum)", () => {
    const outs = (r: string) => Object.keys(res(r).properties).sort();
    assert.deepEqual(outs("Volume"), ["accessMode", "claimName", "mountPath", "namespace", "readOnly", "volumeMode"]);
    assert.deepEqual(outs("Secret"), [
        "checksum",
        "fileMode",
        "imagePull",
        "keys",
        "mount",
        "mountPath",
        "namespace",
        "secretName",
    ]);
    assert.deepEqual(outs("Compute"), ["deploymentName", "endpoint", "namespace", "serviceName"]);
    assert.deepEqual(outs("TrainJob"), ["backend", "jobName", "masterAddress", "namespace", "state"]);
    assert.ok(res("Secret").required.includes("checksum"));
    assert.deepEqual(res("Secret").properties.keys, {
        ...res("Secret").properties.keys,
        type: "array",
        items: { type: "string" },
    });
    assert.ok(!res("Compute").required.includes("endpoint"), "endpoint is undefined without ports");
});

test("schema.json: every $ref resolves, every property and type has a description", () => {
    const missing: string[] = [];
    const refs: string[] = [];
    const visit = (t: TypeSpec | undefined, at: string) => {
        if (!t) return;
        if (t.$ref) refs.push(`${at} -> ${t.$ref}`);
        visit(t.items, `${at}[]`);
        visit(t.additionalProperties, `${at}{}`);
        t.oneOf?.forEach((m, i) => visit(m, `${at}|${i}`));
    };
    const props = (ps: Record<string, TypeSpec> | undefined, at: string) => {
        for (const [k, p] of Object.entries(ps ?? {})) {
            if (!p.description) missing.push(`${at}.${k}`);
            visit(p, `${at}.${k}`);
        }
    };
    for (const [name, r] of Object.entries(schema.resources)) {
        if (!r.description) missing.push(name);
        props(r.inputProperties, `${name} input`);
        props(r.properties, `${name} output`);
    }
    for (const [name, t] of Object.entries(schema.types)) {
        if (!t.description) missing.push(name);
        props(t.properties, name);
    }
    assert.deepEqual(missing, [], "described by TSDoc (or WIRE_DOCS in scripts/gen-schema.ts)");
    const unknown = refs.filter((r) => {
        const target = r.split(" -> ")[1];
        if (target === "pulumi.json#/Any") return false;
        const m = /^#\/(types|resources)\/(.+)$/.exec(target);
        return !m || !(m[1] === "types" ? schema.types : schema.resources)[m[2]];
    });
    assert.deepEqual(unknown, []);
    // Descriptions are for every language: no TypeScript code fences or TSDoc link syntax.
    assert.ok(!/```|\{@link/.test(committed));
});
