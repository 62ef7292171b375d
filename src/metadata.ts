/** Object metadata every component shares: names, namespaces, standard and configured labels. */
import * as pulumi from "@pulumi/pulumi";
import { mlkubeConfig } from "./config";

export type InputMap = { [key: string]: pulumi.Input<string> };

export const MANAGED_BY = "mlkube";

/** Labels of every object a component creates: standard ones, then stack config, then the user's. */
export function objectLabels(component: string, name: string, user?: InputMap): InputMap {
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component.toLowerCase(),
        "app.kubernetes.io/managed-by": MANAGED_BY,
        ...mlkubeConfig().labels,
        ...user,
    };
}

export function objectAnnotations(user?: InputMap): InputMap | undefined {
    const merged = { ...mlkubeConfig().annotations, ...user };
    return Object.keys(merged).length ? merged : undefined;
}

/** The namespace a component's objects go to: its own, else `mlkube:namespace`, else the provider's default. */
export function resolveNamespace(ns: pulumi.Input<string> | undefined): pulumi.Input<string> | undefined {
    return ns ?? mlkubeConfig().namespace;
}

/** Drops keys whose value is undefined, so emitted objects carry no empty fields (stable diffs). */
export function compact<T extends object>(o: T): T {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
    return out as T;
}
