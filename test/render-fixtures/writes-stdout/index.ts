// Writes straight to process.stdout; declares values a YAML 1.1 reader would misread unquoted.
import * as k8s from "@pulumi/kubernetes";
process.stdout.write("not yaml: [\n");
new k8s.core.v1.ConfigMap("flags", {
    metadata: { name: "flags" },
    data: { a: "yes", b: "on", c: "n", d: "1_000", e: "2024-01-31" },
});
