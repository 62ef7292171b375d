/**
 * Program runs for test/secret-checksum.test.ts, in a child process so that two runs share nothing: for
 * each scenario, a Secret and a Compute using it under mocks with the scenario's stack config (all of it
 * secret). Prints, per scenario, the Secret's checksum output and the Deployment's rollout annotation.
 * Usage: node --import tsx test/checksum-program.ts '[{"config":{...},"values":{...}}, ...]'
 */
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret } from "../src";
import { collect } from "../src/render/collect";

async function one(config: Record<string, string>, values: Record<string, string>): Promise<{ checksum: string; annotation: string }> {
    let checksum: pulumi.Output<string> | undefined;
    const r = await collect(
        () => {
            const s = new Secret("db", { env: values });
            new Compute("api", { image: "nginx", secrets: [s] });
            checksum = s.checksum;
        },
        { config, secretConfigKeys: Object.keys(config) },
    );
    if (r.errors.length) throw r.errors[0];
    const d = r.resources.find((x) => x.type === "kubernetes:apps/v1:Deployment")!;
    const annotation = (d.inputs as { spec: { template: { metadata: { annotations: Record<string, string> } } } }).spec.template.metadata.annotations["checksum.mlkube.dev/db"];
    return { checksum: await new Promise<string>((resolve) => checksum!.apply(resolve)), annotation };
}

async function main(): Promise<void> {
    const out = [];
    for (const s of JSON.parse(process.argv[2]) as { config: Record<string, string>; values: Record<string, string> }[]) out.push(await one(s.config, s.values));
    process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
    process.stderr.write(String(e?.message ?? e));
    process.exit(1);
});
