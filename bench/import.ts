/**
 * Child process for the start-up benchmark: `node import.js <sdk|kubernetes|mlkube>` imports
 * @pulumi/pulumi, then nothing more / @pulumi/kubernetes / mlkube, and prints how long the imports took.
 * `kubernetes` touches the kinds a raw program uses (the package loads its modules lazily).
 */
const t0 = process.hrtime.bigint();
const variant = process.argv[2];
require("@pulumi/pulumi");
if (variant === "kubernetes") {
    const k8s = require("@pulumi/kubernetes") as typeof import("@pulumi/kubernetes");
    void [k8s.core.v1.Secret, k8s.core.v1.PersistentVolumeClaim, k8s.core.v1.Service, k8s.apps.v1.Deployment, k8s.apiextensions.CustomResource];
} else if (variant === "mlkube") {
    require("../src/index");
} else if (variant !== "sdk") {
    throw new Error(`unknown variant ${variant}`);
}
const importMs = Number(process.hrtime.bigint() - t0) / 1e6;
process.stdout.write(JSON.stringify({ variant, importMs, maxRssKiB: process.resourceUsage().maxRSS }) + "\n");
