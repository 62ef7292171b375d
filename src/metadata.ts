/** Object metadata every component shares: names, namespaces, standard and configured labels. */
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { mlkubeConfig } from "./config";
import { InputMap, labelsOf } from "./plain";

export { compact, InputMap, labelValueOf, MANAGED_BY } from "./plain";

/** Labels of every object a component creates: standard ones, then stack config, then the user's. */
export function objectLabels(component: string, name: string, user?: InputMap): InputMap {
    return labelsOf(component, name, mlkubeConfig().labels, user);
}

/** Annotation naming the stack that owns an object (`<project>/<stack>`): the ownership marker. */
export const STACK_ANNOTATION = "mlkube.dev/stack";
/** The provider's annotation naming the server-side apply field manager of an object. */
export const FIELD_MANAGER_ANNOTATION = "pulumi.com/patchFieldManager";
/** The API server's limit on a field manager's name. */
const FIELD_MANAGER_MAX = 128;

/**
 * The ownership marker of every object mlkube emits: `mlkube.dev/stack: <project>/<stack>`, applied with
 * the field manager `mlkube/<project>/<stack>` (one per stack, stable across destroy and up). Another stack
 * that applies the same object (same kind, namespace and name) sends a different marker, which the API
 * server refuses as a field conflict naming this stack's manager, before anything of the object changes;
 * the same stack re-applying a retained object (a Volume's claim after `destroy` + `up`) is the same
 * manager, so there is no conflict. See docs/operations.md, "Two stacks, one namespace".
 */
export function ownershipAnnotations(project: string, stack: string): InputMap {
    const owner = `${project}/${stack}`;
    let manager = `mlkube/${owner}`;
    if (manager.length > FIELD_MANAGER_MAX) {
        const hash = crypto.createHash("sha256").update(owner).digest("hex").slice(0, 12);
        manager = `${manager.slice(0, FIELD_MANAGER_MAX - hash.length - 1)}-${hash}`;
    }
    return { [STACK_ANNOTATION]: owner, [FIELD_MANAGER_ANNOTATION]: manager };
}

/**
 * The `ignoreChanges` of an object whose applies leave fields out (`paths`: the autoscaler's replicas, a
 * claim's immutable fields, Kueue's suspend), plus the field manager annotation: such an object keeps the
 * field manager it was created with. The provider leaves an ignored field another manager owns out of
 * the apply, and after renaming the manager it relinquishes the old one, which deleted those fields (on
 * upgrading from 0.1.0, whose objects have a random manager each: a claim lost `spec.accessModes`).
 * Objects created by this version are created with the stack's manager, so nothing changes for them.
 */
export function keepFieldManager(paths: readonly string[] = []): string[] {
    return [...paths, `metadata.annotations["${FIELD_MANAGER_ANNOTATION}"]`];
}

/**
 * Annotations of every object a component creates: stack config, then the user's, then the ownership
 * marker of the running stack (which neither can override: it is what keeps two stacks apart).
 */
export function objectAnnotations(user?: InputMap): InputMap {
    return { ...mlkubeConfig().annotations, ...user, ...ownershipAnnotations(pulumi.getProject(), pulumi.getStack()) };
}

/** The namespace a component's objects go to: its own, else `mlkube:namespace`, else the provider's default. */
export function resolveNamespace(ns: pulumi.Input<string> | undefined): pulumi.Input<string> | undefined {
    return ns ?? mlkubeConfig().namespace;
}
