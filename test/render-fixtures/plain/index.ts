// Plain @pulumi/kubernetes resources, declared out of apply order on purpose.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

const config = new pulumi.Config();
const ns = new k8s.core.v1.Namespace("team", {});
const labels = { app: "web" };
new k8s.apps.v1.Deployment("web", {
    metadata: { namespace: ns.metadata.name },
    spec: {
        replicas: config.requireNumber("replicas"),
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: "web", image: config.require("image") }] } },
    },
});
new k8s.core.v1.Service("web", {
    metadata: { name: "web", namespace: ns.metadata.name },
    spec: { selector: labels, ports: [{ port: 80 }] },
});
new k8s.core.v1.Secret("db", {
    metadata: { name: "db", namespace: ns.metadata.name },
    stringData: { password: config.requireSecret("password"), user: "admin" },
});
new k8s.core.v1.ConfigMap("settings", {
    metadata: { name: "settings", namespace: ns.metadata.name },
    data: { plain: "visible", token: pulumi.secret("s3cr3t") },
});
console.log("program output goes to stderr");
export const namespace = ns.metadata.name;
