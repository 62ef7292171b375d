/**
 * TrainJob `ports` (extra container ports, Metaflow's `port`) and `masterPort` (the torch rendezvous
 * port) on every backend, under mocks: container ports, the env torchrun reads, the job backend's headless
 * Service, conformance of the emitted objects, and the errors (duplicates, collisions, kubeflow limits).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TrainJob, TrainJobArgs } from "../src";
import { assertConforms } from "./conformance";
import { assertFails, emit } from "./helpers";

const base: TrainJobArgs = { image: "ghcr.io/acme/train:1.0", command: ["torchrun"], args: ["/app/train.py"] };
const value = (env: { name: string; value?: string }[], name: string) => env.find((e) => e.name === name)?.value;

test("ports + masterPort (jobset): container ports and the rendezvous env follow masterPort", async () => {
    const out = await emit(
        () =>
            new TrainJob("p", {
                ...base,
                numNodes: 2,
                masterPort: 23456,
                ports: [
                    { port: 9090, name: "metrics" },
                    { port: 5678, protocol: "UDP" },
                ],
            }),
    );
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    const js = out.get("JobSet", "p");
    assertConforms(js);
    const c = js.spec.replicatedJobs[0].template.spec.template.spec.containers[0];
    assert.deepEqual(c.ports, [
        { containerPort: 23456 },
        { containerPort: 9090, name: "metrics" },
        { containerPort: 5678, protocol: "UDP" },
    ]);
    assert.equal(value(c.env, "PET_MASTER_PORT"), "23456");
    assert.equal(value(c.env, "MASTER_PORT"), "23456");
});

test("ports + masterPort (job): container ports, env, and the headless Service's ports", async () => {
    const out = await emit(() => {
        new TrainJob("multi", {
            ...base,
            backend: "job",
            numNodes: 2,
            masterPort: 23456,
            ports: [{ port: 9090, name: "metrics" }, { port: 5678, protocol: "UDP" }, { port: 8080 }],
        });
        new TrainJob("one", { ...base, backend: "job", masterPort: 23456, ports: [{ port: 9090, name: "metrics" }] });
    });
    assert.deepEqual(
        out.errors.map((e) => e.message),
        [],
    );
    for (const o of out.objects()) assertConforms(o);
    const c = out.get("Job", "multi").spec.template.spec.containers[0];
    assert.deepEqual(c.ports, [
        { containerPort: 23456 },
        { containerPort: 9090, name: "metrics" },
        { containerPort: 5678, protocol: "UDP" },
        { containerPort: 8080 },
    ]);
    assert.equal(value(c.env, "PET_MASTER_PORT"), "23456");
    assert.deepEqual(out.get("Service", "multi").spec.ports, [
        { name: "rendezvous", port: 23456, targetPort: 23456, protocol: "TCP" },
        { name: "metrics", port: 9090, targetPort: 9090, protocol: "TCP" },
        { name: "udp-5678", port: 5678, targetPort: 5678, protocol: "UDP" },
        { name: "port-8080", port: 8080, targetPort: 8080, protocol: "TCP" },
    ]);
    // One node: no Service, the rendezvous port stays inside the pod; the user's ports are still declared.
    const one = out.get("Job", "one").spec.template.spec.containers[0];
    assert.deepEqual(one.ports, [{ containerPort: 9090, name: "metrics" }]);
    assert.equal(value(one.env, "PET_MASTER_PORT"), "23456");
});

test("masterPort on kubeflow: 29500 only; ports: refused (the Trainer API has no container ports)", async () => {
    const ok = await emit(() => new TrainJob("k", { ...base, backend: "kubeflow", masterPort: 29500 }));
    assert.deepEqual(
        ok.errors.map((e) => e.message),
        [],
    );
    await assertFails(
        () => new TrainJob("k", { ...base, backend: "kubeflow", masterPort: 23456 }),
        'TrainJob "k": masterPort: cannot be changed with backend "kubeflow": the Trainer\'s torch plugin sets PET_MASTER_PORT to 29500 itself and rejects it in spec.trainer.env; use backend "jobset" or "job"',
    );
    await assertFails(
        () => new TrainJob("k", { ...base, backend: "kubeflow", ports: [{ port: 9090 }] }),
        'TrainJob "k": ports: is not supported with backend "kubeflow": neither spec.trainer nor a runtime patch can add container ports (the Trainer\'s torch plugin adds only 29500); set them in the training runtime, or use backend "jobset" or "job"',
    );
});

test("ports: duplicates, the rendezvous port and name, bad names and numbers are refused", async () => {
    await assertFails(
        () => new TrainJob("d", { ...base, ports: [{ port: 9090 }, { port: 9090, protocol: "TCP" }] }),
        'TrainJob "d": ports[1].port: 9090/TCP is already ports[0]; list each port once',
    );
    const udpToo = await emit(
        () => new TrainJob("d", { ...base, ports: [{ port: 9090 }, { port: 9090, protocol: "UDP", name: "dbg" }] }),
    );
    assert.deepEqual(
        udpToo.errors.map((e) => e.message),
        [],
        "the same number with another protocol is a different port",
    );
    await assertFails(
        () =>
            new TrainJob("n", {
                ...base,
                ports: [
                    { port: 1, name: "a" },
                    { port: 2, name: "a" },
                ],
            }),
        'TrainJob "n": ports[1].name: "a" is already the name of ports[0]; port names must be unique',
    );
    await assertFails(
        () => new TrainJob("r", { ...base, ports: [{ port: 29500 }] }),
        'TrainJob "r": ports[0].port: 29500 is the rendezvous port (masterPort, default 29500); use another port, or change masterPort',
    );
    await assertFails(
        () => new TrainJob("r", { ...base, masterPort: 9000, ports: [{ port: 9000 }] }),
        'TrainJob "r": ports[0].port: 9000 is the rendezvous port (masterPort); use another port, or change masterPort',
    );
    await assertFails(
        () => new TrainJob("r", { ...base, backend: "job", ports: [{ port: 1, name: "rendezvous" }] }),
        'TrainJob "r": ports[0].name: "rendezvous" is the name of the rendezvous port; pick another name',
    );
    await assertFails(
        () => new TrainJob("x", { ...base, ports: [{ port: 1, name: "1234" }] }),
        'TrainJob "x": ports[0].name: "1234" must contain a letter (an IANA service name)',
    );
    await assertFails(
        () => new TrainJob("x", { ...base, ports: [{ port: 1, name: "much-too-long-name" }] }),
        /TrainJob "x": ports\[0\]\.name: "much-too-long-name" is not a valid Kubernetes name .*at most 15 characters/,
    );
    await assertFails(
        () => new TrainJob("x", { ...base, ports: [{ port: 70000 }] }),
        /TrainJob "x": ports\[0\]\.port: /,
    );
    await assertFails(() => new TrainJob("x", { ...base, masterPort: 0 }), /TrainJob "x": masterPort: /);
});
