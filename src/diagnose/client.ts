/**
 * A minimal read-only Kubernetes API client on node:https for the watcher: GET with a timeout and a size
 * cap, sockets unref'd (an unfinished request never keeps `pulumi up`'s program process alive), no keep-alive.
 */
import * as http from "node:http";
import * as https from "node:https";
import { ClusterAccess } from "./kubeconfig";

/** A GET answer: the status code and the body (JSON parsed when `json`). */
export interface Answer<T> {
    status: number;
    body: T | undefined;
}

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
        const mod = url.protocol === "http:" ? http : https;
        const req = mod.request(
            url,
            {
                method: "GET",
                agent: false,
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
