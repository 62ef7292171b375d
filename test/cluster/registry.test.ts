/**
 * Image pull Secrets for real (issue 24, "Secrets for real"): a registry that requires authentication
 * (the distribution registry with htpasswd, test/cluster/local-registry.ts) holds the test image under
 * tags of this run; the real node's kubelet pulls it with mlkube's `docker` provider Secret
 * (`kubernetes.io/dockerconfigjson`, in `imagePullSecrets`) and the pod runs, and without the Secret
 * the pull fails with ErrImagePull / ImagePullBackOff and the registry's 401.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { Compute, Secret, TrainJob } from "../../src";
import {
    applyOk,
    conditionTrue,
    createNamespace,
    deleteNamespaces,
    emitObjects,
    find,
    get,
    hasRealNode,
    kubectl,
    list,
    ON_REAL_NODE,
    readyPods,
    requireCluster,
    waitFor,
} from "./helpers";
import { RUN_ID } from "../kube";
import { startRegistry, type LocalRegistry } from "./local-registry";

const enabled = process.env.MLKUBE_REAL_NODE !== "0";
const SMALL = { cpu: "50m", memory: "64Mi" };
let ns: string;
let reg: LocalRegistry;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mlkube-registry-"));

before(async () => {
    if (!enabled) return;
    requireCluster();
    assert.ok(
        hasRealNode(),
        "the cluster has no real node (node label mlkube.test/node-kind=real); scripts/cluster.sh up starts one unless MLKUBE_REAL_NODE=0",
    );
    reg = await startRegistry(tmp);
    ns = await createNamespace("registry");
});

after(() => {
    reg?.stop();
    deleteNamespaces();
    fs.rmSync(tmp, { recursive: true, force: true });
});

/** Pushes the test image, made unique to this run and scenario (a label), so the node has never pulled it. */
function pushed(scenario: string): { image: string; digest: string } {
    const repository = `mlkube/testapp:${RUN_ID}-${scenario}`;
    const digest = reg.push(ON_REAL_NODE.image, repository, `mlkube.test/pushed=${RUN_ID}-${scenario}`);
    assert.match(digest, /^sha256:[0-9a-f]{64}$/);
    return { image: `${reg.host}/${repository}`, digest };
}

/** The pull Secret as users write it: the `docker` provider reading a Docker config that holds this registry's login. */
const pullSecret = () =>
    new Secret("regcred", {
        provider: "docker",
        providerOptions: { credentialsFile: reg.dockerConfigFile, registry: reg.host },
    });

/** How containerd reports a refused pull: no credentials ("no basic auth credentials") or wrong ones (401). */
const AUTH_FAILED = /authorization failed|401 Unauthorized/;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The pull of `name`'s image fails with ErrImagePull / ImagePullBackOff for want of (valid) credentials
 * (`refusal`: which refusal to wait for); returns the waiting state.
 */
async function pullRefused(name: string, image: string, refusal: RegExp = AUTH_FAILED): Promise<any> {
    const waiting = await waitFor(
        `the pull of ${name}'s image to fail`,
        () => {
            const w = containerStatuses(`app.kubernetes.io/name=${name}`)
                .map((s) => s.state?.waiting)
                .find((x) => x && /ErrImagePull|ImagePullBackOff/.test(x.reason));
            // The back-off state does not always carry the pull's error; wait for one that does.
            // A first attempt can go out without credentials when the kubelet has not yet seen a just-created
            // pull Secret ("no basic auth credentials"); its retries then send them.
            return w && refusal.test(w.message ?? "") ? w : undefined;
        },
        { timeoutMs: 90_000, dump: [["pods", "", ns]] },
    );
    assert.ok(!waiting.message.includes(reg.password), "the pull error shows no credential");
    assert.equal(readyPods(ns, `app.kubernetes.io/name=${name}`).length, 0);
    const pods = list("pods", ns, `app.kubernetes.io/name=${name}`).map((p) => p.metadata.name);
    const events = kubectl(["-n", ns, "get", "events", "--field-selector", "reason=Failed", "-o", "json"]);
    const messages = JSON.parse(events.stdout)
        .items.filter((e: any) => pods.includes(e.involvedObject?.name))
        .map((e: any) => e.message)
        .join("\n");
    assert.match(
        messages,
        new RegExp(`Failed to pull image "${escape(image)}".*(${AUTH_FAILED.source})`),
        `the kubelet's Failed event names the image and the refusal:\n${messages}`,
    );
    kubectl(["-n", ns, "delete", "deployment", name, "--wait=false"]);
    return waiting;
}

/** The container statuses of the pods matching `selector`. */
function containerStatuses(selector: string): any[] {
    return list("pods", ns, selector).flatMap((p) => p.status?.containerStatuses ?? []);
}

/** A refused pull of a pod matching `selector` ("<reason>: <message>"), so a wait for success stops at once. */
function pullError(selector: string): string | undefined {
    const w = containerStatuses(selector)
        .map((s) => s.state?.waiting)
        .find((x) => x && /ErrImagePull|ImagePullBackOff/.test(x.reason));
    return w && `${w.reason}: ${w.message ?? ""}`;
}

describe("private registry", { skip: !enabled && "MLKUBE_REAL_NODE=0" }, () => {
    test("a Compute without the pull Secret cannot pull: ErrImagePull / ImagePullBackOff, 'authorization failed: no basic auth credentials'", async () => {
        const { image } = pushed("nosecret");
        const objects = await emitObjects(
            () =>
                new Compute("nosecret", {
                    ...ON_REAL_NODE,
                    image,
                    imagePullPolicy: "Always",
                    args: ["serve"],
                    resources: SMALL,
                }),
            ns,
        );
        assert.equal(find(objects, "Deployment", "nosecret").spec.template.spec.imagePullSecrets, undefined);
        applyOk(objects);
        const waiting = await pullRefused("nosecret", image);
        assert.match(waiting.message, /no basic auth credentials/);
    });

    test("a Compute with a pull Secret holding a wrong password cannot pull either (the registry checks the password)", async () => {
        const { image } = pushed("wrongpw");
        const badConfig = path.join(tmp, "wrong-docker-config.json");
        fs.writeFileSync(
            badConfig,
            JSON.stringify({
                auths: { [reg.host]: { auth: Buffer.from(`${reg.user}:not-${reg.password}`).toString("base64") } },
            }),
        );
        const objects = await emitObjects(
            () =>
                new Compute("wrongpw", {
                    ...ON_REAL_NODE,
                    image,
                    imagePullPolicy: "Always",
                    args: ["serve"],
                    resources: SMALL,
                    imagePullSecrets: [
                        new Secret("badcred", {
                            provider: "docker",
                            providerOptions: { credentialsFile: badConfig, registry: reg.host },
                        }),
                    ],
                }),
            ns,
        );
        applyOk(objects);
        const waiting = await pullRefused("wrongpw", image, /401 Unauthorized/);
        assert.match(waiting.message, /401 Unauthorized/);
    });

    test("a Compute with mlkube's docker-provider Secret in imagePullSecrets pulls from the authenticated registry and runs", async () => {
        const { image, digest } = pushed("compute");
        const objects = await emitObjects(
            () =>
                new Compute("pulled", {
                    ...ON_REAL_NODE,
                    image,
                    imagePullPolicy: "Always",
                    args: ["serve"],
                    resources: SMALL,
                    imagePullSecrets: [pullSecret()],
                }),
            ns,
        );
        const secret = find(objects, "Secret", "regcred");
        assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
        assert.deepEqual(find(objects, "Deployment", "pulled").spec.template.spec.imagePullSecrets, [
            { name: "regcred" },
        ]);
        applyOk(objects);
        const sel = "app.kubernetes.io/name=pulled";
        const ready = await waitFor(
            "a ready pod of pulled (or a refused pull)",
            () => readyPods(ns, sel)[0] ?? (pullError(sel) && { refused: pullError(sel) }),
            { timeoutMs: 120_000, dump: [["pods", "", ns]] },
        );
        assert.equal(ready.refused, undefined, "the kubelet could not pull with mlkube's pull Secret");
        const pod = ready;
        const status = pod.status.containerStatuses[0];
        assert.equal(status.image.replace(/^docker\.io\//, ""), image);
        assert.equal(
            status.imageID,
            `${reg.host}/mlkube/testapp@${digest}`,
            "the running image is the one pushed to the registry",
        );
    });

    for (const backend of ["jobset", "kubeflow"] as const) {
        test(`a TrainJob (${backend}) with the pull Secret pulls its image and Completes`, async () => {
            const { image, digest } = pushed(backend);
            const name = `pull-${backend}`;
            const objects = await emitObjects(
                () =>
                    new TrainJob(name, {
                        ...ON_REAL_NODE,
                        image,
                        // The Trainer's spec.trainer has no imagePullPolicy; a tag never pulled on the node is pulled either way.
                        imagePullPolicy: backend === "jobset" ? "Always" : undefined,
                        backend,
                        command: ["/testapp", "env"],
                        numNodes: 1,
                        resourcesPerNode: SMALL,
                        securityContext: { runAsUser: 1000 },
                        imagePullSecrets: [pullSecret()],
                    }),
                ns,
            );
            applyOk(objects);
            const kind = backend === "jobset" ? "jobset" : "trainjob";
            const done = backend === "jobset" ? "Completed" : "Complete";
            const sel = `jobset.sigs.k8s.io/jobset-name=${name}`;
            const end = await waitFor(
                `${kind} ${name} ${done} (or Failed, or a refused pull)`,
                () => {
                    const o = get(kind, name, ns);
                    if (conditionTrue(o, "Failed")) return { failed: JSON.stringify(o.status) };
                    const refused = pullError(sel);
                    if (refused) return { refused };
                    return conditionTrue(o, done) && {};
                },
                {
                    timeoutMs: 180_000,
                    dump: [
                        [kind, name, ns],
                        ["pods", "", ns],
                    ],
                },
            );
            assert.deepEqual(end, {}, `${kind} ${name} did not run with mlkube's pull Secret`);
            const statuses = containerStatuses(sel);
            assert.ok(statuses.length > 0);
            for (const s of statuses) assert.equal(s.imageID, `${reg.host}/mlkube/testapp@${digest}`);
        });
    }
});
