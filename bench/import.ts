/**
 * Child process for the start-up benchmark: `node import.js <sdk|kubernetes|mlkube>` imports
 * @pulumi/pulumi, then nothing more / @pulumi/kubernetes / mlkube, and prints how long each step
 * took (wall and CPU). `kubernetes` touches the kinds a raw program uses (the package loads its
 * modules lazily). The step after @pulumi/pulumi is what the driver compares, so the SDK's own
 * start-up (large, and noisy on a loaded machine) cancels out.
 */
const t0 = process.hrtime.bigint();
const c0 = process.cpuUsage();
const variant = process.argv[2];
require("@pulumi/pulumi");
const t1 = process.hrtime.bigint();
const c1 = process.cpuUsage();
if (variant === "kubernetes") {
    const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
    void [
        k8s.core.v1.Secret,
        k8s.core.v1.PersistentVolumeClaim,
        k8s.core.v1.Service,
        k8s.apps.v1.Deployment,
        k8s.apiextensions.CustomResource,
    ];
} else if (variant === "mlkube") {
    require("../src/index");
} else if (variant !== "sdk") {
    throw new Error(`unknown variant ${variant}`);
}
const t2 = process.hrtime.bigint();
const c2 = process.cpuUsage();
const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;
process.stdout.write(
    JSON.stringify({
        variant,
        sdkMs: Number(t1 - t0) / 1e6,
        sdkCpuMs: cpuMs(c0, c1),
        importMs: Number(t2 - t1) / 1e6,
        importCpuMs: cpuMs(c1, c2),
        maxRssKiB: process.resourceUsage().maxRSS,
    }) + "\n",
);
