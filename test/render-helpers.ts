/**
 * Shared by the render and examples tests. Programs import "mlkube", which resolves to this
 * package's built `dist/` (package.json exports self-reference), so dist must be current.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");

function newest(dir: string): number {
    let t = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith(".ts") ? fs.statSync(p).mtimeMs : 0);
    }
    return t;
}

/** Builds dist/ (tsc -p tsconfig.build.json) when it is missing or older than src/. */
export function ensureBuilt(): void {
    const marker = path.join(ROOT, "dist", "render", "cli.js");
    if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= newest(path.join(ROOT, "src"))) return;
    const tsc = require.resolve("typescript/bin/tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.build.json")], {
        cwd: ROOT,
        encoding: "utf8",
    });
    if (!fs.existsSync(marker)) throw new Error(`building dist/ failed:\n${r.stdout}${r.stderr}`);
    if (r.status !== 0)
        process.stderr.write(
            `warning: tsc reported errors while building dist/ for the render tests:\n${r.stdout}${r.stderr}`,
        );
}
