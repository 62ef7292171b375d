import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Secret } from "../src";
import { collect, SecretValue } from "../src/render/collect";
import { readProvider } from "../src/secret/providers";
import { assertFails, assertThrows, b64decode, emit, reveal } from "./helpers";

function tmpdir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-secret-"));
}

/** Runs fn with extra env vars set (and restores them). */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
    const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(vars))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    try {
        return await fn();
    } finally {
        for (const [k, v] of Object.entries(saved))
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
    }
}

function data(out: Awaited<ReturnType<typeof emit>>, name: string): Record<string, string> {
    const s = out.get("Secret", name);
    assert.ok(s.data instanceof SecretValue, "Secret data is a Pulumi secret");
    return Object.fromEntries(
        Object.entries(reveal(s.data) as Record<string, string>).map(([k, v]) => [k, b64decode(v)]),
    );
}

test("Secret from inline env: an Opaque Secret, values secret, mounted as env by default", async () => {
    let s!: Secret;
    const out = await emit(
        () => (s = new Secret("api-keys", { env: { OPENAI_API_KEY: "sk-1", OTHER: pulumi.secret("x") } })),
    );
    const obj = out.get("Secret", "api-keys");
    assert.equal(obj.type, "Opaque");
    assert.equal(obj.metadata.name, "api-keys");
    assert.deepEqual(data(out, "api-keys"), { OPENAI_API_KEY: "sk-1", OTHER: "x" });
    assert.equal(s.binding().kind, "env");
    assert.equal(
        out.resource("Secret", "api-keys").parent,
        out.resources.find((r) => r.type === "mlkube:index:Secret")!.urn,
    );
});

test("Secret env map may itself be an Output (e.g. from config)", async () => {
    const out = await emit(() => new Secret("s", { env: pulumi.secret({ A: "1" }) }));
    assert.deepEqual(data(out, "s"), { A: "1" });
});

test("Secret fromEnv reads local env vars at deploy time; a missing one is named", async () => {
    await withEnv({ MLK_TOKEN: "t0k", MLK_MISSING: undefined }, async () => {
        const out = await emit(() => new Secret("s", { fromEnv: ["MLK_TOKEN"] }));
        assert.deepEqual(data(out, "s"), { MLK_TOKEN: "t0k" });
        assertThrows(
            () => new Secret("s2", { fromEnv: ["MLK_TOKEN", "MLK_MISSING"] }),
            'Secret "s2": fromEnv[1]: environment variable MLK_MISSING is not set on this machine; export it before running pulumi',
        );
    });
});

test("Secret fromFile: keys are file names, mounted as files; the file mode is the pod builder's default unless given", async () => {
    const dir = tmpdir();
    fs.writeFileSync(path.join(dir, "key.json"), '{"k":1}');
    fs.writeFileSync(path.join(dir, "ca.pem"), "PEM");
    let s!: Secret;
    const out = await emit(
        () => (s = new Secret("creds", { fromFile: [path.join(dir, "key.json"), path.join(dir, "ca.pem")] })),
    );
    assert.deepEqual(data(out, "creds"), { "key.json": '{"k":1}', "ca.pem": "PEM" });
    const b = s.binding();
    assert.equal(b.kind, "files");
    assert.equal(b.mountPath, "/etc/mlkube/secrets/creds");
    assert.equal(b.fileMode, undefined);
    assertThrows(
        () => new Secret("x", { fromFile: [path.join(dir, "nope")] }),
        `Secret "x": fromFile[0]: ${JSON.stringify(path.join(dir, "nope"))} does not exist (relative paths start at ${process.cwd()})`,
    );
    assertThrows(
        () => new Secret("y", { fromFile: [path.join(dir, "key.json")], mount: "env" }),
        'Secret "y": mount: keys "key.json" are not environment variable names, so they cannot be mounted as env; use mount: "files"',
    );
});

test("Secret fromDirectory keeps nested paths as items", async () => {
    const dir = tmpdir();
    fs.mkdirSync(path.join(dir, "sub", "deeper"), { recursive: true });
    fs.writeFileSync(path.join(dir, "top.txt"), "1");
    fs.writeFileSync(path.join(dir, "sub", "deeper", "x.cfg"), "2");
    let s!: Secret;
    const out = await emit(
        () => (s = new Secret("conf", { fromDirectory: dir, mountPath: "/etc/conf", fileMode: 0o440 })),
    );
    assert.deepEqual(data(out, "conf"), { "sub__deeper__x.cfg": "2", "top.txt": "1" });
    assert.deepEqual(s.binding().items, [
        { key: "sub__deeper__x.cfg", path: "sub/deeper/x.cfg" },
        { key: "top.txt", path: "top.txt" },
    ]);
    assert.equal(s.binding().mountPath, "/etc/conf");
    assert.equal(s.binding().fileMode, 0o440);
    const empty = tmpdir();
    assertThrows(
        () => new Secret("e", { fromDirectory: empty }),
        `Secret "e": fromDirectory: ${JSON.stringify(empty)} holds no files`,
    );
});

test("Secret gitSsh: ssh-auth type, files with GIT_SSH_COMMAND", async () => {
    let s!: Secret;
    const out = await emit(
        () =>
            (s = new Secret("deploy-key", {
                gitSsh: { privateKey: pulumi.secret("-----KEY-----"), knownHosts: "github.com ssh-ed25519 AAAA" },
            })),
    );
    assert.equal(out.get("Secret", "deploy-key").type, "kubernetes.io/ssh-auth");
    assert.deepEqual(data(out, "deploy-key"), {
        "ssh-privatekey": "-----KEY-----\n",
        known_hosts: "github.com ssh-ed25519 AAAA",
    });
    const b = s.binding();
    assert.equal(b.kind, "gitSsh");
    assert.equal(
        b.env.GIT_SSH_COMMAND,
        "ssh -i /etc/mlkube/secrets/deploy-key/ssh-privatekey -o IdentitiesOnly=yes -o UserKnownHostsFile=/etc/mlkube/secrets/deploy-key/known_hosts -o StrictHostKeyChecking=yes",
    );
    assertThrows(
        () => new Secret("g", { gitSsh: {} }),
        'Secret "g": gitSsh: give exactly one of privateKey or privateKeyFile',
    );
    assertThrows(
        () => new Secret("g2", { gitSsh: { privateKey: "k" }, mount: "env" }),
        'Secret "g2": mount: gitSsh keys are mounted as files; remove mount: "env"',
    );
});

test("Secret providers read each provider's usual env vars and files", async () => {
    const home = tmpdir();
    fs.mkdirSync(path.join(home, ".aws"));
    fs.writeFileSync(
        path.join(home, ".aws", "credentials"),
        "[default]\naws_access_key_id = AKIA1\naws_secret_access_key = s3cr3t\n[prod]\naws_access_key_id = AKIA2\naws_secret_access_key = p\n",
    );
    fs.writeFileSync(path.join(home, ".aws", "config"), "[profile prod]\nregion = eu-west-1\n");
    fs.mkdirSync(path.join(home, ".cache", "huggingface"), { recursive: true });
    fs.writeFileSync(path.join(home, ".cache", "huggingface", "token"), "hf_file\n");
    fs.writeFileSync(path.join(home, ".netrc"), "machine api.wandb.ai\n  login user\n  password wb_key\n");
    fs.mkdirSync(path.join(home, ".docker"));
    fs.writeFileSync(
        path.join(home, ".docker", "config.json"),
        JSON.stringify({ auths: { "ghcr.io": { auth: "dXNlcjpwdw==" }, "docker.io": { auth: "eDp5" } } }),
    );
    const gcpFile = path.join(home, "sa.json");
    fs.writeFileSync(gcpFile, '{"type":"service_account"}');
    const env = { HOME: home };
    assert.deepEqual(readProvider("aws", {}, env).values, {
        AWS_ACCESS_KEY_ID: "AKIA1",
        AWS_SECRET_ACCESS_KEY: "s3cr3t",
    });
    assert.deepEqual(readProvider("aws", { profile: "prod" }, env).values, {
        AWS_ACCESS_KEY_ID: "AKIA2",
        AWS_SECRET_ACCESS_KEY: "p",
        AWS_DEFAULT_REGION: "eu-west-1",
    });
    assert.deepEqual(
        readProvider("aws", {}, { ...env, AWS_ACCESS_KEY_ID: "E", AWS_SECRET_ACCESS_KEY: "F", AWS_REGION: "us-east-1" })
            .values,
        { AWS_ACCESS_KEY_ID: "E", AWS_SECRET_ACCESS_KEY: "F", AWS_DEFAULT_REGION: "us-east-1" },
    );
    assert.deepEqual(readProvider("huggingface", {}, env).values, { HF_TOKEN: "hf_file" });
    assert.deepEqual(readProvider("huggingface", {}, { ...env, HF_TOKEN: "hf_env" }).values, { HF_TOKEN: "hf_env" });
    assert.deepEqual(readProvider("wandb", {}, env).values, { WANDB_API_KEY: "wb_key" });
    assert.deepEqual(readProvider("openai", {}, { OPENAI_API_KEY: "o" }).values, { OPENAI_API_KEY: "o" });
    assert.deepEqual(readProvider("anthropic", {}, { ANTHROPIC_API_KEY: "a" }).values, { ANTHROPIC_API_KEY: "a" });
    assert.deepEqual(readProvider("github", {}, { GH_TOKEN: "g" }).values, { GITHUB_TOKEN: "g" });
    assert.deepEqual(
        readProvider("azure", {}, { AZURE_CLIENT_ID: "c", AZURE_TENANT_ID: "t", AZURE_CLIENT_SECRET: "s" }).values,
        { AZURE_CLIENT_ID: "c", AZURE_TENANT_ID: "t", AZURE_CLIENT_SECRET: "s" },
    );
    const gcp = readProvider("gcp", {}, { ...env, GOOGLE_APPLICATION_CREDENTIALS: gcpFile });
    assert.deepEqual(gcp.values, { "credentials.json": '{"type":"service_account"}' });
    assert.deepEqual(gcp.env!("/etc/gcp"), { GOOGLE_APPLICATION_CREDENTIALS: "/etc/gcp/credentials.json" });
    const docker = readProvider("docker", { registry: "ghcr.io" }, env);
    assert.equal(docker.type, "kubernetes.io/dockerconfigjson");
    assert.deepEqual(JSON.parse(docker.values[".dockerconfigjson"]), {
        auths: { "ghcr.io": { auth: "dXNlcjpwdw==" } },
    });
});

test("Secret provider credentials become a Secret with the provider's mount; missing ones explain where we looked", async () => {
    const home = tmpdir();
    await withEnv(
        {
            HOME: home,
            HF_TOKEN: "hf_abc",
            HUGGING_FACE_HUB_TOKEN: undefined,
            HF_HOME: undefined,
            HF_TOKEN_PATH: undefined,
            GOOGLE_APPLICATION_CREDENTIALS: undefined,
        },
        async () => {
            let hf!: Secret;
            const out = await emit(() => (hf = new Secret("hf", { provider: "huggingface" })));
            assert.deepEqual(data(out, "hf"), { HF_TOKEN: "hf_abc" });
            assert.equal(hf.binding().kind, "env");
            delete process.env.HF_TOKEN;
            assertThrows(
                () => new Secret("hf2", { provider: "huggingface" }),
                `Secret "hf2": provider: no Hugging Face token found; set HF_TOKEN or run "huggingface-cli login" (looked in $HF_TOKEN, $HUGGING_FACE_HUB_TOKEN, ${path.join(home, ".cache", "huggingface", "token")})`,
            );
            assert.throws(
                () => new Secret("g", { provider: "gcp", mount: "env" }),
                /: Secret "g": provider: no GCP credentials found; set GOOGLE_APPLICATION_CREDENTIALS/,
            );
            fs.writeFileSync(path.join(home, "sa.json"), "{}");
            assertThrows(
                () =>
                    new Secret("g", {
                        provider: "gcp",
                        providerOptions: { credentialsFile: path.join(home, "sa.json") },
                        mount: "env",
                    }),
                'Secret "g": mount: provider "gcp" reaches pods as files, not env; remove mount',
            );
        },
    );
});

test("plain Secret data is checked when read; its checksum is a plain string under a configured key", async () => {
    let s!: Secret;
    await collect(() => (s = new Secret("p", { fromEnv: ["HOME"] })), {
        config: { "mlkube:checksumKey": "0123456789abcdef0123" },
        secretConfigKeys: ["mlkube:checksumKey"],
    });
    assert.equal(typeof s.binding().checksum, "string");
    assert.throws(
        () => new Secret("big", { fromEnv: ["BIG_VALUE_FOR_TEST"] }),
        /environment variable BIG_VALUE_FOR_TEST is not set/,
    );
    await withEnv({ MLK_BIG: "x".repeat(1024 * 1024) }, async () => {
        assertThrows(
            () => new Secret("big2", { fromEnv: ["MLK_BIG"] }),
            'Secret "big2": data is 1048583 bytes; Kubernetes limits a Secret to 1048576 bytes (1 MiB): split it into several Secrets or mount large files from a Volume',
        );
    });
});

test("Secret data over 1 MiB is rejected without showing values", async () => {
    await assertFails(
        () => new Secret("big", { env: { BLOB: "x".repeat(1024 * 1024 + 1) } }),
        'Secret "big": data is 1048581 bytes; Kubernetes limits a Secret to 1048576 bytes (1 MiB): split it into several Secrets or mount large files from a Volume',
    );
});

test("Secret.ref gives a key reference for workload env; Secret.existing mounts without creating", async () => {
    let s!: Secret;
    await emit(() => (s = new Secret("k", { env: { A: "1" } })));
    assert.deepEqual(
        { ...s.ref("A"), resource: undefined, checksum: undefined },
        { secretName: "k", key: "A", optional: undefined, resource: undefined, checksum: undefined },
    );
    const ext = Secret.existing("regcred", { imagePull: true });
    assert.equal(ext.binding().kind, "imagePull");
    const out = await emit(() => Secret.existing("x"));
    assert.equal(out.resources.length, 0);
});

test("the checksum of a Secret's content changes with the content and is not secret", async () => {
    const sums: string[] = [];
    for (const v of ["a", "a", "b"]) {
        let s!: Secret;
        await emit(() => (s = new Secret("c", { env: { K: pulumi.secret(v) } })));
        const checksum = pulumi.output(s.binding().checksum!);
        assert.equal(await (checksum as any).isSecret, false);
        sums.push(await new Promise<string>((res) => checksum.apply((x) => res(x))));
    }
    assert.equal(sums[0], sums[1]);
    assert.notEqual(sums[0], sums[2]);
});
