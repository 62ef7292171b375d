import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Compute, Secret, Volume } from "../src";
import { assertThrows, emit, OWNER } from "./helpers";
import { keepFieldManager } from "../src/metadata";
import { restrictedViolations } from "./pss";

const base = { image: "ghcr.io/acme/server:1.0" };

test("Compute: a Deployment with secure defaults, no Service without ports", async () => {
    const out = await emit(() => new Compute("worker", base));
    const d = out.get("Deployment", "worker");
    assert.equal(d.metadata.name, "worker");
    assert.equal(d.spec.replicas, 1);
    assert.deepEqual(d.spec.selector, { matchLabels: { "mlkube.dev/compute": "worker" } });
    assert.equal(d.spec.template.metadata.labels["mlkube.dev/compute"], "worker");
    const c = d.spec.template.spec.containers[0];
    assert.deepEqual(c, {
        name: "main",
        image: "ghcr.io/acme/server:1.0",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        terminationMessagePolicy: "FallbackToLogsOnError",
    });
    assert.deepEqual(d.spec.template.spec.securityContext, {
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
    });
    assert.equal(out.resources.filter((r) => r.type === "kubernetes:core/v1:Service").length, 0);
});

test("Compute: the default pod passes Pod Security Standards restricted; opting out is explicit", async () => {
    const out = await emit(() => {
        new Compute("a", { ...base, resources: { gpu: 2 }, sharedMemory: "1Gi", volumes: ["data"] });
        new Compute("b", { ...base, secureDefaults: false });
        new Compute("c", {
            ...base,
            securityContext: { runAsUser: 1000, fsGroup: 2000 },
            containerSecurityContext: { readOnlyRootFilesystem: true, capabilities: { add: ["NET_BIND_SERVICE"] } },
        });
    });
    assert.deepEqual(restrictedViolations(out.get("Deployment", "a").spec.template.spec), []);
    assert.ok(restrictedViolations(out.get("Deployment", "b").spec.template.spec).length > 0);
    const c = out.get("Deployment", "c").spec.template.spec;
    assert.deepEqual(restrictedViolations(c), []);
    assert.deepEqual(c.securityContext, {
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
        runAsUser: 1000,
        fsGroup: 2000,
    });
    assert.deepEqual(c.containers[0].securityContext, {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
        readOnlyRootFilesystem: true,
    });
    const override = await emit(() => new Compute("d", { ...base, securityContext: { runAsNonRoot: false } }));
    assert.equal(override.get("Deployment", "d").spec.template.spec.securityContext.runAsNonRoot, false);
});

test("Compute: ports give a Service and an endpoint; service types", async () => {
    let api!: Compute;
    const out = await emit(() => {
        api = new Compute("api", { ...base, namespace: "ml", ports: [{ port: 80, targetPort: 8000 }] });
        new Compute("multi", {
            ...base,
            ports: [{ port: 80 }, { port: 9090, name: "metrics" }],
            serviceType: "NodePort",
        });
        new Compute("headless", { ...base, ports: [{ port: 7000 }], serviceType: "Headless" });
    });
    const svc = out.get("Service", "api");
    assert.deepEqual(svc.spec, {
        type: "ClusterIP",
        selector: { "mlkube.dev/compute": "api" },
        ports: [{ port: 80, targetPort: 8000, protocol: "TCP" }],
    });
    assert.deepEqual(out.get("Deployment", "api").spec.template.spec.containers[0].ports, [{ containerPort: 8000 }]);
    assert.deepEqual(out.get("Service", "multi").spec.ports, [
        { name: "port-80", port: 80, targetPort: 80, protocol: "TCP" },
        { name: "metrics", port: 9090, targetPort: 9090, protocol: "TCP" },
    ]);
    assert.equal(out.get("Service", "multi").spec.type, "NodePort");
    assert.equal(out.get("Service", "headless").spec.clusterIP, "None");
    const endpoint = await new Promise((res) => api.endpoint.apply(res));
    assert.equal(endpoint, "api.ml.svc.cluster.local:80");
});

test("Compute: autoscaling creates an HPA and leaves replicas to it", async () => {
    const out = await emit(
        () =>
            new Compute("s", {
                ...base,
                resources: { cpu: "500m" },
                autoscaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 60 },
            }),
    );
    // replicas stays in the applied object (dropping it made the API server reset it to 1 when autoscaling was
    // turned on), at minReplicas, and the autoscaler owns it: ignoreChanges (docs/operations.md).
    assert.equal(out.get("Deployment", "s").spec.replicas, 2);
    assert.deepEqual(out.resource("Deployment", "s").options.ignoreChanges, keepFieldManager(["spec.replicas"]));
    assert.deepEqual(out.get("HorizontalPodAutoscaler", "s").spec, {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "s" },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
            { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } } },
        ],
    });
    assertThrows(
        () => new Compute("t", { ...base, autoscaling: { maxReplicas: 3 } }),
        'Compute "t": autoscaling: CPU-based autoscaling needs resources.cpu (utilization is measured against the request); set resources.cpu',
    );
});

test("Compute: mlkube owns the declared replica count, the autoscaler owns it with autoscaling (docs/operations.md)", async () => {
    const minOf = (a: { minReplicas?: number; maxReplicas: number }) => a.minReplicas ?? 1;
    const fixed = await emit(() => new Compute("f", { ...base, replicas: 3 }));
    const d = fixed.get("Deployment", "f");
    assert.equal(d.spec.replicas, 3);
    // Forced apply: a `kubectl scale` (or an autoscaler switched off) never blocks the next update with a
    // field conflict on spec.replicas, and the update puts the declared count back.
    assert.equal(d.metadata.annotations["pulumi.com/patchForce"], "true");
    assert.deepEqual(
        fixed.resource("Deployment", "f").options.ignoreChanges,
        keepFieldManager(),
        "only the field manager (test/ownership.test.ts)",
    );
    assert.equal(fixed.get("Deployment", "f").spec.replicas, 3);
    for (const autoscaling of [
        { maxReplicas: 4 },
        { minReplicas: 2, maxReplicas: 4 },
        { minReplicas: 5, maxReplicas: 5 },
    ]) {
        const out = await emit(() => new Compute("a", { ...base, resources: { cpu: 1 }, autoscaling }));
        const dep = out.resource("Deployment", "a") as { inputs: any; options: { ignoreChanges?: string[] } };
        assert.equal(dep.inputs.spec.replicas, minOf(autoscaling), JSON.stringify(autoscaling));
        assert.deepEqual(dep.options.ignoreChanges, keepFieldManager(["spec.replicas"]));
        assert.equal(dep.inputs.metadata.annotations["pulumi.com/patchForce"], "true");
        // The HPA and the Deployment start from the same count, so creating both never scales twice.
        assert.equal(out.get("HorizontalPodAutoscaler", "a").spec.minReplicas, minOf(autoscaling));
    }
    // A user annotation cannot switch the forced apply off by accident (mlkube's rule wins) and stays otherwise.
    const user = await emit(
        () => new Compute("u", { ...base, annotations: { "pulumi.com/patchForce": "false", owner: "ml" } }),
    );
    assert.deepEqual(user.get("Deployment", "u").metadata.annotations, {
        "pulumi.com/patchForce": "true",
        owner: "ml",
        ...OWNER,
    });
});

test("Compute: probes (HTTP, command, TCP) and skipAwait", async () => {
    const out = await emit(
        () =>
            new Compute("p", {
                ...base,
                ports: [{ port: 8000 }],
                readinessProbe: { path: "/health", periodSeconds: 5 },
                livenessProbe: { command: ["cat", "/tmp/alive"], initialDelaySeconds: 30 },
                skipAwait: true,
            }),
    );
    const d = out.get("Deployment", "p");
    const c = d.spec.template.spec.containers[0];
    assert.deepEqual(c.readinessProbe, { httpGet: { path: "/health", port: 8000 }, periodSeconds: 5 });
    assert.deepEqual(c.livenessProbe, { exec: { command: ["cat", "/tmp/alive"] }, initialDelaySeconds: 30 });
    assert.equal(d.metadata.annotations["pulumi.com/skipAwait"], "true");
    const tcp = await emit(() => new Compute("q", { ...base, readinessProbe: { port: 6379 } }));
    assert.deepEqual(tcp.get("Deployment", "q").spec.template.spec.containers[0].readinessProbe, {
        tcpSocket: { port: 6379 },
    });
});

test("Compute: resources, QoS and GPUs", async () => {
    const out = await emit(() => {
        new Compute("burst", {
            ...base,
            resources: { cpu: 2, memory: "8Gi", ephemeralStorage: "20Gi", limits: { memory: "12Gi" } },
        });
        new Compute("guar", { ...base, resources: { cpu: "4", memory: "16Gi", qos: "Guaranteed" } });
        new Compute("amd", { ...base, resources: { gpu: 1, gpuVendor: "amd" } });
        new Compute("custom", { ...base, resources: { gpu: 2, gpuVendor: "habana.ai/gaudi" }, gpuToleration: false });
    });
    const res = (n: string) => out.get("Deployment", n).spec.template.spec.containers[0].resources;
    assert.deepEqual(res("burst"), {
        requests: { cpu: "2", memory: "8Gi", "ephemeral-storage": "20Gi" },
        limits: { memory: "12Gi" },
    });
    assert.deepEqual(res("guar"), { requests: { cpu: "4", memory: "16Gi" }, limits: { cpu: "4", memory: "16Gi" } });
    assert.deepEqual(res("amd"), { requests: { "amd.com/gpu": "1" }, limits: { "amd.com/gpu": "1" } });
    assert.deepEqual(out.get("Deployment", "amd").spec.template.spec.tolerations, [
        { key: "amd.com/gpu", operator: "Exists", effect: "NoSchedule" },
    ]);
    assert.deepEqual(res("custom"), { requests: { "habana.ai/gaudi": "2" }, limits: { "habana.ai/gaudi": "2" } });
    assert.equal(out.get("Deployment", "custom").spec.template.spec.tolerations, undefined);
    assertThrows(
        () => new Compute("g", { ...base, resources: { qos: "Guaranteed", cpu: 1 } }),
        'Compute "g": resources.memory: qos "Guaranteed" needs memory; set it or use qos "Burstable"',
    );
    assertThrows(
        () => new Compute("l", { ...base, resources: { memory: "16Gi", limits: { memory: "8Gi" } } }),
        'Compute "l": resources.limits.memory: "8Gi" is less than the request "16Gi"; raise the limit or lower the request',
    );
    assertThrows(
        () => new Compute("v", { ...base, resources: { gpu: 1, gpuVendor: "nvdia" } }),
        'Compute "v": resources.gpuVendor: "nvdia" is neither a known vendor nor a domain-prefixed extended resource name; use "nvidia", "amd", "intel" or a resource name such as "habana.ai/gaudi"',
    );
});

test("Compute: storage — volumes (deduplicated), emptyDirs, shm, tmpfs, ephemeral volumes", async () => {
    const out = await emit(() => {
        const v = new Volume("models", { size: "100Gi", mountPath: "/models" });
        new Compute("s", {
            ...base,
            resources: { memory: "8Gi" },
            volumes: [
                v,
                { volume: v, mountPath: "/models-ro", readOnly: true, subPath: "hf" },
                Volume.existing("datasets", { mountPath: "/data" }),
                "scratch-claim",
            ],
            emptyDirs: [{ mountPath: "/cache", sizeLimit: "10Gi" }],
            sharedMemory: "2Gi",
            tmpfs: { path: "/fast" },
            ephemeralVolumes: [{ mountPath: "/work", size: "50Gi", storageClass: "local-nvme" }],
        });
    });
    const pod = out.get("Deployment", "s").spec.template.spec;
    assert.deepEqual(pod.volumes, [
        { name: "pvc-models", persistentVolumeClaim: { claimName: "models" } },
        { name: "pvc-datasets", persistentVolumeClaim: { claimName: "datasets" } },
        { name: "pvc-scratch-claim", persistentVolumeClaim: { claimName: "scratch-claim" } },
        { name: "scratch-cache", emptyDir: { sizeLimit: "10Gi" } },
        { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "2Gi" } },
        { name: "tmpfs", emptyDir: { medium: "Memory", sizeLimit: "4096Mi" } },
        {
            name: "ephemeral-work",
            ephemeral: {
                volumeClaimTemplate: {
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: "local-nvme",
                        resources: { requests: { storage: "50Gi" } },
                    },
                },
            },
        },
    ]);
    const c = pod.containers[0];
    assert.deepEqual(c.volumeMounts, [
        { name: "pvc-models", mountPath: "/models" },
        { name: "pvc-models", mountPath: "/models-ro", subPath: "hf", readOnly: true },
        { name: "pvc-datasets", mountPath: "/data" },
        { name: "pvc-scratch-claim", mountPath: "/mnt/scratch-claim" },
        { name: "scratch-cache", mountPath: "/cache" },
        { name: "dshm", mountPath: "/dev/shm" },
        { name: "tmpfs", mountPath: "/fast" },
        { name: "ephemeral-work", mountPath: "/work" },
    ]);
    assert.deepEqual(c.env, [{ name: "TMPDIR", value: "/fast" }]);
    const deps = out.resource("Deployment", "s").options.dependsOn ?? [];
    assert.ok(
        deps.some((u) => u.endsWith("PersistentVolumeClaim::models")),
        "the Deployment waits for the claim",
    );
    assertThrows(
        () => new Compute("dup", { ...base, volumes: ["a", { volume: "b", mountPath: "/mnt/a" }] }),
        'Compute "dup": volumes[1]: mountPath "/mnt/a" is already used by volumes.0; mount it elsewhere',
    );
    assertThrows(
        () => new Compute("t", { ...base, tmpfs: {} }),
        'Compute "t": tmpfs.size: is required when resources.memory is not set (the default is half the memory request)',
    );
});

test("Compute: secrets reach the container as their kind says, and a content change rolls the pods", async () => {
    const home = process.env.HOME;
    const outFor = async (token: string) =>
        emit(() => {
            const env = new Secret("keys", { env: { OPENAI_API_KEY: pulumi.secret(token) } });
            const files = new Secret("tls", { env: { "tls.crt": "C" }, mount: "files", mountPath: "/etc/tls" });
            const ssh = new Secret("git", { gitSsh: { privateKey: "K" } });
            const reg = Secret.existing("regcred", { imagePull: true });
            new Compute("app", {
                ...base,
                secrets: [env, files, ssh, reg, "plain-existing"],
                env: { ONE: env.ref("OPENAI_API_KEY"), POD_IP: { fieldRef: "status.podIP" } },
                imagePullSecrets: ["other-reg"],
            });
        });
    const out = await outFor("v1");
    const pod = out.get("Deployment", "app").spec.template;
    const c = pod.spec.containers[0];
    assert.deepEqual(c.envFrom, [{ secretRef: { name: "keys" } }, { secretRef: { name: "plain-existing" } }]);
    assert.deepEqual(c.env, [
        { name: "ONE", valueFrom: { secretKeyRef: { name: "keys", key: "OPENAI_API_KEY" } } },
        { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        {
            name: "GIT_SSH_COMMAND",
            value: "ssh -i /etc/mlkube/secrets/git/ssh-privatekey -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new",
        },
    ]);
    // Non-root pod (secure defaults): root-owned files readable through the default fsGroup.
    assert.deepEqual(pod.spec.volumes, [
        { name: "secret-tls", secret: { secretName: "tls", defaultMode: 0o440 } },
        { name: "secret-git", secret: { secretName: "git", defaultMode: 0o440 } },
    ]);
    assert.deepEqual(pod.spec.securityContext, {
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
        fsGroup: 1000,
        fsGroupChangePolicy: "OnRootMismatch",
    });
    assert.deepEqual(c.volumeMounts, [
        { name: "secret-tls", mountPath: "/etc/tls", readOnly: true },
        { name: "secret-git", mountPath: "/etc/mlkube/secrets/git", readOnly: true },
    ]);
    assert.deepEqual(pod.spec.imagePullSecrets, [{ name: "regcred" }, { name: "other-reg" }]);
    assert.deepEqual(Object.keys(pod.metadata.annotations).sort(), [
        "checksum.mlkube.dev/git",
        "checksum.mlkube.dev/keys",
        "checksum.mlkube.dev/tls",
    ]);
    const again = (await outFor("v1")).get("Deployment", "app").spec.template.metadata.annotations;
    const changed = (await outFor("v2")).get("Deployment", "app").spec.template.metadata.annotations;
    assert.deepEqual(again, pod.metadata.annotations, "same content, same pod template: no diff, no rollout");
    assert.notEqual(
        changed["checksum.mlkube.dev/keys"],
        pod.metadata.annotations["checksum.mlkube.dev/keys"],
        "new content rolls the pods",
    );
    assert.equal(changed["checksum.mlkube.dev/tls"], pod.metadata.annotations["checksum.mlkube.dev/tls"]);
    assert.equal(process.env.HOME, home);
});

test("Compute: scheduling — node selectors (object, string, config), tolerations, affinity, priority, runtime class, spread", async () => {
    const aff = {
        nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }],
            },
        },
    };
    const spread = [
        {
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "ScheduleAnyway",
            labelSelector: { matchLabels: { app: "x" } },
        },
    ];
    const out = await emit(
        () => {
            new Compute("a", {
                ...base,
                nodeSelector: "gpu=a100, pool=train",
                tolerations: [{ key: "spot", operator: "Exists" }],
                affinity: aff,
                priorityClassName: "high",
                runtimeClassName: "nvidia",
                topologySpreadConstraints: spread,
                serviceAccountName: "runner",
            });
            new Compute("b", { ...base, nodeSelector: { pool: "serve" } });
        },
        {
            "mlkube:nodeSelector": '{"cloud":"aws"}',
            "mlkube:tolerations": '[{"key":"dedicated","operator":"Equal","value":"ml","effect":"NoSchedule"}]',
        },
    );
    const a = out.get("Deployment", "a").spec.template.spec;
    assert.deepEqual(a.nodeSelector, { cloud: "aws", gpu: "a100", pool: "train" });
    assert.deepEqual(a.tolerations, [
        { key: "dedicated", operator: "Equal", value: "ml", effect: "NoSchedule" },
        { key: "spot", operator: "Exists" },
    ]);
    assert.deepEqual(a.affinity, aff);
    assert.equal(a.priorityClassName, "high");
    assert.equal(a.runtimeClassName, "nvidia");
    assert.equal(a.serviceAccountName, "runner");
    assert.deepEqual(a.topologySpreadConstraints, spread);
    assert.deepEqual(out.get("Deployment", "b").spec.template.spec.nodeSelector, { cloud: "aws", pool: "serve" });
    assertThrows(
        () => new Compute("c", { ...base, nodeSelector: "gpu" }),
        'Compute "c": nodeSelector: "gpu" is not key=value; write "key=value,key2=value2" or an object',
    );
});

test("Compute: metadata goes where it belongs (objects, pods, Service); env, command, args, workingDir, pull policy", async () => {
    const out = await emit(
        () =>
            new Compute("x", {
                ...base,
                labels: { team: "ml" },
                annotations: { owner: "ml-platform" },
                serviceAnnotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" },
                serviceLabels: { exposed: "yes" },
                ports: [{ port: 80 }],
                serviceType: "LoadBalancer",
                command: ["python", "-m", "srv"],
                args: ["--port", "80"],
                workingDir: "/app",
                imagePullPolicy: "IfNotPresent",
                env: { A: "1", B: pulumi.output("2") },
            }),
    );
    const d = out.get("Deployment", "x");
    const svc = out.get("Service", "x");
    // labels/annotations: every object of the component, not the pods.
    assert.equal(d.metadata.labels.team, "ml");
    assert.equal(svc.metadata.labels.team, "ml");
    assert.equal(d.metadata.annotations.owner, "ml-platform");
    assert.equal(d.spec.template.metadata.labels.team, undefined);
    assert.equal(d.spec.template.metadata.annotations, undefined);
    // pod*: the pods only.
    const pod = await emit(
        () =>
            new Compute("y", {
                ...base,
                podLabels: { tier: "serving" },
                podAnnotations: { "prometheus.io/scrape": "true" },
            }),
    );
    const pd = pod.get("Deployment", "y");
    assert.equal(pd.spec.template.metadata.labels.tier, "serving");
    assert.equal(pd.spec.template.metadata.labels["app.kubernetes.io/name"], "y");
    assert.deepEqual(pd.spec.template.metadata.annotations, { "prometheus.io/scrape": "true" });
    assert.equal(pd.metadata.labels.tier, undefined);
    assert.deepEqual(
        pd.metadata.annotations,
        { "pulumi.com/patchForce": "true", ...OWNER },
        "only mlkube's replicas ownership (docs/operations.md) and the ownership marker",
    );
    // service*: the Service only — a load balancer annotation does not land on the Deployment or pods.
    assert.equal(svc.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], "nlb");
    assert.equal(svc.metadata.labels.exposed, "yes");
    assert.equal(d.metadata.annotations["service.beta.kubernetes.io/aws-load-balancer-type"], undefined);
    assert.equal(d.metadata.labels.exposed, undefined);
    assertThrows(
        () => new Compute("z", { ...base, serviceAnnotations: { a: "b" } }),
        'Compute "z": serviceAnnotations: needs ports (without ports no Service is created)',
    );
    const c = d.spec.template.spec.containers[0];
    assert.deepEqual(
        [c.command, c.args, c.workingDir, c.imagePullPolicy],
        [["python", "-m", "srv"], ["--port", "80"], "/app", "IfNotPresent"],
    );
    assert.deepEqual(c.env, [
        { name: "A", value: "1" },
        { name: "B", value: "2" },
    ]);
});

test("Compute: podPatch merges last, containers by name", async () => {
    const out = await emit(
        () =>
            new Compute("x", {
                ...base,
                env: { A: "1" },
                podPatch: {
                    terminationGracePeriodSeconds: 5,
                    hostAliases: [{ ip: "10.0.0.1", hostnames: ["db"] }],
                    containers: [
                        { name: "main", env: [{ name: "B", value: "2" }], stdin: true },
                        { name: "sidecar", image: "busybox" },
                    ],
                },
            }),
    );
    const spec = out.get("Deployment", "x").spec.template.spec;
    assert.equal(spec.terminationGracePeriodSeconds, 5);
    assert.deepEqual(
        spec.containers.map((c: any) => c.name),
        ["main", "sidecar"],
    );
    assert.deepEqual(spec.containers[0].env, [
        { name: "A", value: "1" },
        { name: "B", value: "2" },
    ]);
    assert.equal(spec.containers[0].stdin, true);
    assertThrows(
        () => new Compute("y", { ...base, podPatch: { hostNetwrk: true } as never }),
        'Compute "y": podPatch.hostNetwrk: unknown field; did you mean "hostNetwork"?',
    );
});

test("Compute: children are parented to the component and depend on Secrets and Volumes", async () => {
    const out = await emit(() => {
        const s = new Secret("k", { env: { A: "1" } });
        new Compute("x", { ...base, secrets: [s], ports: [{ port: 80 }] });
    });
    const comp = out.resources.find((r) => r.type === "mlkube:index:Compute")!;
    for (const kind of ["Deployment", "Service"]) {
        const r = out.resource(kind, "x");
        assert.equal(r.parent, comp.urn);
        assert.ok(r.options.dependsOn?.some((u) => u.endsWith("core/v1:Secret::k")));
    }
});

test("Compute: stack config defaults — namespace, labels, annotations, pull secrets, service account", async () => {
    const out = await emit(() => new Compute("cfg", { ...base, ports: [{ port: 80 }] }), {
        "mlkube:namespace": "team-a",
        "mlkube:labels": '{"cost-center":"42"}',
        "mlkube:annotations": '{"owner.example.com/team":"ml"}',
        "mlkube:imagePullSecrets": '["regcred"]',
        "mlkube:serviceAccountName": "runner",
    });
    const d = out.get("Deployment", "cfg");
    assert.equal(d.metadata.namespace, "team-a");
    assert.equal(out.get("Service", "cfg").metadata.namespace, "team-a");
    assert.equal(d.metadata.labels["cost-center"], "42");
    assert.equal(d.spec.template.metadata.labels["cost-center"], "42", "config labels reach the pods");
    assert.equal(d.metadata.annotations["owner.example.com/team"], "ml");
    assert.deepEqual(d.spec.template.spec.imagePullSecrets, [{ name: "regcred" }]);
    assert.equal(d.spec.template.spec.serviceAccountName, "runner");
});

test("outputs: names and namespaces are the children's, built on first read and then the same Output (issue 15)", async () => {
    const value = <T>(o: pulumi.Output<T>) => new Promise<T>((res) => o.apply((v) => res(v)));
    let read: Promise<unknown[]> | undefined;
    await emit(() => {
        const v = new Volume("data", { size: "1Gi", name: "data-claim", namespace: "ml" });
        const s = new Secret("creds", { env: { TOKEN: "x" }, namespace: "ml" });
        const c = new Compute("api", {
            image: "i",
            ports: [{ port: 80 }],
            namespace: "ml",
            volumes: [v],
            secrets: [s],
        });
        // One Output per getter and instance, however often it is read (they are built lazily, not per read).
        for (const [o, k] of [
            [v, "claimName"],
            [v, "namespace"],
            [s, "secretName"],
            [s, "namespace"],
            [c, "deploymentName"],
            [c, "namespace"],
            [c, "serviceName"],
            [c, "endpoint"],
        ] as const) {
            assert.equal(
                (o as unknown as Record<string, unknown>)[k],
                (o as unknown as Record<string, unknown>)[k],
                `${k} is one Output`,
            );
        }
        read = Promise.all(
            [
                v.claimName,
                v.namespace,
                s.secretName,
                s.namespace,
                c.deploymentName,
                c.namespace,
                c.serviceName,
                c.endpoint,
            ].map((o) => value(o as pulumi.Output<unknown>)),
        );
    });
    assert.deepEqual(await read, [
        "data-claim",
        "ml",
        "creds",
        "ml",
        "api",
        "ml",
        "api",
        "api.ml.svc.cluster.local:80",
    ]);
});
