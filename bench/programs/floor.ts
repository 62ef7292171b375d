/**
 * The floor: the raw program with the component tree mlkube has (an empty ComponentResource per
 * Volume, Secret, Compute and TrainJob, same type tokens), i.e. what the SDK itself charges for
 * registering components. mlkube's own work (validation, rendering, outputs) is what sits above it.
 */
import * as pulumi from "@pulumi/pulumi";
import { BuildOptions } from "./workload";
import { build as buildRaw } from "./raw";

class Empty extends pulumi.ComponentResource {
    constructor(type: string, name: string) {
        super(type, name, {}, {});
        this.registerOutputs({});
    }
}

export function build(n: number, opts: BuildOptions): void {
    buildRaw(n, opts, {
        volume: (name) => new Empty("mlkube:index:Volume", name),
        secret: (name) => new Empty("mlkube:index:Secret", name),
        compute: (name) => new Empty("mlkube:index:Compute", name),
        trainJob: (name) => new Empty("mlkube:index:TrainJob", name),
    });
}
