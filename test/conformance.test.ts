/** Every object Volume, Secret and Compute emit — with every option set — is valid against the Kubernetes schemas. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret, Volume } from "../src";
import { validateObject } from "./conformance";
import { emit, reveal } from "./helpers";

test("all options together emit schema-valid Kubernetes objects", async () => {
    const out = await emit(() => {
        const v = new Volume("models", {
            size: "100Gi",
            accessMode: "ReadWriteMany",
            storageClass: "nfs",
            namespace: "ml",
            labels: { a: "b" },
            annotations: { "x.io/y": "z" },
            mountPath: "/models",
        });
        const blk = new Volume("raw", {
            size: "10Gi",
            volumeMode: "Block",
            accessMode: "ReadWriteMany",
            namespace: "ml",
        });
        const s = new Secret("keys", { env: { K: pulumi.secret("v") }, namespace: "ml" });
        const files = new Secret("tls", { env: { "tls.crt": "c" }, mount: "files", namespace: "ml", fileMode: 0o440 });
        const ssh = new Secret("git", { gitSsh: { privateKey: "k", knownHosts: "h" }, namespace: "ml" });
        new Compute("api", {
            image: "img",
            namespace: "ml",
            command: ["serve"],
            args: ["--x"],
            env: { A: "1", B: s.ref("K"), C: { fieldRef: "metadata.name" } },
            workingDir: "/w",
            imagePullPolicy: "Always",
            imagePullSecrets: ["reg"],
            serviceAccountName: "sa",
            labels: { team: "ml" },
            annotations: { note: "x" },
            resources: {
                cpu: 2,
                memory: "4Gi",
                ephemeralStorage: "10Gi",
                gpu: 1,
                limits: { cpu: 4 },
                extendedResources: { "rdma/hca": 1 },
            },
            volumes: [v, blk, { volume: "other", mountPath: "/o", subPath: "s", readOnly: true }],
            emptyDirs: [{ mountPath: "/scratch", sizeLimit: "1Gi", medium: "Memory" }],
            sharedMemory: "1Gi",
            tmpfs: { size: "1Gi", path: "/fast" },
            ephemeralVolumes: [
                { mountPath: "/eph", size: "5Gi", storageClass: "local", accessMode: "ReadWriteOncePod" },
            ],
            secrets: [s, files, ssh],
            nodeSelector: "pool=gpu",
            tolerations: [{ key: "x", operator: "Exists" }],
            affinity: {
                podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                        { weight: 1, podAffinityTerm: { topologyKey: "kubernetes.io/hostname" } },
                    ],
                },
            },
            priorityClassName: "high",
            runtimeClassName: "nvidia",
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "zone", whenUnsatisfiable: "DoNotSchedule" }],
            securityContext: { runAsUser: 1000, fsGroup: 1000 },
            containerSecurityContext: { readOnlyRootFilesystem: true },
            podPatch: { terminationGracePeriodSeconds: 10 },
            autoscaling: {
                minReplicas: 1,
                maxReplicas: 3,
                targetMemoryUtilizationPercentage: 70,
                targetCPUUtilizationPercentage: 50,
            },
            ports: [
                { port: 80, targetPort: 8080, name: "http" },
                { port: 9000, name: "grpc", protocol: "TCP", nodePort: 30090 },
            ],
            serviceType: "LoadBalancer",
            readinessProbe: { path: "/ready", port: "http", timeoutSeconds: 2, failureThreshold: 3 },
            livenessProbe: { port: 9000 },
            startupProbe: { path: "/health", port: "http", periodSeconds: 10, failureThreshold: 30 },
            preStop: { path: "/drain" },
            disruptionBudget: { maxUnavailable: "50%" },
        });
    });
    const objects = out.objects().map(reveal);
    assert.deepEqual(objects.map((o) => o.kind).sort(), [
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PersistentVolumeClaim",
        "PersistentVolumeClaim",
        "PodDisruptionBudget",
        "Secret",
        "Secret",
        "Secret",
        "Service",
    ]);
    for (const o of objects) assert.deepEqual(validateObject(o), [], `${o.kind}/${o.metadata.name}`);
    // The Block volume is a device, not a mount.
    const c = out.get("Deployment", "api").spec.template.spec.containers[0];
    assert.deepEqual(c.volumeDevices, [{ name: "pvc-raw", devicePath: "/mnt/raw" }]);
});

test("the conformance check itself rejects what the API server would", () => {
    assert.ok(
        validateObject({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: "x" },
            spec: { accessModes: "ReadWriteOnce" },
        }).length > 0,
    );
    assert.ok(
        validateObject({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "x" }, spec: { template: {} } })
            .length > 0,
        "selector is required",
    );
});
