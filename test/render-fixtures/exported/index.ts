import * as k8s from "@pulumi/kubernetes";
import { suffix } from "./src/helper";

export = async () => {
    await new Promise((r) => setTimeout(r, 10));
    const cm = new k8s.core.v1.ConfigMap("late", { metadata: { name: `late-${suffix}` }, data: { a: "1" } });
    return { name: cm.metadata.name };
};
