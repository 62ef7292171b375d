/**
 * A minimal read-only Kubernetes API client on node:https for the watcher: GET with a timeout and a size
 * cap, sockets unref'd (an unfinished request never keeps `pulumi up`'s program process alive).
 *
 * Connections are kept alive and reused (one agent per protocol, keyed by Node on server and credentials):
 * a new TLS connection per request cost the program ~4 ms of CPU each (and the API server a handshake),
 * which for a program waiting on hundreds of workloads was ~10% of `pulumi up`'s CPU (docs/performance.md).
 * Node unrefs an idle kept-alive socket, so they never hold the process either.
 */
import * as http from "node:http";
import * as https from "node:https";
import { ClusterAccess } from "./kubeconfig";

/** A GET answer: the status code and the body (JSON parsed when `json`). */
export interface Answer<T> {
    status: number;
    body: T | undefined;
}

/** At most this many connections per API server (the watchers' request budget is a few per second). */
const MAX_SOCKETS = 4;
const agents = {
    "http:": new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, scheduling: "lifo" }),
    "https:": new https.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS, scheduling: "lifo" }),
};

/** Largest response read (a list of pods of a 1000-node job is a few MB). */
const MAX_BYTES = 32 << 20;

/** GET `apiPath` (`/api/v1/namespaces/ns/pods?...`); resolves (never rejects) with status 0 on a network error or timeout. */
export function get<T = unknown>(
    access: ClusterAccess,
    apiPath: string,
    opts: { json?: boolean; timeoutMs?: number } = {},
): Promise<Answer<T>> {
    return new Promise((resolve) => {
        let done = false;
        const finish = (a: Answer<T>) => {
            if (!done) {
                done = true;
                resolve(a);
            }
        };
        const url = new URL(access.server + apiPath);
        const plain = url.protocol === "http:";
        const mod = plain ? http : https;
        const req = mod.request(
            url,
            {
                method: "GET",
                agent: plain ? agents["http:"] : agents["https:"],
                ca: access.ca,
                cert: access.cert,
                key: access.key,
                rejectUnauthorized: !access.insecure,
                // The log endpoint answers 406 to "Accept: text/plain" (it offers only JSON/YAML/protobuf types, and sends text).
                headers: {
                    Accept: opts.json === false ? "*/*" : "application/json",
                    "User-Agent": "mlkube-diagnose",
                    ...(access.token ? { Authorization: `Bearer ${access.token}` } : {}),
                },
                timeout: opts.timeoutMs ?? 10_000,
            },
            (res) => {
                const chunks: Buffer[] = [];
                let size = 0;
                res.on("data", (c: Buffer) => {
                    size += c.length;
                    if (size > MAX_BYTES) {
                        req.destroy();
                        finish({ status: 0, body: undefined });
                    } else chunks.push(c);
                });
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    if (opts.json === false) return finish({ status: res.statusCode ?? 0, body: text as T });
                    try {
                        finish({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
                    } catch {
                        finish({ status: res.statusCode ?? 0, body: undefined });
                    }
                });
                res.on("error", () => finish({ status: 0, body: undefined }));
            },
        );
        req.on("socket", (s) => s.unref());
        req.on("timeout", () => {
            req.destroy();
            finish({ status: 0, body: undefined });
        });
        req.on("error", () => finish({ status: 0, body: undefined }));
        req.end();
    });
}
