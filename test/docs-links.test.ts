/**
 * Every link in the project's markdown opens something: a relative link names a file or folder of the
 * repository (and its #anchor a heading of that file), a link to this repository on GitHub names a file
 * that exists here, and the markdown files shipped in the npm package link only to files inside the
 * package or to absolute https URLs (npm's page for the package cannot open `docs/…` relative links).
 * Parsed with markdown-it, anchors made with github-slugger (GitHub's own heading ids); no network.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import MarkdownIt from "markdown-it";
import type GithubSluggerClass from "github-slugger" with { "resolution-mode": "import" };

const root = path.resolve(__dirname, "..");
/** Links to this repository's files on GitHub; README.md links to docs this way (see CONTRIBUTING.md). */
const repoUrl = /^https:\/\/github\.com\/mlkube\/mlkube\/(?:blob|tree)\/main\/([^#?]*)(?:#(.*))?$/;
const md = new MarkdownIt({ html: true });
/** github-slugger is an ES module: loaded once before the tests (this file is CommonJS). */
let GithubSlugger: typeof GithubSluggerClass;
before(async () => {
    GithubSlugger = (await import("github-slugger")).default;
});

function walk(dir: string, keep: (rel: string) => boolean): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
        const rel = path.posix.join(dir, e.name);
        if (e.isDirectory()) {
            if (e.name !== "node_modules") out.push(...walk(rel, keep));
        } else if (keep(rel)) out.push(rel);
    }
    return out;
}

/** The markdown files this test covers (paths relative to the repository root, posix). */
const files = [
    "README.md",
    "CONTRIBUTING.md",
    "CHANGELOG.md",
    ...walk("docs", (f) => f.endsWith(".md")),
    ...walk("examples", (f) => path.posix.basename(f) === "README.md"),
].sort();

/** What `npm pack` puts in the tarball: package.json "files", plus what npm always includes. */
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { files: string[] };
const packaged = [...pkg.files, "package.json", "LICENSE"];
const inPackage = (rel: string) => packaged.some((p) => rel === p || rel.startsWith(p + "/"));

interface Link {
    href: string;
    line: number;
}

const parsed = new Map<string, { links: Link[]; anchors: Set<string> }>();
function parse(rel: string) {
    let r = parsed.get(rel);
    if (r) return r;
    const tokens = md.parse(fs.readFileSync(path.join(root, rel), "utf8"), {});
    const links: Link[] = [];
    const anchors = new Set<string>();
    const slugger = new GithubSlugger();
    for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (t.type === "heading_open") {
            const text = (tokens[i + 1]?.children ?? [])
                .filter((c) => c.type === "text" || c.type === "code_inline")
                .map((c) => c.content)
                .join("");
            anchors.add(slugger.slug(text));
        }
        if (t.type !== "inline") continue;
        for (const c of t.children ?? []) {
            const href = c.type === "link_open" ? c.attrGet("href") : c.type === "image" ? c.attrGet("src") : null;
            if (href !== null) links.push({ href, line: (t.map?.[0] ?? 0) + 1 });
        }
    }
    r = { links, anchors };
    parsed.set(rel, r);
    return r;
}

/** Why `href` in `from` does not open, or null when it does. */
function broken(from: string, href: string): string | null {
    let target: string;
    let anchor: string | undefined;
    const gh = repoUrl.exec(href);
    if (gh) {
        target = decodeURIComponent(gh[1]).replace(/\/$/, "");
        anchor = gh[2];
    } else if (/^[a-z][a-z0-9+.-]*:/i.test(href)) {
        return null; // another site: not checked (no network)
    } else {
        const [p, a] = href.split("#", 2) as [string, string | undefined];
        anchor = a;
        target =
            p === "" ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), decodeURIComponent(p)));
        if (target.startsWith("../") || path.posix.isAbsolute(target)) return `${target} is outside the repository`;
    }
    const abs = path.join(root, target);
    if (!fs.existsSync(abs)) return `${target} does not exist`;
    if (anchor !== undefined && anchor !== "") {
        if (!target.endsWith(".md") || fs.statSync(abs).isDirectory())
            return `#${anchor}: ${target} is not a markdown file`;
        if (!parse(target).anchors.has(decodeURIComponent(anchor))) return `${target} has no heading #${anchor}`;
    }
    return null;
}

test("docs links: the covered files exist", () => {
    for (const f of ["README.md", "CONTRIBUTING.md", "CHANGELOG.md", "docs/concepts/README.md"])
        assert.ok(files.includes(f), f);
    assert.ok(files.length > 20, `only ${files.length} markdown files found`);
});

test("docs links: every relative link and every link to this repository on GitHub opens a file (and heading)", () => {
    const bad: string[] = [];
    let count = 0;
    for (const f of files) {
        for (const l of parse(f).links) {
            count++;
            const why = broken(f, l.href);
            if (why) bad.push(`${f}:${l.line}: (${l.href}) ${why}`);
        }
    }
    assert.deepEqual(bad, []);
    assert.ok(count > 50, `only ${count} links found`);
});

test("docs links: the markdown files in the npm package link only inside the package or to https URLs", () => {
    const bad: string[] = [];
    for (const f of files.filter(inPackage)) {
        for (const l of parse(f).links) {
            if (/^https:\/\//.test(l.href)) continue;
            const p = l.href.split("#", 1)[0];
            const target = p === "" ? f : path.posix.normalize(path.posix.join(path.posix.dirname(f), p));
            if (!inPackage(target))
                bad.push(
                    `${f}:${l.line}: (${l.href}) is not in the npm package; link https://github.com/mlkube/mlkube/blob/main/${target}`,
                );
        }
    }
    assert.deepEqual(bad, []);
    assert.deepEqual(files.filter(inPackage), ["CHANGELOG.md", "README.md"]);
});
