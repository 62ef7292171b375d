/**
 * Rules the Kubernetes API server (and kubelet) enforce that mlkube checks before anything is created:
 * Service names, port names, probe ports, node ports, duplicate container ports, Secret keys and paths,
 * subPath, Downward API fields, 32-bit integers, quantities, annotation size, GIT_SSH_COMMAND quoting.
 * Each message is asserted exactly; the conformance checker (test/conformance.ts) applies the same rules
 * to emitted objects.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Compute, Secret, TrainJob, Volume } from "../src";
import { validateObject } from "./conformance";
import { assertFails, assertThrows, emit, reveal } from "./helpers";

const base = { image: "img" };

test("API rules: a Compute with ports needs a DNS-1035 Service name", () => {
    assertThrows(
        () => new Compute("1api", { ...base, ports: [{ port: 80 }] }),
        'Compute "1api": name: "1api" is not a valid Service name (a DNS-1035 label: lowercase letters, digits and \'-\', starting with a letter, at most 63 characters); set name: "svc-1api"',
    );
    assertThrows(
        () => new Compute("x", { ...base, name: "2-api", ports: [{ port: 80 }] }),
        'Compute "x": name: "2-api" is not a valid Service name (a DNS-1035 label: lowercase letters, digits and \'-\', starting with a letter, at most 63 characters); set name: "svc-2-api"',
    );
    new Compute("1worker", base); // no ports, no Service: a DNS-1123 name is enough
});

test("API rules: port names are IANA service names, unique, and do not collide with defaulted port-<n> names", () => {
    const msg = (n: string, fix: string) =>
        `Compute "api": ports[0].name: ${JSON.stringify(n)} is not a valid port name (an IANA service name: at most 15 lowercase letters, digits and '-', with a letter, no "--", not starting or ending with '-'); use ${JSON.stringify(fix)}`;
    assertThrows(() => new Compute("api", { ...base, ports: [{ port: 80, name: "a--b" }] }), msg("a--b", "a-b"));
    assertThrows(() => new Compute("api", { ...base, ports: [{ port: 80, name: "8080" }] }), msg("8080", "p8080"));
    assertThrows(
        () => new Compute("api", { ...base, ports: [{ port: 80, name: "metrics-endpoint" }] }),
        msg("metrics-endpoint", "metrics-endpoin"),
    );
    assertThrows(
        () =>
            new Compute("api", {
                ...base,
                ports: [
                    { port: 80, name: "http" },
                    { port: 81, name: "http" },
                ],
            }),
        'Compute "api": ports[1].name: port name "http" is also the name of ports[0]; port names must be unique',
    );
    assertThrows(
        () => new Compute("api", { ...base, ports: [{ port: 80 }, { port: 81, name: "port-80" }] }),
        'Compute "api": ports[1].name: port name "port-80" is also the name of ports[0]; port names must be unique (unnamed ports are named port-<port>)',
    );
});

test("API rules: probes by port name must name a declared port; timing fields are 32-bit", () => {
    assertThrows(
        () =>
            new Compute("api", {
                ...base,
                ports: [{ port: 80, name: "http" }],
                readinessProbe: { path: "/", port: "htp" },
            }),
        'Compute "api": readinessProbe.port: "htp" is not the name of a port of this Compute (it has "http"); did you mean "http"?',
    );
    assertThrows(
        () => new Compute("api", { ...base, livenessProbe: { port: "http" } }),
        'Compute "api": livenessProbe.port: "http" is not the name of a port of this Compute (it has none); use a port number or declare the port in ports',
    );
    assertThrows(
        () => new Compute("api", { ...base, ports: [{ port: 80 }], readinessProbe: { periodSeconds: 2 ** 31 } }),
        'Compute "api": readinessProbe.periodSeconds: must be at most 2147483647',
    );
});

test("API rules: nodePort is in the default node-port range 30000-32767", () => {
    assertThrows(
        () => new Compute("api", { ...base, serviceType: "NodePort", ports: [{ port: 80, nodePort: 8080 }] }),
        'Compute "api": ports[0].nodePort: 8080 is outside the Service node-port range 30000-32767 (the API server\'s default --service-node-port-range); use a port in that range or leave nodePort out',
    );
});

test("API rules: two Service ports with one targetPort give one containerPort (no duplicate containerPort/protocol)", async () => {
    const out = await emit(
        () =>
            new Compute("api", {
                ...base,
                ports: [
                    { port: 80, targetPort: 8080, name: "http" },
                    { port: 8080, name: "direct" },
                    { port: 53, targetPort: 8080, protocol: "UDP", name: "dns" },
                ],
                readinessProbe: { path: "/", port: "direct" },
            }),
    );
    const c = out.get("Deployment", "api").spec.template.spec.containers[0];
    assert.deepEqual(c.ports, [
        { name: "http", containerPort: 8080 },
        { name: "dns", containerPort: 8080, protocol: "UDP" },
    ]);
    assert.deepEqual(
        c.readinessProbe.httpGet,
        { path: "/", port: 8080 },
        "a probe naming a Service port whose container port is listed under another name uses the number",
    );
    for (const o of out.objects()) assert.deepEqual(validateObject(o), []);
});

test("API rules: a Secret name longer than 63 characters is not copied into a label value", async () => {
    const long = `${"a".repeat(70)}.example`;
    const out = await emit(() => new Secret("s", { name: long, env: { A: "1" } }));
    const labels = out.get("Secret", "s").metadata.labels;
    assert.ok(labels["app.kubernetes.io/name"].length <= 63);
    assert.match(labels["app.kubernetes.io/name"], /^a+-[0-9a-f]{8}$/);
    for (const o of out.objects()) assert.deepEqual(validateObject(reveal(o)), []);
});

test("API rules: Secret keys and item paths — '.', '..' and keys starting with '..' are refused", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-keys-"));
    fs.writeFileSync(path.join(dir, "..hidden"), "x");
    assertThrows(
        () => new Secret("s", { fromFile: [path.join(dir, "..hidden")] }),
        "Secret \"s\": fromFile[0]: file name \"..hidden\" is not a valid Secret key ('.', '..' and names starting with '..' are reserved by the kubelet); use \"hidden\"",
    );
    assertThrows(
        () => new Secret("d", { fromDirectory: dir }),
        'Secret "d": fromDirectory: file "..hidden" cannot be a Secret key: "..hidden" is not a valid Secret key (\'.\', \'..\' and names starting with \'..\' are reserved by the kubelet); use "hidden"',
    );
    assertThrows(
        () => new Secret("e", { env: { "..data": "x" } }),
        'Secret "e": env["..data"]: "..data" is not a valid Secret key (\'.\', \'..\' and names starting with \'..\' are reserved by the kubelet); use "data"',
    );
    assertThrows(
        () => new Secret("f", { env: { ".": "x" } }),
        'Secret "f": env["."]: "." is not a valid Secret key (\'.\', \'..\' and names starting with \'..\' are reserved by the kubelet); use "key"',
    );
    assertThrows(
        () => Secret.existing("creds").ref(""),
        "Secret \"creds\": ref: \"\" is not a valid Secret key (letters, digits, '-', '_' and '.', at most 253 characters); use \"key\"",
    );
    assertThrows(
        () => Secret.existing("creds").ref(".."),
        "Secret \"creds\": ref: \"..\" is not a valid Secret key ('.', '..' and names starting with '..' are reserved by the kubelet); use \"key\"",
    );
    assertThrows(
        () => new Compute("api", { ...base, env: { A: { secretName: "creds", key: "..x" } } }),
        "Compute \"api\": env.A.key: \"..x\" is not a valid Secret key ('.', '..' and names starting with '..' are reserved by the kubelet); use \"x\"",
    );
    fs.rmSync(dir, { recursive: true });
});

test("API rules: subPath is relative without '..'; fieldRef is a Downward API field", () => {
    assertThrows(
        () => new Compute("api", { ...base, volumes: [{ volume: "data", subPath: "../etc" }] }),
        "Compute \"api\": volumes[0].subPath: \"../etc\" must be a relative path inside the volume (no leading '/', no '..')",
    );
    assertThrows(
        () => new Compute("api", { ...base, volumes: [{ volume: "data", subPath: "/abs" }] }),
        "Compute \"api\": volumes[0].subPath: \"/abs\" must be a relative path inside the volume (no leading '/', no '..')",
    );
    assertThrows(
        () => new Compute("api", { ...base, env: { IP: { fieldRef: "status.podIp" } } }),
        'Compute "api": env.IP.fieldRef: "status.podIp" is not a Downward API field for env (metadata.name, metadata.namespace, metadata.uid, metadata.labels[\'<key>\'], metadata.annotations[\'<key>\'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.hostIPs, status.podIP, status.podIPs); did you mean "status.podIP"?',
    );
});

test("API rules: int32 fields are bounded; numNodes ≤ 100000; quantities are finite (no sizeLimit InfinityMi)", () => {
    assertThrows(
        () => new Compute("api", { ...base, replicas: 2 ** 31 }),
        'Compute "api": replicas: must be at most 2147483647',
    );
    assertThrows(
        () => new Compute("api", { ...base, autoscaling: { maxReplicas: 2 ** 32 }, resources: { cpu: 1 } }),
        'Compute "api": autoscaling.maxReplicas: must be at most 2147483647',
    );
    assertThrows(
        () => new TrainJob("t", { ...base, numNodes: 100001 }),
        'TrainJob "t": numNodes: must be at most 100000 (the Indexed Job limit on completions)',
    );
    assertThrows(
        () => new TrainJob("t", { ...base, maxRestarts: 2 ** 31 }),
        'TrainJob "t": maxRestarts: must be at most 2147483647',
    );
    assertThrows(
        () => new Compute("api", { ...base, resources: { memory: "1e400" }, tmpfs: {} }),
        'Compute "api": resources.memory: "1e400" is not a Kubernetes quantity; use a number with an optional suffix such as "512Mi", "16Gi" or "500m"',
    );
    assertThrows(
        () => new Compute("api", { ...base, emptyDirs: [{ mountPath: "/s", sizeLimit: "9e999Gi" }] }),
        'Compute "api": emptyDirs[0].sizeLimit: "9e999Gi" is not a Kubernetes quantity; use a number with an optional suffix such as "512Mi", "16Gi" or "500m"',
    );
});

test("API rules: total annotations of an object ≤ 256 KiB", () => {
    const big = "x".repeat(200 * 1024);
    assertThrows(
        () => new Compute("api", { ...base, annotations: { a: big, b: big } }),
        'Compute "api": annotations: total size is 409602 bytes; Kubernetes limits an object\'s annotations to 262144 bytes (256 KiB)',
    );
});

test("API rules: GIT_SSH_COMMAND quotes the key path (a mountPath with a space or ';' stays one argument)", () => {
    const mountPath = "/etc/my keys;touch /tmp/pwned";
    const s = new Secret("git", { gitSsh: { privateKey: "k" }, mountPath });
    const cmd = s.binding().env.GIT_SSH_COMMAND;
    assert.equal(
        cmd,
        "ssh -i '/etc/my keys;touch /tmp/pwned/ssh-privatekey' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new",
    );
    // What the shell git runs it with sees: one argument after -i.
    const argv = execFileSync("sh", ["-c", 'eval "set -- $CMD"; printf "%s\\n" "$@"'], {
        env: { CMD: cmd },
        encoding: "utf8",
    })
        .trimEnd()
        .split("\n");
    assert.deepEqual(argv.slice(0, 3), ["ssh", "-i", "/etc/my keys;touch /tmp/pwned/ssh-privatekey"]);
    const quote = new Secret("git2", { gitSsh: { privateKey: "k", knownHosts: "h" }, mountPath: "/it's" });
    const argv2 = execFileSync("sh", ["-c", 'eval "set -- $CMD"; printf "%s\\n" "$@"'], {
        env: { CMD: quote.binding().env.GIT_SSH_COMMAND },
        encoding: "utf8",
    })
        .trimEnd()
        .split("\n");
    assert.deepEqual(argv2, [
        "ssh",
        "-i",
        "/it's/ssh-privatekey",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "UserKnownHostsFile=/it's/known_hosts",
        "-o",
        "StrictHostKeyChecking=yes",
    ]);
});

test("conformance checker applies the API-server rules to emitted objects", () => {
    const pod = (container: object, extra: object = {}) => ({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "d" },
        spec: {
            selector: { matchLabels: { a: "b" } },
            template: {
                metadata: { labels: { a: "b" } },
                spec: { containers: [{ name: "c", image: "i", ...container }], ...extra },
            },
        },
    });
    const errs = (o: object) => validateObject(o).join("\n");
    assert.match(
        errs(pod({ ports: [{ containerPort: 80 }, { containerPort: 80 }] })),
        /duplicate entries for key containerPort=80,protocol="TCP"/,
    );
    assert.match(errs(pod({ ports: [{ containerPort: 80, name: "a--b" }] })), /not an IANA service name/);
    assert.match(errs(pod({ readinessProbe: { tcpSocket: { port: "http" } } })), /names no container port/);
    assert.match(
        errs(
            pod(
                { volumeMounts: [{ name: "v", mountPath: "/v", subPath: "../x" }] },
                { volumes: [{ name: "v", emptyDir: {} }] },
            ),
        ),
        /subPath/,
    );
    assert.match(
        errs(pod({ env: [{ name: "A", valueFrom: { fieldRef: { fieldPath: "status.podIp" } } }] })),
        /Downward API/,
    );
    assert.match(
        errs(pod({}, { volumes: [{ name: "s", secret: { secretName: "s", items: [{ key: "..a", path: "a" }] } }] })),
        /Secret key/,
    );
    assert.match(
        errs({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "s" },
            spec: { type: "NodePort", ports: [{ port: 80, nodePort: 80 }] },
        }),
        /node-port range/,
    );
    assert.match(
        errs({ apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { "..x": "" } }),
        /valid config key/,
    );
    assert.match(
        errs({ apiVersion: "v1", kind: "Secret", metadata: { name: "s", annotations: { a: "x".repeat(262144) } } }),
        /256 KiB/,
    );
});

test("Collisions: two components that would create one Kubernetes object are an error naming both", async () => {
    await assertFails(() => {
        new Volume("a", { size: "1Gi", name: "data" });
        new Volume("b", { size: "1Gi", name: "data", reclaim: "Delete" });
    }, 'Volume "b": PersistentVolumeClaim "data" is also created by Volume "a"; two components would manage one Kubernetes object: give one of them another name');
    await assertFails(() => {
        new Compute("web", { ...base, namespace: "ml", ports: [{ port: 80 }] });
        new Compute("api", { ...base, name: "web", namespace: "ml" });
    }, 'Compute "api": Deployment "web" in namespace "ml" is also created by Compute "web"; two components would manage one Kubernetes object: give one of them another name');
    await assertFails(() => {
        new Secret("s1", { name: "creds", env: { A: "1" } });
        new Secret("s2", { name: "creds", env: { B: "2" } });
    }, 'Secret "s2": Secret "creds" is also created by Secret "s1"; two components would manage one Kubernetes object: give one of them another name');
    await assertFails(() => {
        new TrainJob("t1", { ...base, name: "train" });
        new TrainJob("t2", { ...base, name: "train" });
    }, 'TrainJob "t2": JobSet "train" is also created by TrainJob "t1"; two components would manage one Kubernetes object: give one of them another name');
    await assertFails(() => {
        new Compute("train", { ...base, ports: [{ port: 80 }] });
        new TrainJob("t", { ...base, name: "train" });
    }, 'TrainJob "t": Service "train" is also created by Compute "train"; two components would manage one Kubernetes object: give one of them another name');
    // Other namespaces, other kinds, and a new program run do not collide.
    const ok = await emit(() => {
        new Volume("a", { size: "1Gi", name: "data", namespace: "x" });
        new Volume("b", { size: "1Gi", name: "data", namespace: "y" });
        new Compute("data", base);
        new Secret("data-secret", { name: "data", env: { A: "1" } });
    });
    assert.deepEqual(ok.errors, []);
    assert.deepEqual((await emit(() => new Volume("a", { size: "1Gi", name: "data", namespace: "x" }))).errors, []);
});

test("Collisions: the renderer reports duplicate Pulumi URNs, as the engine would", async () => {
    await assertFails(() => {
        new Compute("dup", { ...base, name: "one" });
        new Compute("dup", { ...base, name: "two" });
    }, "Duplicate resource URN 'urn:pulumi:dev::mlkube::mlkube:index:Compute::dup'; try giving it a unique name");
});

test("API rules: a Kubeflow TrainJob's image fits spec.trainer.image (at most 500 characters in the Trainer CRD)", () => {
    const image = `registry.example/${"a".repeat(500)}:1`;
    assertThrows(
        () => new TrainJob("t", { ...base, image, backend: "kubeflow" }),
        `TrainJob "t": image: is ${image.length} characters long; spec.trainer.image of a Kubeflow TrainJob takes at most 500`,
    );
    // The jobset backend has no such cap (core/v1 Container.image has none).
    new TrainJob("t2", { ...base, image, backend: "jobset" });
});
