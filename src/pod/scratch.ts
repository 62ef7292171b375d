/** Scratch space: emptyDirs, /dev/shm, a tmpfs and generic ephemeral volumes; memory-backed ones must fit in the container's memory. */
import { formatPath, ValidationIssue } from "../errors";
import { compact } from "../plain";
import { parseQuantity } from "../schema/quantity";
import type { PodContext } from "./context";
import type { PodInput } from "./input";
import { PodVolumes, volumeName } from "./volumes";

/** Options that refer to each memory-backed volume's size, for the "fits in memory" check. */
interface MemoryVolume {
    field: string;
    size: string;
}

/**
 * Adds the scratch volumes of `o` (`rf`: the user's name for the resources option). Memory-backed
 * volumes count against the container's memory limit. Returns the env a tmpfs outside /tmp needs (TMPDIR).
 */
export function mountScratch(
    o: PodInput,
    ctx: PodContext,
    rf: string,
    pv: PodVolumes,
    issues: ValidationIssue[],
): Record<string, string> {
    const memoryVolumes: MemoryVolume[] = [];
    (o.emptyDirs ?? []).forEach((e, i) => {
        const vname = e.name ?? volumeName("scratch-", e.mountPath);
        let sizeLimit = e.sizeLimit;
        if (e.medium === "Memory") {
            if (sizeLimit === undefined) {
                // Default: the container's memory cap (the kernel charges it there anyway); not counted in the sum below.
                const mem = memoryCap(o);
                if (mem) sizeLimit = mem.value;
                else
                    issues.push({
                        path: ["emptyDirs", i, "sizeLimit"],
                        message: `is required with medium "Memory" when ${rf}.memory is not set (a tmpfs is charged to the container's memory; without a limit it can use the node's); e.g. "1Gi"`,
                    });
            } else memoryVolumes.push({ field: formatPath(["emptyDirs", i, "sizeLimit"]), size: sizeLimit });
        }
        pv.addVolume({ name: vname, emptyDir: compact({ medium: e.medium, sizeLimit }) }, ["emptyDirs", i]);
        pv.addMount({ name: vname, mountPath: e.mountPath }, ["emptyDirs", i]);
    });
    if (o.sharedMemory) {
        memoryVolumes.push({ field: "sharedMemory", size: o.sharedMemory });
        pv.addVolume({ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: o.sharedMemory } }, ["sharedMemory"]);
        pv.addMount({ name: "dshm", mountPath: "/dev/shm" }, ["sharedMemory"]);
    }
    const tmpfsEnv: Record<string, string> = {};
    if (o.tmpfs) {
        let size = o.tmpfs.size;
        if (!size) {
            const mem = o.resources?.memory;
            if (mem === undefined)
                issues.push({
                    path: ["tmpfs", "size"],
                    message: `is required when ${rf}.memory is not set (the default is half the memory request)`,
                });
            else size = `${Math.max(1, Math.floor(parseQuantity(mem) / 2 / 2 ** 20))}Mi`;
        }
        if (size)
            memoryVolumes.push({
                field: o.tmpfs.size ? "tmpfs.size" : `tmpfs.size (default: half of ${rf}.memory)`,
                size,
            });
        const path = o.tmpfs.path ?? "/tmp";
        pv.addVolume({ name: "tmpfs", emptyDir: compact({ medium: "Memory", sizeLimit: size }) }, ["tmpfs"]);
        pv.addMount({ name: "tmpfs", mountPath: path }, ["tmpfs"]);
        if (path !== "/tmp") tmpfsEnv.TMPDIR = path;
    }
    const cap = memoryCap(o);
    if (cap && memoryVolumes.length) {
        const total = memoryVolumes.reduce((sum, v) => sum + parseQuantity(v.size), 0);
        if (total > parseQuantity(cap.value)) {
            const parts = memoryVolumes.map((v) => `${v.field} ${JSON.stringify(v.size)}`).join(" + ");
            issues.push({
                path: [rf, ...cap.path],
                message: `${JSON.stringify(cap.value)} cannot hold the memory-backed volumes (${parts} = ${formatBytes(total)}), which are charged to the container's memory ${cap.path[0] === "limits" ? "limit" : "request"}; raise ${rf}.${cap.path.join(".")} or shrink the volumes`,
            });
        }
    }
    (o.ephemeralVolumes ?? []).forEach((e, i) => {
        const vname = e.name ?? volumeName("ephemeral-", e.mountPath);
        pv.addVolume(
            {
                name: vname,
                ephemeral: {
                    volumeClaimTemplate: {
                        spec: compact({
                            accessModes: [e.accessMode ?? "ReadWriteOnce"],
                            storageClassName: e.storageClass ?? ctx.config.storageClass,
                            resources: { requests: { storage: e.size } },
                        }),
                    },
                },
            },
            ["ephemeralVolumes", i],
        );
        pv.addMount({ name: vname, mountPath: e.mountPath }, ["ephemeralVolumes", i]);
    });
    return tmpfsEnv;
}

/** What caps the memory-backed volumes: the memory limit, else the request (undefined: neither set). */
function memoryCap(o: PodInput): { value: string; path: string[] } | undefined {
    const r = o.resources;
    if (!r) return undefined;
    if (r.limits?.memory !== undefined && r.qos !== "Guaranteed")
        return { value: r.limits.memory, path: ["limits", "memory"] };
    if (r.memory !== undefined) return { value: r.memory, path: ["memory"] };
    return undefined;
}

function formatBytes(n: number): string {
    for (const [unit, f] of [
        ["Ti", 2 ** 40],
        ["Gi", 2 ** 30],
        ["Mi", 2 ** 20],
        ["Ki", 2 ** 10],
    ] as const) {
        if (n >= f) return `${Math.round((n / f) * 100) / 100}${unit}`;
    }
    return `${n} bytes`;
}
