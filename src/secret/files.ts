/**
 * Reading local files for Secrets (fromFile, fromDirectory, gitSsh key files, provider credential
 * files) safely: the file is opened without blocking and checked with fstat before a byte is read, so
 * a FIFO cannot hang the program, a device such as /dev/zero cannot exhaust memory, a directory gives a
 * clear message instead of a raw EISDIR, and sizes are known (and limited) before reading. Every
 * file-system error becomes a LocalFileError naming the path (never a raw EACCES with a stack).
 */
import * as fs from "node:fs";

/** Why a path cannot be read as a file: a sentence fragment naming the problem, for error messages. */
export class LocalFileError extends Error {}

/** The errno code of a file-system error (EACCES, ELOOP, …), else its message. */
export function errorCode(e: unknown): string {
    return (e as NodeJS.ErrnoException)?.code ?? (e instanceof Error ? e.message : String(e));
}

/** What kind of non-regular file `st` is, for messages. */
export function fileKind(st: fs.Stats): string {
    if (st.isDirectory()) return "a directory";
    if (st.isFIFO()) return "a named pipe (FIFO)";
    if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
    if (st.isSocket()) return "a socket";
    if (st.isSymbolicLink()) return "a symbolic link";
    return "not a regular file";
}

/**
 * The size of the regular file at `file` (following symlinks), or a LocalFileError saying why it is
 * not one. `undefined` when it does not exist.
 */
export function regularFileSize(file: string): number | undefined {
    let st: fs.Stats;
    try {
        st = fs.statSync(file);
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR")
            return undefined;
        throw new LocalFileError(
            `${JSON.stringify(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        );
    }
    if (!st.isFile()) throw new LocalFileError(`${JSON.stringify(file)} is ${fileKind(st)}, not a regular file`);
    return st.size;
}

/** Options of readRegularFile. */
export interface ReadOptions {
    /** Refuse a symbolic link instead of following it (a directory walk never follows links). Default false. */
    noFollow?: boolean;
    /** The error for a file larger than maxBytes (found by fstat, before reading). Default: "is N bytes, more than …". */
    tooBig?: (size: number) => LocalFileError;
}

/**
 * Reads the regular file at `file`, at most `maxBytes`. Returns undefined when it does not exist;
 * throws LocalFileError for anything else that is not a readable regular file of that size, including
 * a kernel pseudo-file (/proc, /sys) that reports size 0 but has content: it is refused after one byte.
 */
export function readRegularFile(file: string, maxBytes: number, opts: ReadOptions = {}): Buffer | undefined {
    let fd: number;
    try {
        // O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: a link is ELOOP, not followed.
        fd = fs.openSync(
            file,
            fs.constants.O_RDONLY |
                (fs.constants.O_NONBLOCK ?? 0) |
                (opts.noFollow ? (fs.constants.O_NOFOLLOW ?? 0) : 0),
        );
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        if (code === "EISDIR") throw new LocalFileError(`${JSON.stringify(file)} is a directory, not a regular file`);
        if (code === "ELOOP" && opts.noFollow)
            throw new LocalFileError(`${JSON.stringify(file)} is a symbolic link, which is not followed here`);
        throw new LocalFileError(`${JSON.stringify(file)} cannot be read (${errorCode(e)})`);
    }
    try {
        const st = fs.fstatSync(fd);
        if (!st.isFile()) throw new LocalFileError(`${JSON.stringify(file)} is ${fileKind(st)}, not a regular file`);
        if (st.size > maxBytes)
            throw (
                opts.tooBig?.(st.size) ??
                new LocalFileError(
                    `${JSON.stringify(file)} is ${st.size} bytes, more than the ${maxBytes} bytes allowed here`,
                )
            );
        // Read at most maxBytes + 1 even if the file grew since fstat.
        const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
        let n = 0;
        for (;;) {
            let r: number;
            try {
                r = fs.readSync(fd, buf, n, buf.length - n, null);
            } catch (e) {
                throw new LocalFileError(`${JSON.stringify(file)} cannot be read (${errorCode(e)})`);
            }
            if (r === 0) break;
            n += r;
            if (n === buf.length) break;
        }
        if (n > st.size && st.size === 0) {
            throw new LocalFileError(
                `${JSON.stringify(file)} reports a size of 0 but has content (a kernel pseudo-file, as in /proc or /sys), so it is not read; give a directory of regular files`,
            );
        }
        if (n > st.size) throw new LocalFileError(`${JSON.stringify(file)} changed while it was read; try again`);
        return buf.subarray(0, n);
    } finally {
        fs.closeSync(fd);
    }
}
