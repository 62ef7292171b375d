/**
 * A Secret and a Compute using it, under mocks, for test/secret-checksum.test.ts: `checksumRun` in the
 * test's process, and as a script in a child process so that two program runs share nothing. Prints, per
 * scenario, the Secret's checksum output and the Deployment's rollout annotation.
 * Usage: node --import tsx test/checksum-program.ts '[{"config":{...},"values":{...}}, ...]' (all config secret)
 */
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret } from "../src";
import { collect, Collected } from "../src/render/collect";

/** Runs the program with `config` (the keys in `secretKeys` secret) in stack `stack`. */
export async function checksumRun(
    values: Record<string, string>,
    config: Record<string, string> = {},
    secretKeys: string[] = Object.keys(config),
    stack = "dev",
): Promise<{ r: Collected; checksum?: string; annotation?: string }> {
    let checksum: pulumi.Output<string> | undefined;
    const r = await collect(
        () => {
            const s = new Secret("db", { env: values });
            new Compute("api", { image: "nginx", secrets: [s] });
            checksum = s.checksum;
        },
        { stack, config, secretConfigKeys: secretKeys },
    );
    const value = checksum ? await new Promise<string>((resolve) => checksum!.apply(resolve)) : undefined;
    const d = r.resources.find((x) => x.type === "kubernetes:apps/v1:Deployment");
    const annotation = (
        d?.inputs as { spec: { template: { metadata: { annotations?: Record<string, string> } } } } | undefined
    )?.spec.template.metadata.annotations?.["checksum.mlkube.dev/db"];
    return { r, checksum: value, annotation };
}

async function main(): Promise<void> {
    const out = [];
    for (const s of JSON.parse(process.argv[2]) as {
        config: Record<string, string>;
        values: Record<string, string>;
    }[]) {
        const { r, checksum, annotation } = await checksumRun(s.values, s.config);
        if (r.errors.length) throw r.errors[0];
        out.push({ checksum, annotation });
    }
    process.stdout.write(JSON.stringify(out));
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write(String(e?.message ?? e));
        process.exit(1);
    });
}
