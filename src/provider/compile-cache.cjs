// node/compile-cache.cjs of the plugin tarball (scripts/plugin.sh), preloaded by the launcher
// (pulumi-resource-mlkube) with the bundled Node.js unless NODE_COMPILE_CACHE is set: V8's compile cache in
// node/.compile-cache, portable (entries keyed by paths relative to it, so it survives the move into
// ~/.pulumi/plugins). The tarball ships one, written at pack time by a start of the plugin. Node names its
// directory v<node>-<arch>-<V8 tag>-<uid>: for another user than the packer, a symlink of that user's name
// to the shipped directory adopts it (when the plugin directory is writable; else that user's starts
// compile, as with no cache). Node checks each entry against the source's hash and its own version and
// compiles what does not match. Flushed on timers: Node writes the cache at a normal exit, but the engine
// stops plugins with a signal. Nothing here may fail the plugin. See docs/provider.md.
"use strict";
const m = require("node:module");
if (typeof m.enableCompileCache === "function") {
    const fs = require("node:fs");
    const path = require("node:path");
    const dir = path.join(__dirname, ".compile-cache");
    const uid = typeof process.getuid === "function" ? String(process.getuid()) : undefined;
    if (uid !== undefined) {
        try {
            const names = fs.readdirSync(dir);
            for (const name of names) {
                const r = /^(v[0-9.]+-[a-z0-9]+-[0-9a-f]+-)([0-9]+)$/.exec(name);
                if (!r || r[2] === uid || names.includes(r[1] + uid)) continue;
                try {
                    fs.symlinkSync(name, path.join(dir, r[1] + uid));
                } catch {
                    // read-only, or another start made it
                }
            }
        } catch {
            // no shipped cache
        }
    }
    try {
        m.enableCompileCache({ directory: dir, portable: true });
    } catch {
        // a Node without the option object: no cache
    }
    if (typeof m.flushCompileCache === "function")
        for (const ms of [1000, 3000, 20000])
            setTimeout(() => {
                try {
                    m.flushCompileCache();
                } catch {
                    // not writable
                }
            }, ms).unref();
}
