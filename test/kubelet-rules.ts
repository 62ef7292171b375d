/**
 * What the kubelet refuses or changes when it runs a pod that the API server admitted, for the checker
 * (test/conformance.ts): rules of one object (`kubeletErrors`) and of the objects rendered together
 * (`objectSetErrors`: a Secret key the rendered Secret does not hold). Sampled on the real node of the
 * local cluster by test/cluster/kubelet.test.ts.
 */

import { isConfigMapKey, isObj, list, podTemplates, quantity, str } from "./server-rules";

type Any = any;

/**
 * What the kubelet refuses or changes when it starts the pod (the API server admits it): runAsNonRoot
 * with runAsUser 0, a memory-backed volume larger than the pod's memory limit (the tmpfs gets the
 * limit), a probe naming a port the container does not declare, a Secret volume item whose key no
 * Secret can hold. Sampled on the real node by test/cluster/kubelet.test.ts.
 */
export function kubeletErrors(o: Any): string[] {
    const errs: string[] = [];
    for (const [where, spec] of podTemplates(o)) {
        list(spec?.volumes).forEach((v, i) =>
            list(v?.secret?.items).forEach((it, j) => {
                if (typeof it?.key === "string" && it.key !== "" && !isConfigMapKey(it.key))
                    errs.push(
                        `${where}.volumes[${i}].secret.items[${j}].key: ${str(it.key)} is not a valid Secret key; no Secret can hold it, so the kubelet cannot mount the volume`,
                    );
            }),
        );
        const podSc = isObj(spec?.securityContext) ? spec.securityContext : {};
        // The pod's memory limit (what a memory-backed volume is capped at), when every container has one.
        const limits = list(spec?.containers).map((c) => quantity(c?.resources?.limits?.memory));
        const podLimit =
            limits.length && limits.every((l) => l !== undefined) ? limits.reduce((a, b) => a + b, 0) : undefined;
        list(spec?.volumes).forEach((v, i) => {
            const size = v?.emptyDir?.medium === "Memory" ? quantity(v.emptyDir.sizeLimit) : undefined;
            if (size !== undefined && podLimit !== undefined && size > podLimit) {
                errs.push(
                    `${where}.volumes[${i}].emptyDir.sizeLimit: ${String(v.emptyDir.sizeLimit)} is more than the pod's memory limit (${podLimit} bytes); the kubelet sizes the tmpfs at the memory limit`,
                );
            }
        });
        list(spec?.containers).forEach((c, i) => {
            const sc = isObj(c?.securityContext) ? c.securityContext : {};
            const nonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
            const user = sc.runAsUser ?? podSc.runAsUser;
            if (nonRoot === true && user === 0)
                errs.push(
                    `${where}.containers[${i}]: runAsNonRoot with runAsUser 0; the kubelet refuses to start the container ("container's runAsUser breaks non-root policy")`,
                );
        });
        list(spec?.containers).forEach((c, i) => {
            const names = new Set(
                list(c?.ports)
                    .map((p) => p?.name)
                    .filter(Boolean),
            );
            for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
                for (const kind of ["httpGet", "tcpSocket"]) {
                    const port = c?.[probe]?.[kind]?.port;
                    if (typeof port === "string" && !/^\d+$/.test(port) && !names.has(port))
                        errs.push(
                            `${where}.containers[${i}].${probe}.${kind}.port: ${str(port)} names no container port`,
                        );
                }
            }
        });
    }
    return errs;
}

/**
 * What the kubelet refuses across the objects rendered together: an env var or volume item taking a key
 * that the Secret (rendered alongside, same namespace) does not hold, unless optional
 * (CreateContainerConfigError "couldn't find key"; FailedMount).
 */
export function objectSetErrors(objects: Any[]): string[] {
    const keys = new Map<string, Set<string>>();
    for (const o of objects) {
        if (o?.kind !== "Secret" || o?.apiVersion !== "v1") continue;
        keys.set(
            `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`,
            new Set([
                ...Object.keys(isObj(o.data) ? o.data : {}),
                ...Object.keys(isObj(o.stringData) ? o.stringData : {}),
            ]),
        );
    }
    const errs: string[] = [];
    if (!keys.size) return errs;
    for (const o of objects) {
        const ns = o?.metadata?.namespace ?? "";
        for (const [where, spec] of podTemplates(o)) {
            const missing = (name: unknown, key: unknown) => {
                const held = keys.get(`${ns}/${String(name)}`);
                return held !== undefined && typeof key === "string" && !held.has(key);
            };
            for (const field of ["containers", "initContainers"]) {
                list(spec?.[field]).forEach((c, i) =>
                    list(c?.env).forEach((e, j) => {
                        const ref = e?.valueFrom?.secretKeyRef;
                        if (isObj(ref) && ref.optional !== true && missing(ref.name, ref.key))
                            errs.push(
                                `${o.kind} ${o.metadata?.name}: ${where}.${field}[${i}].env[${j}]: Secret ${str(ref.name)} has no key ${str(ref.key)}; the kubelet refuses to start the container`,
                            );
                    }),
                );
            }
            list(spec?.volumes).forEach((v, i) => {
                const sec = v?.secret;
                if (!isObj(sec) || sec.optional === true) return;
                list(sec.items).forEach((it, j) => {
                    if (missing(sec.secretName, it?.key))
                        errs.push(
                            `${o.kind} ${o.metadata?.name}: ${where}.volumes[${i}].secret.items[${j}]: Secret ${str(sec.secretName)} has no key ${str(it.key)}; the kubelet cannot mount the volume`,
                        );
                });
            });
        }
    }
    return errs;
}
