/**
 * A TrainJob's outputs across a replacement (issue 23 item 7): the provider previews the replacement of an
 * object with immutable fields under a generated name (`<name>` + 5 random characters, see
 * pulumi-kubernetes' await.Creation), which `pulumi up` never uses; `jobName` is the name up creates.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { TrainJob } from "../src";

/** Resolves an Output under mocks (its value, or undefined when unknown). */
function value<T>(o: pulumi.Output<T>): Promise<T | undefined> {
    return new Promise((res) => o.apply((v) => (res(v), v)));
}

// One mock monitor for the file (replacing it while resources of an earlier test settle fails them).
before(() =>
    pulumi.runtime.setMocks(
        {
            newResource(a) {
                const md = { ...(a.inputs.metadata ?? {}) };
                // As the provider's preview of a replacement reports the object: under another name.
                if (a.type.startsWith("kubernetes:") && md.name) md.name = `${md.name}x7k2p`;
                return { id: `${a.name}-id`, state: { ...a.inputs, metadata: md } };
            },
            call: (a) => a.inputs,
        },
        "proj",
        "dev",
        true,
    ),
);

for (const backend of ["jobset", "kubeflow", "job"] as const) {
    test(`TrainJob (${backend}): jobName is the job's name, not the generated name a replacement's preview shows`, async () => {
        const job = new TrainJob(`train-${backend}`, {
            image: "busybox:1.36",
            command: ["true"],
            backend,
            numNodes: backend === "job" ? 2 : 1,
        });
        assert.equal(await value(job.jobName), `train-${backend}`);
    });
}
