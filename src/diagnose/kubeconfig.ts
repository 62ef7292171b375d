/**
 * Cluster access for the watcher, as the Kubernetes provider would resolve it: the provider's `kubeconfig`
 * (a path or the file's content) and `context`, else `$KUBECONFIG` (first file), else `~/.kube/config`.
 * Supports what a static kubeconfig holds (server, CA, client certificate/key, bearer token, token file);
 * exec and auth-provider users are not supported (the watcher then stays off). Never logs a credential.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

/** What a request needs. */
export interface ClusterAccess {
    server: string;
    ca?: Buffer;
    cert?: Buffer;
    key?: Buffer;
    token?: string;
    insecure?: boolean;
    /** The context's namespace, if any (the provider's default namespace when the program sets none). */
    namespace?: string;
}

type Named<T> = { name?: string } & T;

function data(b64: unknown, file: unknown, base: string): Buffer | undefined {
    if (typeof b64 === "string" && b64) return Buffer.from(b64, "base64");
    if (typeof file === "string" && file) return fs.readFileSync(path.resolve(base, file));
    return undefined;
}

/** The text of a kubeconfig given as content or path (the provider accepts both), with the dir relative paths resolve against. */
function load(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): { text: string; dir: string } | undefined {
    if (kubeconfig && /(^|\n)\s*(apiVersion|clusters|kind)\s*:|^\s*\{/.test(kubeconfig))
        return { text: kubeconfig, dir: process.cwd() };
    const file =
        kubeconfig ||
        (env.KUBECONFIG ?? "").split(path.delimiter).find(Boolean) ||
        path.join(os.homedir(), ".kube", "config");
    if (!fs.existsSync(file)) return undefined;
    return { text: fs.readFileSync(file, "utf8"), dir: path.dirname(path.resolve(file)) };
}

/**
 * The access of `context` (default: the kubeconfig's current-context), or a reason why there is none
 * (missing file, unknown context, an exec/auth-provider user).
 */
export function clusterAccess(
    kubeconfig: string | undefined,
    context: string | undefined,
    env: NodeJS.ProcessEnv = process.env,
): ClusterAccess | { none: string } {
    let loaded;
    try {
        loaded = load(kubeconfig, env);
    } catch (e) {
        return { none: `cannot read the kubeconfig (${(e as NodeJS.ErrnoException).code ?? "error"})` };
    }
    if (!loaded) return { none: "no kubeconfig" };
    let doc: Record<string, unknown>;
    try {
        doc = (parse(loaded.text) ?? {}) as Record<string, unknown>;
    } catch {
        return { none: "the kubeconfig is not valid YAML" };
    }
    const ctxName = context || (doc["current-context"] as string | undefined);
    const ctx = (
        (Array.isArray(doc.contexts) ? doc.contexts : []) as Named<{
            context?: { cluster?: string; user?: string; namespace?: string };
        }>[]
    ).find((c) => c?.name === ctxName)?.context;
    if (!ctx) return { none: `no context ${JSON.stringify(ctxName ?? "")} in the kubeconfig` };
    const cluster = (
        (Array.isArray(doc.clusters) ? doc.clusters : []) as Named<{ cluster?: Record<string, unknown> }>[]
    ).find((c) => c?.name === ctx.cluster)?.cluster;
    const user =
        ((Array.isArray(doc.users) ? doc.users : []) as Named<{ user?: Record<string, unknown> }>[]).find(
            (u) => u?.name === ctx.user,
        )?.user ?? {};
    if (!cluster || typeof cluster.server !== "string") return { none: "the context's cluster has no server" };
    if (user.exec || user["auth-provider"])
        return {
            none: "the kubeconfig user authenticates with exec/auth-provider, which mlkube's watcher does not run",
        };
    try {
        const token =
            typeof user.token === "string"
                ? user.token
                : typeof user.tokenFile === "string"
                  ? fs.readFileSync(path.resolve(loaded.dir, user.tokenFile), "utf8").trim()
                  : undefined;
        return {
            server: cluster.server.replace(/\/+$/, ""),
            ca: data(cluster["certificate-authority-data"], cluster["certificate-authority"], loaded.dir),
            cert: data(user["client-certificate-data"], user["client-certificate"], loaded.dir),
            key: data(user["client-key-data"], user["client-key"], loaded.dir),
            token,
            insecure: cluster["insecure-skip-tls-verify"] === true,
            namespace: ctx.namespace,
        };
    } catch (e) {
        return { none: `cannot read a file the kubeconfig names (${(e as NodeJS.ErrnoException).code ?? "error"})` };
    }
}
