/**
 * What the benchmark drivers (run.ts, preview.ts, plugin.ts) share: logging, medians and ratios, Markdown
 * tables, and running the project's scripts and commands.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

export function log(msg: string): void {
    process.stderr.write(`bench: ${msg}\n`);
}

export const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const fmtS = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const fmtRatio = (xs: number[]) =>
    xs.length > 1
        ? `${median(xs).toFixed(2)}× (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`
        : `${xs[0].toFixed(2)}×`;

export function table(head: string[], rows: string[][]): string {
    const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (r: string[]) =>
        "| " + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(" | ") + " |";
    return [
        line(head),
        "|" + w.map((n, i) => (i === 0 ? ":" : "") + "-".repeat(n + 1) + (i === 0 ? "" : ":")).join("|") + "|",
        ...rows.map(line),
    ].join("\n");
}

/** The environment of `eval "$(scripts/<script> env)"`, as a map. */
export function scriptEnv(root: string, script: string, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const r = spawnSync(
        "bash",
        ["-c", `eval "$(${JSON.stringify(path.join(root, "scripts", script))} env)" && env -0`],
        { encoding: "utf8", env: base },
    );
    if (r.status !== 0) throw new Error(`scripts/${script} env failed:\n${r.stderr}`);
    const env: NodeJS.ProcessEnv = {};
    for (const kv of r.stdout.split("\0")) {
        const i = kv.indexOf("=");
        if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return env;
}

export function sh(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): string {
    const r = spawnSync(cmd, args, { ...opts, encoding: "utf8", maxBuffer: 256 << 20 });
    if (r.status !== 0)
        throw new Error(`${cmd} ${args.join(" ")} (in ${opts.cwd}) exited ${r.status}:\n${r.stderr}${r.stdout}`);
    return r.stdout;
}
