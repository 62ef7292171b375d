/**
 * The Kubernetes objects this program's components create, by kind, namespace and name: two
 * components that would create (and fight over) one object are an error naming both, e.g. two Volumes
 * with one claim name, one `reclaim: "Retain"` and one `"Delete"`. One registry per program run
 * (`pulumi up` runs one program per process; the renderer resets it before each run; the provider
 * plugin, which may build a component again in the next deployment, releases its objects first). Only plain names
 * and namespaces are compared: an Output namespace is not known when the component is built.
 */
import * as pulumi from "@pulumi/pulumi";
import { fail } from "./errors";

const owners = new Map<string, string>();

/** Forgets every registered object (a new program run). */
export function resetObjectRegistry(): void {
    owners.clear();
}

/**
 * Registers the objects `component` `name` will create; throws a validation error naming the other
 * component when one of them is already taken. Registers nothing unless all are free.
 */
export function claimObjects(
    component: string,
    name: string,
    objects: ReadonlyArray<{ kind: string; namespace: pulumi.Input<string> | undefined; name: string }>,
): void {
    const keys: string[] = [];
    const me = `${component} ${JSON.stringify(name)}`;
    for (const o of objects) {
        if (o.namespace !== undefined && typeof o.namespace !== "string") continue;
        const key = `${o.kind}\0${o.namespace ?? ""}\0${o.name}`;
        const owner = owners.get(key);
        if (owner !== undefined) {
            const where = o.namespace ? ` in namespace ${JSON.stringify(o.namespace)}` : "";
            fail(
                component,
                name,
                [],
                `${o.kind} ${JSON.stringify(o.name)}${where} is also created by ${owner}; two components would manage one Kubernetes object: give one of them another name`,
            );
        }
        keys.push(key);
    }
    for (const k of keys) owners.set(k, me);
}

/**
 * Forgets the objects component `name` claimed: for a long-lived process (mlkube's provider plugin)
 * that builds the same component again in the next deployment. @internal
 */
export function releaseObjects(component: string, name: string): void {
    const me = `${component} ${JSON.stringify(name)}`;
    for (const [k, owner] of owners) if (owner === me) owners.delete(k);
}
