/** Security contexts: mlkube's secure defaults under the user's, and the fsGroup and file modes that follow from the pod's user. */
import { ValidationIssue } from "../errors";
import type { PodInput } from "./input";
import { strategicMerge } from "./merge";

/** Pod-level secure defaults that make a pod pass Pod Security Standards "restricted". */
export const SECURE_POD_CONTEXT = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } };
/** Container-level secure defaults for PSS "restricted". */
export const SECURE_CONTAINER_CONTEXT = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };

/** GID mlkube gives `fsGroup` when a non-root pod needs one and neither runAsGroup nor runAsUser is set. */
export const DEFAULT_FS_GROUP = 1000;

export type SecurityContext = Record<string, unknown> & {
    capabilities?: { add?: unknown[]; drop?: unknown[] };
    seccompProfile?: { type?: unknown; localhostProfile?: unknown };
};

/**
 * The user's security contexts merged over the secure defaults. Conflicts (privileged, SYS_ADMIN, root
 * against the defaults) are refused on the final pod, after podPatch (src/pod/final.ts).
 */
function securityContexts(
    o: PodInput,
    issues: ValidationIssue[],
): { pod?: SecurityContext; container?: SecurityContext } {
    const userPod = (o.securityContext ?? {}) as SecurityContext;
    const userContainer = (o.containerSecurityContext ?? {}) as SecurityContext;
    if (o.secureDefaults === false)
        return {
            pod: o.securityContext as SecurityContext | undefined,
            container: o.containerSecurityContext as SecurityContext | undefined,
        };
    const pod = strategicMerge(SECURE_POD_CONTEXT, userPod) as SecurityContext;
    const container = strategicMerge(SECURE_CONTAINER_CONTEXT, userContainer) as SecurityContext;
    // A user's capabilities.drop list replaces the default one in a merge: keep ALL dropped.
    const drop = userContainer.capabilities?.drop;
    if (Array.isArray(drop) && !drop.includes("ALL"))
        container.capabilities = { ...container.capabilities, drop: ["ALL", ...drop] };
    for (const [where, sc] of [
        ["securityContext", userPod],
        ["containerSecurityContext", userContainer],
    ] as const) {
        const p = sc.seccompProfile;
        if (p && p.localhostProfile !== undefined && p.type === undefined) {
            issues.push({
                path: [where, "seccompProfile", "type"],
                message: `is required with localhostProfile (merged over the default it would be "RuntimeDefault", which the API server rejects with a localhostProfile); set type: "Localhost"`,
            });
        }
    }
    return { pod, container };
}

/** The pod's security: its contexts, and the mode of Secret files that follows from its user. */
export interface PodSecurity {
    pod?: SecurityContext;
    container?: SecurityContext;
    /** The default mode of mounted Secret files. */
    defaultFileMode: number;
}

/**
 * The security contexts of the pod. Comes first: the defaults of volumes (fsGroup, secret file modes)
 * depend on the pod's user. A non-root pod that mounts claims or Secret files gets an fsGroup.
 */
export function podSecurity(o: PodInput, issues: ValidationIssue[]): PodSecurity {
    const security = securityContexts(o, issues);
    const needsGroup =
        (o.volumes ?? []).length > 0 ||
        (o.ephemeralVolumes ?? []).length > 0 ||
        (o.secrets ?? []).some((b) => b.kind === "files" || b.kind === "gitSsh");
    let pod = security.pod;
    const container = security.container;
    const runAsUser = container?.runAsUser ?? pod?.runAsUser;
    const runAsGroup = container?.runAsGroup ?? pod?.runAsGroup;
    const nonRoot =
        typeof runAsUser === "number"
            ? runAsUser !== 0
            : runAsUser === undefined && (container?.runAsNonRoot ?? pod?.runAsNonRoot) === true;
    if (needsGroup && nonRoot && pod?.fsGroup === undefined) {
        // Secret files are root-owned; claims are usually root-owned too. fsGroup makes the kubelet give them
        // to this group (a supplementary group of the container), so the non-root user can read them.
        const gid =
            typeof runAsGroup === "number" && runAsGroup !== 0
                ? runAsGroup
                : typeof runAsUser === "number"
                  ? runAsUser
                  : DEFAULT_FS_GROUP;
        pod = { ...pod, fsGroup: gid, fsGroupChangePolicy: pod?.fsGroupChangePolicy ?? "OnRootMismatch" };
    }
    // Root-owned secret files: readable by the fsGroup when non-root (ssh accepts a group-readable key it does not own), owner-only otherwise.
    const defaultFileMode = nonRoot && pod?.fsGroup !== undefined ? 0o440 : 0o400;
    return { pod, container, defaultFileMode };
}
