/**
 * The final pod check: what the API server and the kubelet refuse in a pod spec, checked on the pod
 * mlkube emits after every default, profile and patch (podPatch, a profile's podPatch, and
 * runtimePatches on the jobset and kubeflow backends). One rule set, used by Compute and by every
 * TrainJob backend:
 *
 * - secure-default conflicts: `allowPrivilegeEscalation: false` with `privileged: true` or with
 *   `CAP_SYS_ADMIN` (the API server rejects the pair; mlkube's default also refuses `SYS_ADMIN`),
 *   and `runAsUser: 0` with `runAsNonRoot: true` (the kubelet refuses to start the container), per
 *   container with the container's settings over the pod's, init containers too;
 * - names: volume and container names are DNS-1123 labels, unique (containers and init containers
 *   share one namespace), volumeMounts and volumeDevices name a pod volume, port names are IANA
 *   service names, unique in the pod.
 *
 * A problem is reported at the field the user wrote: the sources (the args' security contexts,
 * podPatch, the profile's podPatch, each runtime patch) are searched last to first for the offending
 * value, list items matched by their merge key as the strategic merge matched them. The work is one
 * pass over the pod's containers and volumes; sources are only searched for a problem found.
 */
import { formatPath, quote, ValidationIssue } from "../errors";
import { isDnsLabel, isPortName, portNameMessage, toDnsLabel } from "../schema/names";

type Path = (string | number)[];
type Obj = Record<string, unknown>;

/** A step of a reference into a pod spec: a field, or the item of a list whose `key` field is `value`. */
type Step = string | { key: string; value: unknown };

/** A part of the final pod the user wrote: a partial pod spec and where it is in the args. */
export interface PodSource {
    /** The (partial) pod spec merged into the pod. */
    spec: unknown;
    /** The path, in the component's args, of a path inside `spec`; undefined when the user did not write it there. */
    at: (p: Path) => Path | undefined;
    /** Where the same value may have come from instead (a profile's podPatch under the merged podPatch). */
    under?: PodSource;
}

/** A source that is a pod spec patch written at `prefix` of the args (podPatch, a runtime patch's pod spec). */
export function patchSource(spec: unknown, prefix: Path, under?: PodSource): PodSource {
    return { spec, at: (p) => [...prefix, ...p], under };
}

/** What the final check needs to know about the pod beyond its spec. */
export interface FinalPodOptions {
    /** Whether every pod volume is in the spec (false on kubeflow: the runtime's own volumes are not known). Default true. */
    volumesKnown?: boolean;
    /** Whether every container is in the spec, so each needs an image (false on kubeflow: patches name the runtime's containers). Default true. */
    containersKnown?: boolean;
}

/** The path of the last source that removes the pod's `field` (`volumes: null` in a strategic-merge patch). */
function removedAt(sources: PodSource[], field: "volumes" | "containers"): Path | undefined {
    for (let i = sources.length - 1; i >= 0; i--) {
        const s = sources[i];
        if (isObj(s.spec) && Object.hasOwn(s.spec, field) && s.spec[field] === null) return s.at([field]);
    }
    return undefined;
}

const OFF = "set secureDefaults: false to turn mlkube's secure defaults off, and give the security contexts you need";

function isObj(v: unknown): v is Obj {
    return v !== null && typeof v === "object" && !Array.isArray(v);
}

function own(o: unknown, k: string): unknown {
    return isObj(o) && Object.hasOwn(o, k) ? o[k] : undefined;
}

/** The value at `ref` in `spec` and its path there (with the indexes of that spec's lists), if set. */
function find(spec: unknown, ref: Step[]): { path: Path; value: unknown } | undefined {
    let cur: unknown = spec;
    const path: Path = [];
    for (const step of ref) {
        if (typeof step === "string") {
            cur = own(cur, step);
            path.push(step);
        } else {
            if (!Array.isArray(cur)) return undefined;
            const i = cur.findIndex((e) => own(e, step.key) === step.value);
            if (i < 0) return undefined;
            cur = cur[i];
            path.push(i);
        }
        if (cur === undefined) return undefined;
    }
    return { path, value: cur };
}

function same(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    try {
        return JSON.stringify(a) === JSON.stringify(b);
    } catch {
        return false;
    }
}

/** Where the user wrote the value at `ref`: the last source that sets it; undefined when none does (mlkube's own). */
function origin(sources: PodSource[], ref: Step[]): Path | undefined {
    for (let i = sources.length - 1; i >= 0; i--) {
        const s = sources[i];
        const hit = find(s.spec, ref);
        if (!hit) continue;
        if (s.under) {
            const below = find(s.under.spec, ref);
            const at = below && same(below.value, hit.value) ? s.under.at(below.path) : undefined;
            if (at) return at;
        }
        const at = s.at(hit.path);
        if (at) return at;
    }
    return undefined;
}

/** Containers first: a duplicate name is then reported on the init container (usually the one a patch added). */
const CONTAINER_LISTS = ["containers", "initContainers"] as const;

function labelProblem(what: string, name: string): string {
    return `${quote(name)} is not a valid ${what} name (a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters); use ${quote(toDnsLabel(name))}`;
}

/**
 * The problems of the final pod `spec`, at the paths the user wrote (see the module comment).
 * `sources` are in merge order (later ones win).
 */
export function finalPodIssues(spec: unknown, sources: PodSource[], opts: FinalPodOptions = {}): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (!isObj(spec)) return issues;
    const reported = new Set<string>();
    // A name no source wrote is mlkube's own, from options checked where they are read (ports, emptyDirs):
    // reported there, not twice. (`fallback` undefined.)
    const reportAt = (path: Path | undefined, message: string) => {
        if (!path) return;
        const key = `${formatPath(path)}\0${message}`;
        if (reported.has(key)) return;
        reported.add(key);
        issues.push({ path, message });
    };
    const report = (ref: Step[], fallback: Path | undefined, message: string) =>
        reportAt(origin(sources, ref) ?? fallback, message);
    const where = (ref: Step[]) => origin(sources, ref);

    // Volumes: names, once each.
    const volumes = new Set<string>();
    const volumeList = Array.isArray(spec.volumes) ? spec.volumes : [];
    // A volume named by an Output may be any name: mounts are then not checked against the volumes.
    let volumesKnown = opts.volumesKnown !== false;
    volumeList.forEach((v) => {
        const name = own(v, "name");
        if (typeof name !== "string") {
            volumesKnown = false;
            return;
        }
        const ref: Step[] = ["volumes", { key: "name", value: name }, "name"];
        if (!isDnsLabel(name)) report(ref, undefined, labelProblem("volume", name));
        else if (volumes.has(name))
            report(ref, undefined, `pod volume name ${quote(name)} is used twice; give one of them another name`);
        volumes.add(name);
    });

    // A pod has containers: a patch's `containers: null` would remove mlkube's own.
    if (opts.containersKnown !== false && !(Array.isArray(spec.containers) && spec.containers.length)) {
        reportAt(
            removedAt(sources, "containers"),
            "null removes the pod's containers (mlkube's own too), and a pod needs one; patch containers by name instead",
        );
    }

    const psc = own(spec, "securityContext");
    const containerNames = new Map<string, string>();
    const portNames = new Map<string, string>();
    for (const list of CONTAINER_LISTS) {
        const containers = own(spec, list);
        if (!Array.isArray(containers)) continue;
        containers.forEach((c, i) => {
            const name = own(c, "name");
            if (typeof name !== "string") return;
            const item: Step[] = [list, { key: "name", value: name }];
            if (!isDnsLabel(name)) report([...item, "name"], undefined, labelProblem("container", name));
            const prev = containerNames.get(name);
            if (prev !== undefined)
                report(
                    [...item, "name"],
                    undefined,
                    `${quote(name)} is also the name of ${prev}; container and init container names must be unique in the pod`,
                );
            else containerNames.set(name, `${list}[${i}]`);
            // A container a patch adds (its name matches none of the pod's) is a whole container: the API server requires an image.
            const image = own(c, "image");
            if (opts.containersKnown !== false && (image === undefined || image === null || image === "")) {
                const at = where([...item, "name"]);
                if (at) {
                    report(
                        [...item, "image"],
                        [...at.slice(0, -1), "image"],
                        `is required: ${quote(name)} matches no container of the pod (${
                            [...containerNames.keys()]
                                .filter((n) => n !== name)
                                .map((n) => quote(n))
                                .join(", ") || "none"
                        }), so the patch adds a new container, which needs an image; name an existing container to patch it, or give this one an image`,
                    );
                }
            }

            // Secure-default conflicts.
            const sc = own(c, "securityContext");
            if (own(sc, "allowPrivilegeEscalation") === false) {
                const ape = where([...item, "securityContext", "allowPrivilegeEscalation"]);
                const against =
                    ape === undefined
                        ? "the secure default allowPrivilegeEscalation: false"
                        : `allowPrivilegeEscalation: false set at ${formatPath(ape)}`;
                const fix =
                    ape === undefined
                        ? `set allowPrivilegeEscalation: true explicitly, or ${OFF}`
                        : "remove one of them";
                if (own(sc, "privileged") === true) {
                    report(
                        [...item, "securityContext", "privileged"],
                        [list, i, "securityContext", "privileged"],
                        `true contradicts ${against} (the API server rejects the pair)${ape === undefined ? ' and Pod Security "restricted"' : ""}; ${fix}`,
                    );
                }
                const add = own(own(sc, "capabilities"), "add");
                // The API server refuses CAP_SYS_ADMIN; mlkube's default refuses the runtime's spelling SYS_ADMIN too.
                const sysAdmin = Array.isArray(add)
                    ? add.find((x) => x === "CAP_SYS_ADMIN" || (ape === undefined && x === "SYS_ADMIN"))
                    : undefined;
                if (sysAdmin !== undefined) {
                    report(
                        [...item, "securityContext", "capabilities", "add"],
                        [list, i, "securityContext", "capabilities", "add"],
                        `${quote(sysAdmin)} contradicts ${against} (the API server rejects CAP_SYS_ADMIN with it); ${fix}`,
                    );
                }
            }
            const userAt: Step[] =
                own(sc, "runAsUser") !== undefined
                    ? [...item, "securityContext", "runAsUser"]
                    : ["securityContext", "runAsUser"];
            const nonRootAt: Step[] =
                own(sc, "runAsNonRoot") !== undefined
                    ? [...item, "securityContext", "runAsNonRoot"]
                    : ["securityContext", "runAsNonRoot"];
            const runAsUser = own(sc, "runAsUser") ?? own(psc, "runAsUser");
            const nonRoot = own(sc, "runAsNonRoot") ?? own(psc, "runAsNonRoot");
            if (runAsUser === 0 && nonRoot === true) {
                const nr = where(nonRootAt);
                const fallback: Path =
                    userAt.length === 2 ? ["securityContext", "runAsUser"] : [list, i, "securityContext", "runAsUser"];
                report(
                    userAt,
                    fallback,
                    nr === undefined
                        ? `0 (root) contradicts the secure default runAsNonRoot: true: the kubelet would refuse to start the container ${quote(name)}; run as a non-root user, set runAsNonRoot: false explicitly, or ${OFF}`
                        : `0 (root) contradicts runAsNonRoot: true set at ${formatPath(nr)}: the kubelet would refuse to start the container ${quote(name)}; remove one of them`,
                );
            }

            // Mounts name pod volumes.
            if (volumesKnown) {
                for (const [field, key] of [
                    ["volumeMounts", "mountPath"],
                    ["volumeDevices", "devicePath"],
                ] as const) {
                    const mounts = own(c, field);
                    if (!Array.isArray(mounts)) continue;
                    for (const m of mounts) {
                        const vname = own(m, "name");
                        if (typeof vname !== "string" || volumes.has(vname)) continue;
                        const have = [...volumes]
                            .slice(0, 10)
                            .map((n) => quote(n))
                            .concat(volumes.size > 10 ? [`${volumes.size - 10} more`] : []);
                        const ref: Step[] = [...item, field, { key, value: own(m, key) }, "name"];
                        const at = where(ref);
                        if (!at) {
                            // mlkube's own mount: its volume was there until a patch removed the pod's volumes.
                            const removed = removedAt(sources, "volumes");
                            reportAt(
                                removed,
                                `null removes the pod's volumes, but the container ${quote(name)} mounts ${quote(vname)} (from mlkube's own options: volumes, secrets, scratch space); remove volumes: null, and list only the volumes to add or change`,
                            );
                            continue;
                        }
                        const cut = at ? at.indexOf(list) : -1;
                        const add = at && cut > 0 ? formatPath([...at.slice(0, cut), "volumes"]) : "podPatch.volumes";
                        report(
                            ref,
                            undefined,
                            `${quote(vname)} is not a volume of the pod (it has ${have.length ? have.join(", ") : "none"}); add the volume to ${add}, or mount one the pod has`,
                        );
                    }
                }
            }

            // Port names: IANA service names, unique in the pod.
            const ports = own(c, "ports");
            if (Array.isArray(ports)) {
                for (const p of ports) {
                    const pname = own(p, "name");
                    if (typeof pname !== "string") continue;
                    const ref: Step[] = [
                        ...item,
                        "ports",
                        { key: "containerPort", value: own(p, "containerPort") },
                        "name",
                    ];
                    if (!isPortName(pname)) report(ref, undefined, portNameMessage(pname));
                    const prevPort = portNames.get(pname);
                    if (prevPort !== undefined)
                        report(
                            ref,
                            undefined,
                            `port name ${quote(pname)} is also used by ${prevPort}; port names must be unique in the pod`,
                        );
                    else portNames.set(pname, `the container ${quote(name)}`);
                }
            }
        });
    }
    return issues;
}
