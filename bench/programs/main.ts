/**
 * Child process entry: `node main.js <mlkube|raw|floor> <N> <trainJobs 0|1>`. Runs one program under
 * the SDK's mocks and prints one JSON line with its phases; the driver measures wall time and peak RSS
 * of the whole process from outside.
 */
const t0 = process.hrtime.bigint();
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

async function main(): Promise<void> {
    const [program, nArg, tjArg] = process.argv.slice(2);
    if (!["mlkube", "raw", "floor"].includes(program)) throw new Error(`unknown program ${program}`);
    const n = Number(nArg);
    const trainJobs = tjArg === "1";

    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    const tSdk = process.hrtime.bigint();
    const mod = require(`./${program}`) as { build(n: number, o: { trainJobs: boolean }): void };
    const tImport = process.hrtime.bigint();

    let custom = 0;
    let components = 0;
    await pulumi.runtime.setMocks(
        {
            newResource(a) {
                if (a.custom ?? a.type.startsWith("kubernetes:")) custom++;
                else components++;
                return { id: `${a.name}-id`, state: a.inputs };
            },
            call(a) {
                return a.inputs;
            },
        },
        "bench",
        "dev",
        false,
    );
    const tMocks = process.hrtime.bigint();
    mod.build(n, { trainJobs });
    const tBuild = process.hrtime.bigint();
    await settings.waitForRPCs();
    const tDrain = process.hrtime.bigint();

    const out = {
        program,
        n,
        objects: custom,
        components,
        sdkImportMs: ms(t0, tSdk),
        programImportMs: ms(tSdk, tImport),
        buildMs: ms(tMocks, tBuild),
        drainMs: ms(tBuild, tDrain),
        maxRssKiB: process.resourceUsage().maxRSS,
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    };
    process.stdout.write(JSON.stringify(out) + "\n");
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
