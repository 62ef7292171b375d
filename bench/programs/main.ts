/**
 * Child process entry: `node main.js <mlkube|raw|floor> <N> <trainJobs 0|1> [basic|rich]`. Runs one program under
 * the SDK's mocks and prints one JSON line with its phases; the driver measures wall time and peak RSS
 * of the whole process from outside.
 *
 * Diagnostics (not used by the driver's measurements):
 *   MLKUBE_BENCH_HEAPSNAPSHOT=DIR   write DIR/<program>-<N>-built.heapsnapshot right after the program
 *                                   constructed everything (before the RPCs drain: the peak) and
 *                                   DIR/<program>-<N>-drained.heapsnapshot after; summarise them with
 *                                   `node --import tsx bench/heap.ts` (docs/performance.md).
 *   node --expose-gc main.js …      also report `liveHeapBuiltMiB`: the V8 heap after a full GC right
 *                                   after construction, i.e. what the program retains at its peak
 *                                   (deterministic, unlike peak RSS, which depends on when V8 collects).
 */
// Type-only: workload.ts loads @pulumi/pulumi, which must load after t0.
import type { Workload } from "./workload";

const t0 = process.hrtime.bigint();
const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;

async function main(): Promise<void> {
    const [program, nArg, tjArg, workloadArg = "basic"] = process.argv.slice(2);
    if (!["mlkube", "raw", "floor"].includes(program)) throw new Error(`unknown program ${program}`);
    const workload = (["basic", "plain", "rich"] as const).find((w): w is Workload => w === workloadArg);
    if (!workload) throw new Error(`unknown workload ${workloadArg}`);
    const n = Number(nArg);
    const trainJobs = tjArg === "1";

    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
    const tSdk = process.hrtime.bigint();
    const mod = require(`./${program}`) as { build(n: number, o: { trainJobs: boolean; workload: Workload }): void };
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
    mod.build(n, { trainJobs, workload });
    const tBuild = process.hrtime.bigint();
    const snapDir = process.env.MLKUBE_BENCH_HEAPSNAPSHOT;
    const snap = (phase: string) => {
        if (!snapDir) return;
        const v8 = require("node:v8") as typeof import("node:v8");
        const file = require("node:path").join(snapDir, `${program}-${n}-${phase}.heapsnapshot`);
        v8.writeHeapSnapshot(file);
        process.stderr.write(`wrote ${file}\n`);
    };
    snap("built");
    const gc = (globalThis as { gc?: () => void }).gc;
    let liveHeapBuiltMiB: number | undefined;
    if (gc) {
        gc();
        liveHeapBuiltMiB = process.memoryUsage().heapUsed / 2 ** 20;
    }
    await settings.waitForRPCs();
    const tDrain = process.hrtime.bigint();
    snap("drained");

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
        ...(liveHeapBuiltMiB === undefined ? {} : { liveHeapBuiltMiB }),
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
