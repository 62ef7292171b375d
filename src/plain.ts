/**
 * Plain helpers for the objects mlkube emits that read no stack configuration and know no component, so
 * the pod layer (src/pod) can use them. src/metadata.ts adds what the stack config says and re-exports these.
 */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { isLabelValue } from "./schema/names";

export type InputMap = { [key: string]: pulumi.Input<string> };

export const MANAGED_BY = "mlkube";

/**
 * `name` as a label value: as is when valid, else (names of up to 253 characters, e.g. Secrets) its first
 * characters and a hash of the whole, within the 63-character limit.
 */
export function labelValueOf(name: string): string {
    if (isLabelValue(name)) return name;
    const hash = crypto.createHash("sha256").update(name).digest("hex").slice(0, 8);
    return `${name.slice(0, 54).replace(/[^A-Za-z0-9]+$/, "")}-${hash}`;
}

/** Labels of every object a component creates: standard ones, then `configured` (`mlkube:labels`), then the user's. */
export function labelsOf(component: string, name: string, configured?: InputMap, user?: InputMap): InputMap {
    return {
        "app.kubernetes.io/name": labelValueOf(name),
        "app.kubernetes.io/component": component.toLowerCase(),
        "app.kubernetes.io/managed-by": MANAGED_BY,
        ...configured,
        ...user,
    };
}

/** Drops keys whose value is undefined, so emitted objects carry no empty fields (stable diffs). */
export function compact<T extends object>(o: T): T {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) {
        const v = (o as Record<string, unknown>)[k];
        if (v !== undefined) out[k] = v;
    }
    return out as T;
}
