/**
 * Reading a directory tree for `Secret.fromDirectory`, safely on any path a user (or a fuzzer) gives,
 * "/" included: one walk that reads as it goes and stops at the first limit it reaches (bytes, entries),
 * never follows symbolic links (so loops end), never opens anything but regular files (FIFOs, sockets
 * and devices are skipped and named), stays on the directory's own file system (mount points below it,
 * such as /proc, /sys or /dev under "/", are skipped, like `find -xdev`), and turns every file-system
 * error into a LocalFileError naming the path.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isSecretKey, secretKeyMessage } from "../schema/names";
import { errorCode, LocalFileError, readRegularFile } from "./files";

/** At most this many directory entries (files, directories and others) are looked at; a larger tree is refused. */
export const MAX_DIRECTORY_ENTRIES = 10_000;
/** Directories nested deeper than this are skipped (and named). */
export const MAX_DIRECTORY_DEPTH = 64;
/** How many skipped entries and key problems a message lists before it counts the rest. */
const LISTED = 20;

/** Encodes a relative path inside a directory as a Secret key: "a/b/c.txt" -> "a__b__c.txt". */
export function directoryKey(rel: string): string {
    return rel.split(path.sep).join("__");
}

/** What a walk found: the files (key, path under the mount, content), what it skipped, and the keys it could not use. */
export interface DirectoryContent {
    files: { key: string; path: string; data: Buffer }[];
    /** Entries that are not regular files or directories on this file system, as `rel (why)`; at most LISTED plus a count. */
    skipped: string[];
    /** Problems with single files (their key), each a message; at most LISTED plus a count. */
    problems: string[];
}

/**
 * Reads the regular files under `dir` (depth first, names sorted), counting each key's length plus its
 * content against `maxBytes` as it goes. Throws LocalFileError at the first limit or file-system error,
 * having read nothing beyond it.
 */
export function readDirectory(dir: string, maxBytes: number, maxEntries = MAX_DIRECTORY_ENTRIES): DirectoryContent {
    const out: DirectoryContent = { files: [], skipped: [], problems: [] };
    let skippedCount = 0;
    let problemCount = 0;
    const skip = (rel: string, why: string) => {
        if (skippedCount++ < LISTED) out.skipped.push(`${rel} (${why})`);
    };
    const problem = (message: string) => {
        if (problemCount++ < LISTED) out.problems.push(message);
    };
    const root = lstatOf(dir, true);
    let entries = 0;
    let bytes = 0;
    const keys = new Set<string>();

    const visit = (rel: string, depth: number): void => {
        const abs = rel ? path.join(dir, rel) : dir;
        const list: fs.Dirent[] = [];
        let d: fs.Dir;
        try {
            d = fs.opendirSync(abs);
        } catch (e) {
            throw cannotRead(abs, e);
        }
        try {
            // One entry at a time: a directory with millions of entries is refused at the limit, not listed whole.
            for (let e = d.readSync(); e !== null; e = d.readSync()) {
                if (++entries > maxEntries) {
                    throw new LocalFileError(
                        `${JSON.stringify(dir)} holds more than ${maxEntries} entries (files, directories and others), too many for a Secret; point fromDirectory at the directory of the files you need`,
                    );
                }
                list.push(e);
            }
        } catch (e) {
            throw e instanceof LocalFileError ? e : cannotRead(abs, e);
        } finally {
            d.closeSync();
        }
        list.sort((x, y) => x.name.localeCompare(y.name));
        for (const e of list) {
            const r = rel ? path.join(rel, e.name) : e.name;
            const full = path.join(dir, r);
            // Some file systems do not report entry types: ask lstat (never following a link).
            const st =
                e.isFile() ||
                e.isDirectory() ||
                e.isSymbolicLink() ||
                e.isFIFO() ||
                e.isSocket() ||
                e.isBlockDevice() ||
                e.isCharacterDevice()
                    ? undefined
                    : lstatOf(full, false);
            const isDir = st ? st.isDirectory() : e.isDirectory();
            const isFile = st ? st.isFile() : e.isFile();
            if (isDir) {
                if (depth + 1 >= MAX_DIRECTORY_DEPTH) skip(r, "a directory nested too deep");
                else if ((st ?? lstatOf(full, false)).dev !== root.dev) skip(r, "another file system (a mount point)");
                else visit(r, depth + 1);
            } else if (isFile) {
                const key = directoryKey(r);
                if (!isSecretKey(key))
                    problem(`file ${JSON.stringify(r)} cannot be a Secret key: ${secretKeyMessage(key)}`);
                else if (keys.has(key))
                    problem(
                        `files ${JSON.stringify(r)} and another map to the same key ${JSON.stringify(key)}; rename one`,
                    );
                else {
                    keys.add(key);
                    bytes += key.length;
                    const left = maxBytes - bytes;
                    const tooBig = () =>
                        new LocalFileError(
                            `the files hold more than ${maxBytes} bytes (reading stopped at ${JSON.stringify(r)}); Kubernetes limits a Secret to ${maxBytes} bytes (1 MiB): split them into several Secrets or mount large files from a Volume`,
                        );
                    if (left < 0) throw tooBig();
                    // Never follows a link put in its place since the listing; refused by size before a byte is read.
                    const data = readRegularFile(full, left, { noFollow: true, tooBig });
                    if (data === undefined)
                        throw new LocalFileError(
                            `${JSON.stringify(full)} disappeared while the directory was read; try again`,
                        );
                    bytes += data.length;
                    out.files.push({ key, path: r.split(path.sep).join("/"), data });
                }
            } else {
                skip(r, skippedKind(st ?? e));
            }
        }
    };
    visit("", 0);
    if (skippedCount > LISTED) out.skipped.push(`and ${skippedCount - LISTED} more`);
    if (problemCount > LISTED) out.problems.push(`and ${problemCount - LISTED} more files that cannot be Secret keys`);
    return out;
}

/** lstat (or stat for the root, which may be a link to a directory) as a LocalFileError on failure. */
function lstatOf(file: string, follow: boolean): fs.Stats {
    try {
        return follow ? fs.statSync(file) : fs.lstatSync(file);
    } catch (e) {
        throw cannotRead(file, e);
    }
}

function cannotRead(file: string, e: unknown): LocalFileError {
    return new LocalFileError(`${JSON.stringify(file)} cannot be read (${errorCode(e)})`);
}

/** What a skipped entry is, for the warning (a Dirent or lstat's Stats answer the same questions). */
function skippedKind(e: fs.Dirent | fs.Stats): string {
    if (e.isSymbolicLink()) return "a symbolic link";
    if (e.isFIFO()) return "a named pipe";
    if (e.isSocket()) return "a socket";
    if (e.isCharacterDevice() || e.isBlockDevice()) return "a device";
    return "not a regular file";
}
