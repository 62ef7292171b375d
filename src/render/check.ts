/**
 * `mlkube render --check PATH`: compares what the program renders now with committed manifests, for
 * pull-request checks of GitOps repositories. PATH is a file written by `mlkube render > PATH` or a
 * directory written by `mlkube render --out PATH`; the result is a unified diff (committed → rendered)
 * made with the `diff` package.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createTwoFilesPatch } from "diff";
import { fileName, K8sObject, ObjectSource, objectYaml, RENDERED_FILE, toYaml } from "./index";

/** Outcome of {@link checkRendered}. */
export interface CheckResult {
    /** True when the committed manifests equal the rendered ones byte for byte. */
    ok: boolean;
    /** Unified diff from the committed files (`a/…`) to the rendered output (`b/…`); empty when `ok`. */
    diff: string;
    /** One line per differing file: `changed`, `missing` (not committed yet) or `stale` (no longer rendered). */
    summary: string[];
}

/** Whether `target` names a directory of per-object files (exists as one, or has no .yaml/.yml suffix). */
export function isDirectoryTarget(target: string): boolean {
    if (fs.existsSync(target)) return fs.statSync(target).isDirectory();
    return !/\.ya?ml$/i.test(target);
}

function readIfFile(file: string): string | undefined {
    return fs.existsSync(file) && fs.statSync(file).isFile() ? fs.readFileSync(file, "utf8") : undefined;
}

/**
 * Compares rendered objects with the manifests committed at `target` (a file from `mlkube render >
 * FILE`, or a directory from `mlkube render --out DIR`). Nothing is written.
 */
export function checkRendered(objects: K8sObject[], target: string, sources?: ObjectSource[]): CheckResult {
    const expected = new Map<string, string>();
    const committed = new Map<string, string>();
    if (isDirectoryTarget(target)) {
        objects.forEach((o, i) => expected.set(fileName(o, i, objects.length), objectYaml(o, sources?.[i])));
        if (fs.existsSync(target)) {
            for (const f of fs.readdirSync(target)) {
                const text = RENDERED_FILE.test(f) ? readIfFile(path.join(target, f)) : undefined;
                if (text !== undefined) committed.set(f, text);
            }
        }
    } else {
        expected.set(path.basename(target), toYaml(objects, sources));
        const text = readIfFile(target);
        if (text !== undefined) committed.set(path.basename(target), text);
    }
    const names = Array.from(new Set([...committed.keys(), ...expected.keys()])).sort();
    const summary: string[] = [];
    let diff = "";
    for (const name of names) {
        const before = committed.get(name);
        const after = expected.get(name);
        if (before === after) continue;
        summary.push(`${before === undefined ? "missing" : after === undefined ? "stale" : "changed"}: ${name}`);
        diff += createTwoFilesPatch(
            before === undefined ? "/dev/null" : `a/${name}`,
            after === undefined ? "/dev/null" : `b/${name}`,
            before ?? "",
            after ?? "",
            undefined,
            undefined,
            { context: 3 },
        )
            .split("\n")
            .filter((l) => !l.startsWith("====="))
            .join("\n");
    }
    return { ok: summary.length === 0, diff, summary };
}
