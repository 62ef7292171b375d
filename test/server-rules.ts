/**
 * What the Kubernetes API server (v1.34) checks beyond the OpenAPI schema, for the kinds mlkube emits:
 * the Go validation of pkg/apis/core/validation (pod specs: volumes, containers, env, mounts, ports,
 * probes, resources, security contexts, tolerations, scheduling), pkg/apis/apps, batch, autoscaling and
 * policy validation (Deployment, Job, HPA, PDB), PVCs, Services and Secrets — applied, as the server
 * does, after its defaulting (a missing request takes the limit, a probe's 0 thresholds become 1, …).
 *
 * Calibrated against the real server by test/cluster/calibration.test.ts (objects a fuzz run emits and
 * near-valid mutants of them, sent with server-side dry run): a rule here that disagrees with the server
 * is a bug. Used through test/conformance.ts (`apiServerErrors`, `validateObject`).
 *
 * Stages: `admissionErrors` is what `kubectl apply` of the object itself is refused for (a server-side
 * dry run sees it); `allocationErrors` what only a real create refuses (node ports out of range);
 * `downstreamErrors` what the objects a controller makes from it would be refused for (a JobSet's Jobs
 * and pods: the JobSet is admitted, its Jobs are not created). `validateObject` applies all of them;
 * the calibration compares the admission stage with the server's dry run. The JobSet/Trainer webhooks
 * are test/webhook-rules.ts, the kubelet test/kubelet-rules.ts; both use the helpers exported here.
 */

type Any = any;

// ---------------------------------------------------------------------------------------------
// Names and values (k8s.io/apimachinery/pkg/util/validation)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

export const isDnsLabel = (s: unknown): boolean => typeof s === "string" && s.length <= 63 && DNS1123_LABEL.test(s);
export const isDnsSubdomain = (s: unknown): boolean =>
    typeof s === "string" && s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
export const isLabelValue = (s: unknown): boolean => typeof s === "string" && s.length <= 63 && LABEL_VALUE.test(s);
/** A qualified name (label key, annotation key, condition type): `[prefix/]name`. */
export function isQualifiedName(s: unknown): boolean {
    if (typeof s !== "string") return false;
    const parts = s.split("/");
    if (parts.length > 2) return false;
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined && (prefix === "" || !isDnsSubdomain(prefix))) return false;
    return name.length > 0 && name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}
export const isPortName = (s: unknown): boolean =>
    typeof s === "string" && s.length <= 15 && IANA_SVC_NAME.test(s) && /[a-z]/.test(s) && !s.includes("--");
/** RelaxedEnvironmentVariableValidation (GA in 1.34): printable ASCII except '='. */
export const isEnvVarName = (s: unknown): boolean =>
    typeof s === "string" && s.length > 0 && /^[\x20-\x3c\x3e-\x7e]+$/.test(s);
/** Secret/ConfigMap keys: [-._a-zA-Z0-9]+, ≤ 253, not "." or "..", not starting with "..". */
export const isConfigMapKey = (s: unknown): boolean =>
    typeof s === "string" &&
    s.length > 0 &&
    s.length <= 253 &&
    /^[-._a-zA-Z0-9]+$/.test(s) &&
    s !== "." &&
    !s.startsWith("..");

// ---------------------------------------------------------------------------------------------
// Quantities (k8s.io/apimachinery/pkg/api/resource)

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
const SUFFIX: Record<string, number> = {
    n: 1e-9,
    u: 1e-6,
    m: 1e-3,
    "": 1,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    P: 1e15,
    E: 1e18,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
    Pi: 2 ** 50,
    Ei: 2 ** 60,
};

/** The value of a quantity (string or number), or undefined when it is not one. */
export function quantity(q: unknown): number | undefined {
    if (typeof q === "number") return Number.isFinite(q) ? q : undefined;
    if (typeof q !== "string") return undefined;
    const m = QUANTITY.exec(q.trim() === q ? q : "");
    if (!m) return undefined;
    return Number(m[1]) * (m[2] ? 10 ** Number(m[2].slice(1)) : SUFFIX[m[3] ?? ""]);
}
/** The server rounds a quantity up to milli-units; integer resources must then be whole. */
const milli = (v: number) => Math.ceil(Math.round(v * 1e9) / 1e6);

// ---------------------------------------------------------------------------------------------
// Helpers

export const str = (v: unknown): string => JSON.stringify(v);
export const isObj = (v: unknown): v is Record<string, Any> => v !== null && typeof v === "object" && !Array.isArray(v);
export const list = (v: unknown): Any[] => (Array.isArray(v) ? v : []);
const entries = (v: unknown): Array<[string, Any]> => (isObj(v) ? Object.entries(v) : []);
export const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);

function labelErrors(where: string, m: unknown): string[] {
    const errs: string[] = [];
    for (const [k, v] of entries(m)) {
        if (!isQualifiedName(k)) errs.push(`${where}: key ${str(k)} is not a qualified name`);
        if (!isLabelValue(v))
            errs.push(
                `${where}[${str(k)}]: ${str(v)} is not a valid label value (≤ 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric)`,
            );
    }
    return errs;
}

function selectorErrors(where: string, sel: unknown): string[] {
    if (!isObj(sel)) return [];
    const errs = labelErrors(`${where}.matchLabels`, sel.matchLabels);
    list(sel.matchExpressions).forEach((e, i) => {
        const at = `${where}.matchExpressions[${i}]`;
        if (!isQualifiedName(e?.key)) errs.push(`${at}.key: ${str(e?.key)} is not a qualified name`);
        const values = list(e?.values);
        if ((e?.operator === "In" || e?.operator === "NotIn") && values.length === 0)
            errs.push(`${at}.values: must be specified when operator is In or NotIn`);
        if ((e?.operator === "Exists" || e?.operator === "DoesNotExist") && values.length > 0)
            errs.push(`${at}.values: may not be specified when operator is Exists or DoesNotExist`);
        values.forEach(
            (v, j) => !isLabelValue(v) && errs.push(`${at}.values[${j}]: ${str(v)} is not a valid label value`),
        );
    });
    return errs;
}

/** An int-or-percent: a non-negative integer, or "N%" (≤ 100% when `max100`). */
function intOrPercentErrors(where: string, v: unknown, max100 = false): string[] {
    if (v === undefined) return [];
    if (typeof v === "number") return v < 0 ? [`${where}: must be greater than or equal to 0`] : [];
    if (typeof v !== "string" || !/^\d+%$/.test(v))
        return [`${where}: ${str(v)} must be an integer or percentage (e.g. '5%')`];
    return max100 && Number(v.slice(0, -1)) > 100 ? [`${where}: ${str(v)} must not be greater than 100%`] : [];
}

// ---------------------------------------------------------------------------------------------
// Pod spec (ValidatePodSpec, after defaulting)

const STANDARD_CONTAINER_RESOURCES = new Set(["cpu", "memory", "ephemeral-storage"]);
const isHugePages = (r: string) => r.startsWith("hugepages-");
/** Extended resources (domain-prefixed, not kubernetes.io) are integers and cannot be overcommitted. */
const isExtended = (r: string) => r.includes("/") && !r.startsWith("kubernetes.io/") && !r.startsWith("requests.");

function resourceErrors(where: string, res: unknown): string[] {
    if (!isObj(res)) return [];
    const errs: string[] = [];
    const limits: Record<string, Any> = isObj(res.limits) ? res.limits : {};
    // Defaulting: a resource with a limit and no request is requested at the limit.
    const requests: Record<string, Any> = { ...limits, ...(isObj(res.requests) ? res.requests : {}) };
    for (const [field, m] of [
        ["limits", limits],
        ["requests", requests],
    ] as const) {
        for (const [r, q] of Object.entries(m)) {
            const at = `${where}.${field}[${str(r)}]`;
            if (!r.includes("/")) {
                if (!STANDARD_CONTAINER_RESOURCES.has(r) && !isHugePages(r))
                    errs.push(
                        `${at}: must be a standard resource for containers (cpu, memory, ephemeral-storage, hugepages-<size>) or a domain-prefixed extended resource`,
                    );
            } else if (!isQualifiedName(r) || r.startsWith("kubernetes.io/") || r.startsWith("requests.")) {
                errs.push(`${at}: does not follow the extended resource name standard`);
            }
            const v = quantity(q);
            if (v === undefined) continue; // the schema says what is wrong with it
            if (v < 0) errs.push(`${at}: must be greater than or equal to 0`);
            if (isExtended(r) && milli(v) % 1000 !== 0) errs.push(`${at}: must be an integer`);
        }
    }
    for (const [r, q] of Object.entries(requests)) {
        const req = quantity(q);
        const lim = limits[r] === undefined ? undefined : quantity(limits[r]);
        if (limits[r] === undefined) {
            if (isExtended(r) || isHugePages(r))
                errs.push(`${where}.limits: Limit must be set for non overcommitable resources (${r})`);
        } else if (req !== undefined && lim !== undefined) {
            if ((isExtended(r) || isHugePages(r)) && milli(req) !== milli(lim))
                errs.push(`${where}.requests: ${r} must be equal to ${r} limit of ${String(limits[r])}`);
            else if (milli(req) > milli(lim))
                errs.push(`${where}.requests: ${r} must be less than or equal to ${r} limit of ${String(limits[r])}`);
        }
    }
    return errs;
}

function securityContextErrors(where: string, sc: unknown, hostUsers: boolean): string[] {
    if (!isObj(sc)) return [];
    const errs: string[] = [];
    for (const k of ["runAsUser", "runAsGroup"]) {
        const v = num(sc[k]);
        if (v !== undefined && (v < 0 || v > 2147483647))
            errs.push(`${where}.${k}: must be between 0 and 2147483647, inclusive`);
    }
    if (sc.procMount !== undefined && sc.procMount !== "Default" && sc.procMount !== "Unmasked")
        errs.push(`${where}.procMount: ${str(sc.procMount)} is not Default or Unmasked`);
    if (sc.procMount === "Unmasked" && hostUsers)
        errs.push(`${where}.procMount: \`hostUsers\` must be false to use \`Unmasked\``);
    errs.push(...seccompErrors(`${where}.seccompProfile`, sc.seccompProfile));
    if (sc.allowPrivilegeEscalation === false) {
        if (sc.privileged === true)
            errs.push(`${where}: cannot set allowPrivilegeEscalation to false and privileged to true`);
        // The server's rule is about this exact spelling only.
        if (list(sc.capabilities?.add).includes("CAP_SYS_ADMIN"))
            errs.push(`${where}: cannot set allowPrivilegeEscalation to false and capabilities.Add CAP_SYS_ADMIN`);
    }
    return errs;
}

function seccompErrors(where: string, sp: unknown): string[] {
    if (!isObj(sp)) return [];
    if (sp.type === "Localhost")
        return typeof sp.localhostProfile === "string" && sp.localhostProfile !== ""
            ? []
            : [`${where}.localhostProfile: must be set when seccomp type is Localhost`];
    return sp.localhostProfile !== undefined
        ? [`${where}.localhostProfile: can only be set when seccomp type is Localhost`]
        : [];
}

function podSecurityContextErrors(where: string, sc: unknown): string[] {
    if (!isObj(sc)) return [];
    const errs: string[] = [];
    for (const k of ["runAsUser", "runAsGroup", "fsGroup"]) {
        const v = num(sc[k]);
        if (v !== undefined && (v < 0 || v > 2147483647))
            errs.push(`${where}.${k}: must be between 0 and 2147483647, inclusive`);
    }
    list(sc.supplementalGroups).forEach((g, i) =>
        typeof g === "number" && (g < 0 || g > 2147483647)
            ? errs.push(`${where}.supplementalGroups[${i}]: must be between 0 and 2147483647, inclusive`)
            : undefined,
    );
    list(sc.sysctls).forEach((s, i) => {
        if (
            typeof s?.name !== "string" ||
            !/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(s.name) ||
            s.name.length > 253
        )
            errs.push(`${where}.sysctls[${i}].name: ${str(s?.name)} is not a sysctl name`);
    });
    errs.push(...seccompErrors(`${where}.seccompProfile`, sc.seccompProfile));
    return errs;
}

/** A probe or lifecycle handler: exactly one action. */
function handlerErrors(where: string, h: Any, actions: string[], ports: Set<string>, gracePeriod: number): string[] {
    const set = actions.filter((a) => h?.[a] !== undefined && h?.[a] !== null);
    if (set.length === 0) return [`${where}: must specify a handler type`];
    const errs = set.length > 1 ? [`${where}.${set[1]}: may not specify more than 1 handler type`] : [];
    for (const a of ["httpGet", "tcpSocket"]) {
        const port = h?.[a]?.port;
        if (port === undefined) continue;
        if (typeof port === "number" && (port < 1 || port > 65535))
            errs.push(`${where}.${a}.port: must be between 1 and 65535, inclusive`);
        if (typeof port === "string") {
            if (/^\d+$/.test(port)) continue; // decoded as a number by int-or-string
            if (!isPortName(port)) errs.push(`${where}.${a}.port: ${str(port)} is not a valid port name`);
        }
    }
    if (h?.sleep !== undefined) {
        const s = num(h.sleep?.seconds) ?? 0;
        if (s < 0 || s > gracePeriod)
            errs.push(
                `${where}.sleep: must be non-negative and less than terminationGracePeriodSeconds (${gracePeriod})`,
            );
    }
    void ports;
    return errs;
}

function probeErrors(
    where: string,
    p: unknown,
    kind: "liveness" | "readiness" | "startup",
    ports: Set<string>,
    gracePeriod: number,
): string[] {
    if (!isObj(p)) return [];
    const errs = handlerErrors(where, p, ["exec", "httpGet", "tcpSocket", "grpc"], ports, gracePeriod);
    for (const k of [
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ]) {
        const v = num(p[k]);
        if (v !== undefined && v < 0) errs.push(`${where}.${k}: must be greater than or equal to 0`);
    }
    const success = num(p.successThreshold) || 1; // 0 is defaulted to 1
    if (kind !== "readiness" && success !== 1) errs.push(`${where}.successThreshold: must be 1`);
    if (kind === "readiness" && p.terminationGracePeriodSeconds !== undefined)
        errs.push(`${where}.terminationGracePeriodSeconds: must not be set for readinessProbes`);
    const tgp = num(p.terminationGracePeriodSeconds);
    if (tgp !== undefined && tgp <= 0) errs.push(`${where}.terminationGracePeriodSeconds: must be greater than 0`);
    return errs;
}

const DOWNWARD_ENV = new Set([
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
]);

function envErrors(where: string, env: unknown): string[] {
    const errs: string[] = [];
    list(env).forEach((e, i) => {
        const at = `${where}[${i}]`;
        if (!isEnvVarName(e?.name))
            errs.push(`${at}.name: ${str(e?.name)} must be printable ASCII characters except '='`);
        const vf = e?.valueFrom;
        if (!isObj(vf)) return;
        const sources = ["fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"].filter(
            (k) => vf[k] !== undefined && vf[k] !== null,
        );
        if (sources.length === 0)
            errs.push(
                `${at}.valueFrom: must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\` or \`secretKeyRef\``,
            );
        else if (typeof e.value === "string" && e.value !== "")
            errs.push(`${at}.valueFrom: may not be specified when \`value\` is not empty`);
        else if (sources.length > 1) errs.push(`${at}.valueFrom: may not have more than one field specified at a time`);
        const fp = vf.fieldRef?.fieldPath;
        if (
            isObj(vf.fieldRef) &&
            (typeof fp !== "string" ||
                (!DOWNWARD_ENV.has(fp) && !/^metadata\.(labels|annotations)\['[^']+'\]$/.test(fp)))
        ) {
            errs.push(`${at}.valueFrom.fieldRef.fieldPath: ${str(fp)} is not a Downward API field for env`);
        }
        for (const k of ["configMapKeyRef", "secretKeyRef"]) {
            const ref = vf[k];
            if (!isObj(ref)) continue;
            if (!ref.name) errs.push(`${at}.valueFrom.${k}.name: Required value`);
            else if (!isDnsSubdomain(ref.name))
                errs.push(`${at}.valueFrom.${k}.name: ${str(ref.name)} must be a DNS-1123 subdomain`);
            if (!isConfigMapKey(ref.key)) errs.push(`${at}.valueFrom.${k}.key: ${str(ref.key)} is not a valid key`);
        }
    });
    return errs;
}

function volumeErrors(where: string, volumes: unknown): { errs: string[]; names: Set<string> } {
    const errs: string[] = [];
    const names = new Set<string>();
    list(volumes).forEach((v, i) => {
        const at = `${where}[${i}]`;
        const own: string[] = [];
        if (!v?.name) own.push(`${at}.name: Required value`);
        else if (!isDnsLabel(v.name))
            own.push(`${at}.name: ${str(v.name)} must be a DNS-1123 label (≤ 63 lowercase alphanumerics or '-')`);
        if (names.has(v?.name)) own.push(`${at}.name: Duplicate value ${str(v.name)}`);
        const sources = Object.keys(isObj(v) ? v : {}).filter(
            (k) => k !== "name" && v[k] !== undefined && v[k] !== null,
        );
        if (sources.length > 1) own.push(`${at}.${sources[1]}: may not specify more than 1 volume type`);
        const ed = v?.emptyDir;
        if (isObj(ed) && ed.sizeLimit !== undefined && (quantity(ed.sizeLimit) ?? 0) < 0)
            own.push(`${at}.emptyDir.sizeLimit: SizeLimit field must be a valid resource quantity`);
        const sec = v?.secret;
        if (isObj(sec)) {
            if (!sec.secretName) own.push(`${at}.secret.secretName: Required value`);
            const mode = num(sec.defaultMode);
            if (mode !== undefined && (mode < 0 || mode > 0o777))
                own.push(`${at}.secret.defaultMode: must be a number between 0 and 0777 (octal), both inclusive`);
            list(sec.items).forEach((it, j) => {
                const iat = `${at}.secret.items[${j}]`;
                if (!it?.key) own.push(`${iat}.key: Required value`);
                const p = it?.path;
                if (!p) own.push(`${iat}.path: Required value`);
                else if (
                    typeof p === "string" &&
                    (p.startsWith("/") || p.split("/").includes("..") || p.startsWith(".."))
                )
                    own.push(`${iat}.path: item path ${str(p)} must be relative without '..' and not start with '..'`);
                const m = num(it?.mode);
                if (m !== undefined && (m < 0 || m > 0o777))
                    own.push(`${iat}.mode: must be a number between 0 and 0777 (octal), both inclusive`);
            });
        }
        const pvc = v?.persistentVolumeClaim;
        if (isObj(pvc) && !pvc.claimName) own.push(`${at}.persistentVolumeClaim.claimName: Required value`);
        if (own.length) errs.push(...own);
        else names.add(v.name);
    });
    return { errs, names };
}

const CONTAINER_ACTIONS = ["exec", "httpGet", "tcpSocket", "sleep"];

function containerErrors(
    at: string,
    c: Any,
    volumes: Set<string>,
    hostUsers: boolean,
    gracePeriod: number,
    init: boolean,
): string[] {
    const errs: string[] = [];
    if (!isObj(c)) return errs;
    if (!c.name) errs.push(`${at}.name: Required value`);
    else if (!isDnsLabel(c.name))
        errs.push(`${at}.name: ${str(c.name)} must be a DNS-1123 label (≤ 63 lowercase alphanumerics or '-')`);
    if (!c.image) errs.push(`${at}.image: Required value`);
    if (
        c.terminationMessagePolicy !== undefined &&
        c.terminationMessagePolicy !== "" &&
        !["File", "FallbackToLogsOnError"].includes(c.terminationMessagePolicy)
    ) {
        errs.push(`${at}.terminationMessagePolicy: Unsupported value ${str(c.terminationMessagePolicy)}`);
    }
    const ports = new Set<string>();
    list(c.ports).forEach((p, j) => {
        const pat = `${at}.ports[${j}]`;
        if (p?.name !== undefined && p.name !== "") {
            if (!isPortName(p.name))
                errs.push(
                    `${pat}.name: ${str(p.name)} is not an IANA service name (≤ 15 of [a-z0-9-], a letter, no "--")`,
                );
            else if (ports.has(p.name)) errs.push(`${pat}.name: Duplicate value ${str(p.name)}`);
            else ports.add(p.name);
        }
        const cp = num(p?.containerPort);
        if (!cp) errs.push(`${pat}.containerPort: Required value`);
        else if (cp < 1 || cp > 65535) errs.push(`${pat}.containerPort: must be between 1 and 65535, inclusive`);
        const hp = num(p?.hostPort);
        if (hp && (hp < 1 || hp > 65535)) errs.push(`${pat}.hostPort: must be between 1 and 65535, inclusive`);
    });
    errs.push(...envErrors(`${at}.env`, c.env));
    list(c.envFrom).forEach((e, j) => {
        if (e?.prefix !== undefined && e.prefix !== "" && !isEnvVarName(e.prefix))
            errs.push(`${at}.envFrom[${j}].prefix: ${str(e.prefix)} must be printable ASCII characters except '='`);
    });
    const mountPaths = new Set<string>();
    list(c.volumeMounts).forEach((m, j) => {
        const mat = `${at}.volumeMounts[${j}]`;
        if (!m?.name) errs.push(`${mat}.name: Required value`);
        if (!volumes.has(m?.name)) errs.push(`${mat}.name: ${str(m?.name)} not found among the pod's volumes`);
        if (!m?.mountPath) errs.push(`${mat}.mountPath: Required value`);
        if (mountPaths.has(m?.mountPath)) errs.push(`${mat}.mountPath: ${str(m.mountPath)} must be unique`);
        mountPaths.add(m?.mountPath);
        for (const k of ["subPath", "subPathExpr"]) {
            const p = m?.[k];
            if (typeof p !== "string" || p === "") continue;
            if (p.startsWith("/")) errs.push(`${mat}.${k}: ${str(p)} must be a relative path`);
            if (p.split("/").includes("..")) errs.push(`${mat}.${k}: ${str(p)} must not contain '..'`);
        }
        if (m?.subPath && m?.subPathExpr)
            errs.push(`${mat}.subPathExpr: subPathExpr and subPath are mutually exclusive`);
    });
    if (
        c.imagePullPolicy !== undefined &&
        c.imagePullPolicy !== "" &&
        !["Always", "IfNotPresent", "Never"].includes(c.imagePullPolicy)
    )
        errs.push(`${at}.imagePullPolicy: Unsupported value ${str(c.imagePullPolicy)}`);
    errs.push(...resourceErrors(`${at}.resources`, c.resources));
    errs.push(...securityContextErrors(`${at}.securityContext`, c.securityContext, hostUsers));
    const sidecar = init && c.restartPolicy === "Always";
    if (!init || sidecar) {
        errs.push(...probeErrors(`${at}.livenessProbe`, c.livenessProbe, "liveness", ports, gracePeriod));
        errs.push(...probeErrors(`${at}.readinessProbe`, c.readinessProbe, "readiness", ports, gracePeriod));
        errs.push(...probeErrors(`${at}.startupProbe`, c.startupProbe, "startup", ports, gracePeriod));
        for (const h of ["postStart", "preStop"])
            if (isObj(c.lifecycle?.[h]))
                errs.push(
                    ...handlerErrors(`${at}.lifecycle.${h}`, c.lifecycle[h], CONTAINER_ACTIONS, ports, gracePeriod),
                );
    } else {
        for (const k of ["lifecycle", "livenessProbe", "readinessProbe", "startupProbe"])
            if (c[k] !== undefined)
                errs.push(`${at}.${k}: may not be set for init containers without restartPolicy=Always`);
    }
    // Container restart rules (ContainerRestartRules) are on in 1.34: any container may set Always, OnFailure or Never.
    if (c.restartPolicy !== undefined && !["Always", "OnFailure", "Never"].includes(c.restartPolicy))
        errs.push(
            `${at}.restartPolicy: Unsupported value ${str(c.restartPolicy)}: supported values: "Always", "Never", "OnFailure"`,
        );
    return errs;
}

function tolerationErrors(where: string, tolerations: unknown): string[] {
    const errs: string[] = [];
    list(tolerations).forEach((t, i) => {
        const at = `${where}[${i}]`;
        const key = typeof t?.key === "string" ? t.key : "";
        const op = typeof t?.operator === "string" ? t.operator : "";
        if (key !== "" && !isQualifiedName(key)) errs.push(`${at}.key: ${str(key)} is not a qualified name`);
        if (key === "" && op !== "Exists")
            errs.push(
                `${at}.operator: Invalid value: ${str(op)}: operator must be Exists when key is empty, which means "match all values and all keys"`,
            );
        if (t?.tolerationSeconds !== undefined && t?.tolerationSeconds !== null && t?.effect !== "NoExecute")
            errs.push(
                `${at}.effect: Invalid value: ${str(t?.effect ?? "")}: effect must be NoExecute when tolerationSeconds is set`,
            );
        if (op === "" || op === "Equal") {
            if (!isLabelValue(t?.value ?? "")) errs.push(`${at}.value: ${str(t?.value)} is not a valid label value`);
        } else if (op === "Exists") {
            if (typeof t?.value === "string" && t.value !== "")
                errs.push(`${at}.operator: value must be empty when operator is Exists`);
        } else errs.push(`${at}.operator: Unsupported value ${str(op)}: supported values: "Equal", "Exists"`);
        const effect = t?.effect ?? "";
        if (effect !== "" && !["NoSchedule", "PreferNoSchedule", "NoExecute"].includes(effect))
            errs.push(`${at}.effect: Unsupported value ${str(effect)}`);
    });
    return errs;
}

function nodeSelectorTermErrors(where: string, term: Any): string[] {
    const errs: string[] = [];
    list(term?.matchExpressions).forEach((r, i) => {
        const at = `${where}.matchExpressions[${i}]`;
        const values = list(r?.values);
        if (r?.operator === "In" || r?.operator === "NotIn") {
            if (values.length === 0) errs.push(`${at}.values: must be specified when \`operator\` is 'In' or 'NotIn'`);
        } else if (r?.operator === "Exists" || r?.operator === "DoesNotExist") {
            if (values.length > 0)
                errs.push(`${at}.values: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`);
        } else if (r?.operator === "Gt" || r?.operator === "Lt") {
            if (values.length !== 1)
                errs.push(`${at}.values: must be specified single value when \`operator\` is 'Lt' or 'Gt'`);
        } else errs.push(`${at}.operator: ${str(r?.operator)} is not a valid selector operator`);
        if (!isQualifiedName(r?.key)) errs.push(`${at}.key: ${str(r?.key)} is not a qualified name`);
        values.forEach(
            (v, j) => !isLabelValue(v) && errs.push(`${at}.values[${j}]: ${str(v)} is not a valid label value`),
        );
    });
    // ValidateNodeFieldSelectorRequirement (checked with a server-side dry run, 2026-12-07).
    list(term?.matchFields).forEach((r, i) => {
        const at = `${where}.matchFields[${i}]`;
        const values = list(r?.values);
        if (r?.operator !== "In" && r?.operator !== "NotIn")
            errs.push(`${at}.operator: ${str(r?.operator)} is not a valid selector operator`);
        else if (values.length !== 1)
            errs.push(
                `${at}.values: must be only one value when \`operator\` is 'In' or 'NotIn' for node field selector`,
            );
        if (r?.key !== "metadata.name") errs.push(`${at}.key: ${str(r?.key)} is not a valid field selector key`);
        values.forEach(
            (v, j) => !isDnsSubdomain(v) && errs.push(`${at}.values[${j}]: ${str(v)} must be a DNS-1123 subdomain`),
        );
    });
    return errs;
}

function affinityErrors(where: string, a: unknown): string[] {
    if (!isObj(a)) return [];
    const errs: string[] = [];
    const na = a.nodeAffinity;
    if (isObj(na)) {
        const req = na.requiredDuringSchedulingIgnoredDuringExecution;
        if (isObj(req)) {
            const terms = list(req.nodeSelectorTerms);
            if (terms.length === 0)
                errs.push(
                    `${where}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: must have at least one node selector term`,
                );
            terms.forEach((t, i) =>
                errs.push(
                    ...nodeSelectorTermErrors(
                        `${where}.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[${i}]`,
                        t,
                    ),
                ),
            );
        }
        list(na.preferredDuringSchedulingIgnoredDuringExecution).forEach((p, i) => {
            const w = num(p?.weight);
            if (w === undefined || w < 1 || w > 100)
                errs.push(
                    `${where}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}].weight: must be in the range 1-100`,
                );
            errs.push(
                ...nodeSelectorTermErrors(
                    `${where}.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[${i}].preference`,
                    p?.preference,
                ),
            );
        });
    }
    for (const kind of ["podAffinity", "podAntiAffinity"]) {
        const pa = a[kind];
        if (!isObj(pa)) continue;
        list(pa.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
            if (!t?.topologyKey)
                errs.push(
                    `${where}.${kind}.requiredDuringSchedulingIgnoredDuringExecution[${i}].topologyKey: can not be empty`,
                );
            else if (!isQualifiedName(t.topologyKey))
                errs.push(
                    `${where}.${kind}.requiredDuringSchedulingIgnoredDuringExecution[${i}].topologyKey: ${str(t.topologyKey)} is not a qualified name`,
                );
            errs.push(
                ...selectorErrors(
                    `${where}.${kind}.requiredDuringSchedulingIgnoredDuringExecution[${i}].labelSelector`,
                    t?.labelSelector,
                ),
            );
        });
        list(pa.preferredDuringSchedulingIgnoredDuringExecution).forEach((p, i) => {
            const w = num(p?.weight);
            if (w === undefined || w < 1 || w > 100)
                errs.push(
                    `${where}.${kind}.preferredDuringSchedulingIgnoredDuringExecution[${i}].weight: must be in the range 1-100`,
                );
            const term = p?.podAffinityTerm;
            const at = `${where}.${kind}.preferredDuringSchedulingIgnoredDuringExecution[${i}].podAffinityTerm`;
            if (!term?.topologyKey) errs.push(`${at}.topologyKey: can not be empty`);
            else if (!isQualifiedName(term.topologyKey))
                errs.push(`${at}.topologyKey: ${str(term.topologyKey)} is not a qualified name`);
            errs.push(...selectorErrors(`${at}.labelSelector`, term?.labelSelector));
        });
    }
    return errs;
}

export interface PodSpecContext {
    /** Restart policies the owning kind allows (Deployment: Always; Job: OnFailure, Never). */
    restartPolicies?: string[];
    /** Whether activeDeadlineSeconds is allowed (not in a Deployment's template). */
    activeDeadline?: boolean;
}

/**
 * Server-side apply (how Pulumi and `kubectl apply --server-side` send objects) refuses an applied list
 * with two items of the same key in a `listType=map` list (`duplicate entries for key [name="x"]`),
 * whatever the Go validation would say.
 */
function duplicateKeyErrors(
    where: string,
    items: unknown,
    keys: string[],
    defaults: Record<string, unknown> = {},
): string[] {
    const seen = new Set<string>();
    const errs: string[] = [];
    list(items).forEach((it, i) => {
        const key = JSON.stringify(keys.map((k) => it?.[k] ?? defaults[k] ?? null));
        if (seen.has(key))
            errs.push(
                `${where}[${i}]: duplicate entries for key ${keys.map((k, j) => `${k}=${JSON.stringify(JSON.parse(key)[j])}`).join(",")} (server-side apply)`,
            );
        seen.add(key);
    });
    return errs;
}

function podSpecListMapErrors(where: string, spec: Record<string, Any>): string[] {
    const errs = [
        ...duplicateKeyErrors(`${where}.containers`, spec.containers, ["name"]),
        ...duplicateKeyErrors(`${where}.initContainers`, spec.initContainers, ["name"]),
        ...duplicateKeyErrors(`${where}.volumes`, spec.volumes, ["name"]),
        ...duplicateKeyErrors(`${where}.imagePullSecrets`, spec.imagePullSecrets, ["name"]),
        ...duplicateKeyErrors(`${where}.schedulingGates`, spec.schedulingGates, ["name"]),
        ...duplicateKeyErrors(`${where}.hostAliases`, spec.hostAliases, ["ip"]),
        ...duplicateKeyErrors(`${where}.topologySpreadConstraints`, spec.topologySpreadConstraints, [
            "topologyKey",
            "whenUnsatisfiable",
        ]),
    ];
    for (const field of ["containers", "initContainers"]) {
        list(spec[field]).forEach((c, i) => {
            const at = `${where}.${field}[${i}]`;
            errs.push(
                ...duplicateKeyErrors(`${at}.env`, c?.env, ["name"]),
                ...duplicateKeyErrors(`${at}.volumeMounts`, c?.volumeMounts, ["mountPath"]),
                ...duplicateKeyErrors(`${at}.volumeDevices`, c?.volumeDevices, ["devicePath"]),
                ...duplicateKeyErrors(`${at}.ports`, c?.ports, ["containerPort", "protocol"], { protocol: "TCP" }),
            );
        });
    }
    return errs;
}

/** What ValidatePodSpec (and the owning kind's template rules) refuse in `spec`, after defaulting. */
export function podSpecErrors(where: string, spec: unknown, ctx: PodSpecContext = {}): string[] {
    if (!isObj(spec)) return [];
    const errs = podSpecListMapErrors(where, spec);
    const hostUsers = spec.hostUsers !== false;
    const gracePeriod = num(spec.terminationGracePeriodSeconds) ?? 30;
    const { errs: volErrs, names: volumes } = volumeErrors(`${where}.volumes`, spec.volumes);
    errs.push(...volErrs);
    const containers = list(spec.containers);
    if (containers.length === 0) errs.push(`${where}.containers: Required value`);
    const names = new Set<string>();
    for (const field of ["initContainers", "containers"] as const) {
        list(spec[field]).forEach((c, i) => {
            const at = `${where}.${field}[${i}]`;
            errs.push(...containerErrors(at, c, volumes, hostUsers, gracePeriod, field === "initContainers"));
            if (typeof c?.name === "string" && c.name !== "") {
                if (names.has(c.name)) errs.push(`${at}.name: duplicate ${str(c.name)}`);
                names.add(c.name);
            }
        });
    }
    const rp = spec.restartPolicy ?? "Always";
    if (!["Always", "OnFailure", "Never"].includes(rp))
        errs.push(`${where}.restartPolicy: Unsupported value ${str(rp)}`);
    else if (ctx.restartPolicies && !ctx.restartPolicies.includes(rp))
        errs.push(
            `${where}.restartPolicy: Unsupported value ${str(rp)}: supported values: ${ctx.restartPolicies.map(str).join(", ")}`,
        );
    const dns = spec.dnsPolicy ?? "ClusterFirst";
    if (!["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"].includes(dns))
        errs.push(`${where}.dnsPolicy: Unsupported value ${str(dns)}`);
    if (dns === "None" && !isObj(spec.dnsConfig))
        errs.push(`${where}.dnsConfig: Required value: must provide \`dnsConfig\` when \`dnsPolicy\` is None`);
    errs.push(...labelErrors(`${where}.nodeSelector`, spec.nodeSelector));
    errs.push(...podSecurityContextErrors(`${where}.securityContext`, spec.securityContext));
    if (spec.hostPID === true && spec.shareProcessNamespace === true)
        errs.push(
            `${where}.securityContext.shareProcessNamespace: ShareProcessNamespace and HostPID cannot both be enabled`,
        );
    list(spec.imagePullSecrets).forEach((s, i) => {
        if (isObj(s) && Object.keys(s).some((k) => k !== "name"))
            errs.push(`${where}.imagePullSecrets[${i}]: only name may be set`);
    });
    errs.push(...affinityErrors(`${where}.affinity`, spec.affinity));
    const gates = new Set<string>();
    list(spec.schedulingGates).forEach((g, i) => {
        if (!isQualifiedName(g?.name))
            errs.push(`${where}.schedulingGates[${i}]: ${str(g?.name)} is not a qualified name`);
        if (gates.has(g?.name)) errs.push(`${where}.schedulingGates[${i}]: Duplicate value ${str(g.name)}`);
        gates.add(g?.name);
    });
    const spread = new Set<string>();
    list(spec.topologySpreadConstraints).forEach((t, i) => {
        const at = `${where}.topologySpreadConstraints[${i}]`;
        if (!((num(t?.maxSkew) ?? 0) > 0)) errs.push(`${at}.maxSkew: must be greater than zero`);
        if (!t?.topologyKey) errs.push(`${at}.topologyKey: can not be empty`);
        else if (!isQualifiedName(t.topologyKey))
            errs.push(`${at}.topologyKey: ${str(t.topologyKey)} is not a qualified name`);
        if (!["DoNotSchedule", "ScheduleAnyway"].includes(t?.whenUnsatisfiable))
            errs.push(`${at}.whenUnsatisfiable: Unsupported value ${str(t?.whenUnsatisfiable)}`);
        const key = `${String(t?.topologyKey)}/${String(t?.whenUnsatisfiable)}`;
        if (spread.has(key)) errs.push(`${at}.{topologyKey, whenUnsatisfiable}: Duplicate value ${str(key)}`);
        spread.add(key);
    });
    if (spec.serviceAccountName && !isDnsSubdomain(spec.serviceAccountName))
        errs.push(`${where}.serviceAccountName: ${str(spec.serviceAccountName)} must be a DNS-1123 subdomain`);
    const ads = num(spec.activeDeadlineSeconds);
    if (ads !== undefined && (ads < 1 || ads > 2147483647))
        errs.push(`${where}.activeDeadlineSeconds: must be between 1 and 2147483647, inclusive`);
    if (spec.activeDeadlineSeconds !== undefined && ctx.activeDeadline === false)
        errs.push(`${where}.activeDeadlineSeconds: activeDeadlineSeconds in ReplicaSet is not Supported`);
    for (const k of ["hostname", "subdomain"])
        if (spec[k] && !isDnsLabel(spec[k])) errs.push(`${where}.${k}: ${str(spec[k])} must be a DNS-1123 label`);
    errs.push(...tolerationErrors(`${where}.tolerations`, spec.tolerations));
    if (spec.priorityClassName && !isDnsSubdomain(spec.priorityClassName))
        errs.push(`${where}.priorityClassName: ${str(spec.priorityClassName)} must be a DNS-1123 subdomain`);
    if (spec.runtimeClassName && !isDnsSubdomain(spec.runtimeClassName))
        errs.push(`${where}.runtimeClassName: ${str(spec.runtimeClassName)} must be a DNS-1123 subdomain`);
    // (A negative terminationGracePeriodSeconds is admitted: the server makes it 1 for pods.)
    return errs;
}

/** The pod template of a core kind: metadata labels/annotations and its spec under the kind's rules. */
function templateErrors(where: string, template: unknown, ctx: PodSpecContext): string[] {
    if (!isObj(template)) return [];
    const md = template.metadata;
    const errs = labelErrors(`${where}.metadata.labels`, md?.labels);
    for (const k of Object.keys(isObj(md?.annotations) ? md.annotations : {}))
        if (!isQualifiedName(k)) errs.push(`${where}.metadata.annotations: key ${str(k)} is not a qualified name`);
    errs.push(...podSpecErrors(`${where}.spec`, template.spec, ctx));
    return errs;
}

// ---------------------------------------------------------------------------------------------
// Kinds

function deploymentErrors(o: Any): string[] {
    const s = o.spec;
    if (!isObj(s)) return [];
    const errs: string[] = [];
    for (const k of ["replicas", "minReadySeconds", "revisionHistoryLimit"])
        if ((num(s[k]) ?? 0) < 0) errs.push(`spec.${k}: must be greater than or equal to 0`);
    const sel = s.selector;
    if (!isObj(sel) || (!entries(sel.matchLabels).length && !list(sel.matchExpressions).length))
        errs.push("spec.selector: Required value: empty selector is invalid for deployment");
    else {
        errs.push(...selectorErrors("spec.selector", sel));
        const labels = s.template?.metadata?.labels ?? {};
        if (entries(sel.matchLabels).some(([k, v]) => labels[k] !== v))
            errs.push("spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`");
    }
    const st = s.strategy;
    if (isObj(st)) {
        if (st.type === "Recreate" && st.rollingUpdate !== undefined)
            errs.push(
                "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
            );
        const ru = st.rollingUpdate;
        if (isObj(ru)) {
            errs.push(
                ...intOrPercentErrors("spec.strategy.rollingUpdate.maxUnavailable", ru.maxUnavailable, true),
                ...intOrPercentErrors("spec.strategy.rollingUpdate.maxSurge", ru.maxSurge),
            );
            const zero = (v: unknown) => v === 0 || v === "0%";
            if (zero(ru.maxUnavailable) && zero(ru.maxSurge))
                errs.push("spec.strategy.rollingUpdate.maxUnavailable: may not be 0 when `maxSurge` is 0");
        }
    }
    const pds = num(s.progressDeadlineSeconds);
    if (pds !== undefined && pds <= (num(s.minReadySeconds) ?? 0))
        errs.push("spec.progressDeadlineSeconds: must be greater than minReadySeconds");
    errs.push(...templateErrors("spec.template", s.template, { restartPolicies: ["Always"], activeDeadline: false }));
    return errs;
}

function jobErrors(o: Any, where = "spec"): string[] {
    const s = where === "spec" ? o.spec : o;
    if (!isObj(s)) return [];
    const errs: string[] = [];
    for (const k of ["parallelism", "completions", "backoffLimit", "ttlSecondsAfterFinished"])
        if ((num(s[k]) ?? 0) < 0) errs.push(`${where}.${k}: must be greater than or equal to 0`);
    const ads = num(s.activeDeadlineSeconds);
    if (ads !== undefined && ads <= 0) errs.push(`${where}.activeDeadlineSeconds: must be greater than 0`);
    if (s.completionMode !== undefined && !["NonIndexed", "Indexed"].includes(s.completionMode))
        errs.push(`${where}.completionMode: Unsupported value ${str(s.completionMode)}`);
    if (s.completionMode === "Indexed" && s.completions === undefined)
        errs.push(`${where}.completions: Required value: when completion mode is Indexed`);
    if (where === "spec" && s.selector !== undefined && s.manualSelector !== true)
        errs.push(`${where}.selector: Invalid value: \`selector\` will be auto-generated`);
    if (where === "spec") {
        // The Job's name becomes the value of its pods' job-name labels, and (Indexed) their hostnames' prefix.
        const name = String(o.metadata?.name ?? "");
        if (name.length > 63)
            errs.push(
                `metadata.name: ${str(name)} is longer than 63 characters (it becomes the pods' batch.kubernetes.io/job-name label value)`,
            );
        const completions = num(s.completions);
        if (
            s.completionMode === "Indexed" &&
            completions !== undefined &&
            completions > 0 &&
            !isDnsLabel(`${name}-${completions - 1}`)
        ) {
            errs.push(`metadata.name: will not able to create pod with invalid DNS label: ${name}-${completions - 1}`);
        }
    }
    errs.push(...templateErrors(`${where}.template`, s.template, { restartPolicies: ["OnFailure", "Never"] }));
    return errs;
}

function serviceErrors(o: Any): string[] {
    const s = o.spec;
    if (!isObj(s)) return [];
    const errs: string[] = [];
    const type = s.type ?? "ClusterIP";
    const headless = s.clusterIP === "None";
    const ports = list(s.ports);
    if (type !== "ExternalName" && !headless && ports.length === 0) errs.push("spec.ports: Required value");
    const names = new Set<string>();
    errs.push(...duplicateKeyErrors("spec.ports", ports, ["port", "protocol"], { protocol: "TCP" }));
    ports.forEach((p, i) => {
        const at = `spec.ports[${i}]`;
        if (ports.length > 1 && !p?.name) errs.push(`${at}.name: Required value`);
        if (p?.name) {
            if (!isPortName(p.name))
                errs.push(
                    `${at}.name: ${str(p.name)} is not an IANA service name (≤ 15 of [a-z0-9-], a letter, no "--")`,
                );
            if (names.has(p.name)) errs.push(`${at}.name: Duplicate value ${str(p.name)}`);
            names.add(p.name);
        }
        const port = num(p?.port);
        if (port === undefined || port < 1 || port > 65535)
            errs.push(`${at}.port: must be between 1 and 65535, inclusive`);
        const tp = p?.targetPort;
        if (typeof tp === "number" && (tp < 1 || tp > 65535))
            errs.push(`${at}.targetPort: must be between 1 and 65535, inclusive`);
        if (typeof tp === "string" && !/^\d+$/.test(tp) && !isPortName(tp))
            errs.push(`${at}.targetPort: ${str(tp)} is not a valid port name`);
        const np = num(p?.nodePort);
        if (np !== undefined && np !== 0 && type === "ClusterIP")
            errs.push(`${at}.nodePort: may not be used when \`type\` is 'ClusterIP'`);
    });
    if (headless && (type === "NodePort" || type === "LoadBalancer"))
        errs.push(`spec.clusterIPs[0]: may not be set to 'None' for ${type} services`);
    if (s.externalTrafficPolicy !== undefined && type !== "NodePort" && type !== "LoadBalancer")
        errs.push("spec.externalTrafficPolicy: may only be set for externally-accessible services");
    errs.push(...labelErrors("spec.selector", s.selector));
    return errs;
}

function hpaErrors(o: Any): string[] {
    const s = o.spec;
    if (!isObj(s)) return [];
    const errs: string[] = [];
    const min = num(s.minReplicas) ?? 1;
    const max = num(s.maxReplicas) ?? 0;
    if (min < 1) errs.push("spec.minReplicas: must be greater than or equal to 1");
    if (max < 1) errs.push("spec.maxReplicas: must be greater than 0");
    else if (max < min) errs.push("spec.maxReplicas: must be greater than or equal to `minReplicas`");
    const ref = s.scaleTargetRef;
    if (!ref?.kind) errs.push("spec.scaleTargetRef.kind: Required value");
    if (!ref?.name) errs.push("spec.scaleTargetRef.name: Required value");
    list(s.metrics).forEach((m, i) => {
        const target = m?.resource?.target ?? m?.containerResource?.target;
        const u = num(target?.averageUtilization);
        if (u !== undefined && u <= 0)
            errs.push(`spec.metrics[${i}].resource.target.averageUtilization: must be greater than 0`);
    });
    return errs;
}

function pdbErrors(o: Any): string[] {
    const s = o.spec;
    if (!isObj(s)) return [];
    const errs: string[] = [];
    if (s.minAvailable !== undefined && s.maxUnavailable !== undefined)
        errs.push("spec: minAvailable and maxUnavailable cannot be both set");
    errs.push(
        ...intOrPercentErrors("spec.minAvailable", s.minAvailable, true),
        ...intOrPercentErrors("spec.maxUnavailable", s.maxUnavailable, true),
    );
    errs.push(...selectorErrors("spec.selector", s.selector));
    return errs;
}

function pvcErrors(o: Any): string[] {
    const s = o.spec;
    if (!isObj(s)) return [];
    const errs: string[] = [];
    const modes = list(s.accessModes);
    if (modes.length === 0 && !s.dataSource && !s.dataSourceRef)
        errs.push("spec.accessModes: Required value: at least 1 access mode is required");
    if (modes.includes("ReadWriteOncePod") && modes.length > 1)
        errs.push("spec.accessModes: may not use ReadWriteOncePod with other access modes");
    const storage = s.resources?.requests?.storage;
    if (storage === undefined) errs.push("spec.resources[storage]: Required value");
    else if (!((quantity(storage) ?? 1) > 0)) errs.push("spec.resources[storage]: must be greater than zero");
    if (s.storageClassName && !isDnsSubdomain(s.storageClassName))
        errs.push(`spec.storageClassName: ${str(s.storageClassName)} must be a DNS-1123 subdomain`);
    return errs;
}

const SECRET_KEYS_REQUIRED: Record<string, string[]> = {
    "kubernetes.io/ssh-auth": ["ssh-privatekey"],
    "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
    "kubernetes.io/dockercfg": [".dockercfg"],
    "kubernetes.io/tls": ["tls.crt", "tls.key"],
};

function secretErrors(o: Any): string[] {
    const errs: string[] = [];
    let bytes = 0;
    const keys = new Set<string>();
    for (const field of ["data", "stringData"]) {
        for (const [k, v] of entries(o[field])) {
            keys.add(k);
            if (!isConfigMapKey(k))
                errs.push(
                    `${field}[${str(k)}]: a valid config key must consist of alphanumeric characters, '-', '_' or '.'`,
                );
            if (typeof v === "string")
                bytes += field === "data" ? Buffer.from(v, "base64").length : Buffer.byteLength(v);
        }
    }
    if (bytes > 1024 * 1024) errs.push(`data: Too long: may not be more than 1048576 bytes (${bytes})`);
    for (const k of SECRET_KEYS_REQUIRED[o.type] ?? []) if (!keys.has(k)) errs.push(`data[${k}]: Required value`);
    if (o.type === "kubernetes.io/dockerconfigjson" && typeof o.data?.[".dockerconfigjson"] === "string") {
        try {
            JSON.parse(Buffer.from(o.data[".dockerconfigjson"], "base64").toString("utf8"));
        } catch {
            errs.push('data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": invalid character');
        }
    }
    return errs;
}

/** Metadata rules every kind shares (label and annotation syntax, annotation size). */
function metadataErrors(where: string, md: unknown): string[] {
    if (!isObj(md)) return [];
    const errs = labelErrors(`${where}.labels`, md.labels);
    let bytes = 0;
    for (const [k, v] of entries(md.annotations)) {
        if (!isQualifiedName(k.toLowerCase())) errs.push(`${where}.annotations: key ${str(k)} is not a qualified name`);
        bytes += Buffer.byteLength(k) + (typeof v === "string" ? Buffer.byteLength(v) : 0);
    }
    if (bytes > 256 * 1024) errs.push(`${where}.annotations: ${bytes} bytes exceed the 256 KiB limit`);
    return errs;
}

/** What the API server refuses in the object itself (Go validation of core kinds; metadata of every kind). */
export function admissionErrors(o: Any): string[] {
    if (!isObj(o)) return [];
    const errs = metadataErrors("metadata", o.metadata);
    switch (o.kind) {
        case "Deployment":
            errs.push(...deploymentErrors(o));
            break;
        case "Job":
            errs.push(...jobErrors(o));
            break;
        case "Service":
            errs.push(...serviceErrors(o));
            break;
        case "HorizontalPodAutoscaler":
            errs.push(...hpaErrors(o));
            break;
        case "PodDisruptionBudget":
            errs.push(...pdbErrors(o));
            break;
        case "PersistentVolumeClaim":
            errs.push(...pvcErrors(o));
            break;
        case "Secret":
            errs.push(...secretErrors(o));
            break;
    }
    return errs;
}

/**
 * What a real create refuses that a server-side dry run does not see: resources the server allocates
 * (a Service's node ports must lie in `--service-node-port-range`, default 30000-32767; the dry run
 * skips the allocation).
 */
export function allocationErrors(o: Any): string[] {
    if (!isObj(o) || o.kind !== "Service") return [];
    const errs: string[] = [];
    list(o.spec?.ports).forEach((p, i) => {
        const np = num(p?.nodePort);
        if (np !== undefined && np !== 0 && (np < 30000 || np > 32767))
            errs.push(`spec.ports[${i}].nodePort: ${np} is outside the default node-port range 30000-32767`);
    });
    return errs;
}

/** What the objects a controller creates from `o` would be refused for: a JobSet's Jobs (and their pods). */
export function downstreamErrors(o: Any): string[] {
    if (!isObj(o) || o.kind !== "JobSet") return [];
    const errs: string[] = [];
    list(o.spec?.replicatedJobs).forEach((rj, i) => {
        const where = `spec.replicatedJobs[${i}].template.spec`;
        const job = rj?.template?.spec;
        if (!isObj(job)) return;
        // The JobSet webhook's defaults: Indexed completion, restartPolicy OnFailure.
        const podSpec = isObj(job.template?.spec) ? job.template.spec : {};
        const defaulted = {
            completionMode: "Indexed",
            ...job,
            template: { ...job.template, spec: { restartPolicy: "OnFailure", ...podSpec } },
        };
        errs.push(...jobErrors(defaulted, where));
        errs.push(...metadataErrors(`${where}.template.metadata`, rj?.template?.spec?.template?.metadata));
    });
    return errs;
}

/** The pod templates of a workload (Pod, Deployment, Job, each of a JobSet's replicated jobs). */
export function podTemplates(o: Any): Array<[string, Any]> {
    const s = o?.spec;
    if (o?.kind === "Pod") return [["spec", s]];
    if (o?.kind === "Deployment" || o?.kind === "Job") return [["spec.template.spec", s?.template?.spec]];
    if (o?.kind === "JobSet")
        return list(s?.replicatedJobs).map((rj, i) => [
            `spec.replicatedJobs[${i}].template.spec.template.spec`,
            rj?.template?.spec?.template?.spec,
        ]);
    return [];
}
