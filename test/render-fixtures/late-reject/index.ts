// Rejects after the program returned.
import * as k8s from "@pulumi/kubernetes";
new k8s.core.v1.ConfigMap("early", { metadata: { name: "early" }, data: { a: "b" } });
setTimeout(() => {
    Promise.reject(new Error("late failure: the model registry said no"));
}, 20);
