/**
 * Kubernetes resource quantities (`resource.Quantity`): "512Mi", "16Gi", "500m", "2", "1e3".
 * A typo such as "16GB" gets a suggestion ("16Gi") instead of a bare "invalid".
 */
import { z } from "zod";
import { lazy } from "./lazy";
import { quote } from "../errors";

const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** A quantity string whose value is finite ("1e400" and "9e999Gi" overflow to Infinity and are refused). */
export function isQuantity(s: string): boolean {
    return QUANTITY.test(s) && Number.isFinite(parseQuantity(s));
}

/** The quantity a user most likely meant, or undefined when there is no confident guess. */
export function suggestQuantity(raw: string): string | undefined {
    const s = raw.trim().replace(/\s+/g, "");
    // "16GB", "16gb", "16GiB", "16g", "1.5TB", "512MB" -> binary units, which is what people mean for memory/disk
    const bytes = /^(\d+(?:\.\d+)?)([kKmMgGtTpPeE])([iI]?[bB]?)$/.exec(s);
    if (bytes && !isQuantity(s)) {
        const unit = bytes[2].toUpperCase();
        return `${bytes[1]}${unit === "K" ? "K" : unit}i`;
    }
    // "500 m", " 2 " -> without spaces
    if (s !== raw && isQuantity(s)) return s;
    // "2cores", "2 CPUs" -> "2"
    const cores = /^(\d+(?:\.\d+)?)(cores?|cpus?|vcpus?)$/i.exec(s);
    if (cores) return cores[1];
    // "500mcpu" / "500millicores"
    const milli = /^(\d+)(millicores?|mcpu)$/i.exec(s);
    if (milli) return `${milli[1]}m`;
    return undefined;
}

export function quantityMessage(value: string): string {
    const hint = suggestQuantity(value);
    return hint
        ? `${quote(value)} is not a Kubernetes quantity; use ${quote(hint)}`
        : `${quote(value)} is not a Kubernetes quantity; use a number with an optional suffix such as "512Mi", "16Gi" or "500m"`;
}

/** A quantity given as a string ("16Gi"). @internal */
export const quantityString = lazy(() =>
    z.string().refine(isQuantity, { error: (iss) => quantityMessage(String(iss.input)) }),
);

/** A quantity given as a string or a non-negative number (cpu: 2 or 0.5); numbers become strings. @internal */
export const quantity = lazy(() =>
    z
        .union([z.number().nonnegative().finite(), quantityString()])
        .transform((v) => (typeof v === "number" ? String(v) : v)),
);

/** Parses a quantity into a number of base units (bytes, cores) for comparisons. */
export function parseQuantity(q: string): number {
    const m = QUANTITY.exec(q);
    if (!m) throw new Error(`not a quantity: ${q}`);
    const n = parseFloat(m[1]);
    const suffix = m[3] ?? "";
    const bin: Record<string, number> = {
        Ki: 2 ** 10,
        Mi: 2 ** 20,
        Gi: 2 ** 30,
        Ti: 2 ** 40,
        Pi: 2 ** 50,
        Ei: 2 ** 60,
    };
    const dec: Record<string, number> = {
        n: 1e-9,
        u: 1e-6,
        m: 1e-3,
        "": 1,
        k: 1e3,
        M: 1e6,
        G: 1e9,
        T: 1e12,
        P: 1e15,
        E: 1e18,
    };
    if (suffix in bin) return n * bin[suffix];
    if (suffix in dec) return n * dec[suffix];
    return n * 10 ** parseInt(suffix.slice(1), 10);
}

const UNITLESS = /^[+]?(\d+(\.\d*)?|\.\d+)$/;

const SUB_UNITS: Record<string, string> = { m: "milli, a thousandth", u: "micro, a millionth", n: "nano, a billionth" };

/**
 * Why byte quantity `v` (a valid quantity) cannot be meant, or undefined: a milli/micro/nano suffix
 * ("512m" is 0.512 bytes; Docker's `512m` means MiB, Kubernetes' does not) or an amount above zero and
 * below one byte ("1e-3", "0.0001Ki"). As a memory limit the container cannot start; as a size the
 * volume holds nothing. Fractions of a unit that come to a byte or more ("1.5Gi") are fine.
 */
function subByteMessage(v: string): string | undefined {
    const m = QUANTITY.exec(v)!;
    const suffix = m[3] ?? "";
    const number = m[1].replace(/^\./, "0.");
    const bytes = parseQuantity(v);
    if (Object.hasOwn(SUB_UNITS, suffix)) {
        return `${JSON.stringify(v)} is ${formatFraction(bytes)} bytes ("${suffix}" is ${SUB_UNITS[suffix]}); sizes take binary units: use ${JSON.stringify(`${number}Mi`)}`;
    }
    if (bytes > 0 && bytes < 1)
        return `${JSON.stringify(v)} is less than one byte; sizes take binary units, e.g. "512Mi" or "16Gi"`;
    return undefined;
}

/** A number of bytes without float noise ("0.512", not "0.5120000000000001"). */
function formatFraction(n: number): string {
    return String(Number(n.toPrecision(12)));
}

/**
 * A byte quantity (memory, ephemeral storage, volume sizes) given as a string with a unit. A unitless
 * string is refused: "16000" is 16 kB, "100" is 100 bytes, which is never what was meant; a number
 * (`memory: 16000`) gets the same hint. `unit` is the likely fix ("Mi" for memory, "Gi" for disks).
 * @internal
 */
export function byteQuantity(unit: "Mi" | "Gi") {
    return z
        .string({
            error: (iss) =>
                typeof iss.input === "number" && Number.isFinite(iss.input) && iss.input >= 0
                    ? `${iss.input} is a number; give a quantity string with a unit, e.g. ${JSON.stringify(`${iss.input}${unit}`)} (a plain number means bytes)`
                    : undefined,
        })
        .superRefine((v, ctx) => {
            if (!isQuantity(v)) ctx.addIssue({ code: "custom", message: quantityMessage(v) });
            else if (subByteMessage(v)) ctx.addIssue({ code: "custom", message: subByteMessage(v)! });
            else if (UNITLESS.test(v)) {
                ctx.addIssue({
                    code: "custom",
                    message: `${JSON.stringify(v)} has no unit, so it means ${v} bytes; use ${JSON.stringify(`${v.replace(/^\+/, "")}${unit}`)} (or "${v}${unit === "Mi" ? "Gi" : "Mi"}"), or write bytes with an explicit exponent`,
                });
            }
        });
}
