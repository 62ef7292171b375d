/**
 * Reading local files for Secrets (fromFile, fromDirectory, gitSsh key files, provider credential
 * files) safely: the file is opened without blocking and checked with fstat before a byte is read, so
 * a FIFO cannot hang the program, a device such as /dev/zero cannot exhaust memory, a directory gives a
 * clear message instead of a raw EISDIR, and sizes are known (and limited) before reading.
 */
import * as fs from "node:fs";

/** Why a path cannot be read as a file: a sentence fragment naming the problem, for error messages. */
export class LocalFileError extends Error {}

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
        if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
        throw new LocalFileError(`${JSON.stringify(file)} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!st.isFile()) throw new LocalFileError(`${JSON.stringify(file)} is ${fileKind(st)}, not a regular file`);
    return st.size;
}

/**
 * Reads the regular file at `file`, at most `maxBytes`. Returns undefined when it does not exist;
 * throws LocalFileError for anything else that is not a readable regular file of that size.
 */
export function readRegularFile(file: string, maxBytes: number): Buffer | undefined {
    let fd: number;
    try {
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" || code === "ENOTDIR") return undefined;
        if (code === "EISDIR") throw new LocalFileError(`${JSON.stringify(file)} is a directory, not a regular file`);
        throw new LocalFileError(`${JSON.stringify(file)} cannot be read (${code ?? (e as Error).message})`);
    }
    try {
        const st = fs.fstatSync(fd);
        if (!st.isFile()) throw new LocalFileError(`${JSON.stringify(file)} is ${fileKind(st)}, not a regular file`);
        if (st.size > maxBytes) throw new LocalFileError(`${JSON.stringify(file)} is ${st.size} bytes, more than the ${maxBytes} bytes allowed here`);
        // Read at most maxBytes + 1 even if the file grew since fstat.
        const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
        let n = 0;
        for (;;) {
            const r = fs.readSync(fd, buf, n, buf.length - n, null);
            if (r === 0) break;
            n += r;
            if (n === buf.length) break;
        }
        if (n > st.size) throw new LocalFileError(`${JSON.stringify(file)} changed while it was read; try again`);
        return buf.subarray(0, n);
    } finally {
        fs.closeSync(fd);
    }
}
