/**
 * The API server's rules for one toleration (k8s.io/kubernetes pkg/apis/core/validation
 * ValidateTolerations), beyond its OpenAPI schema:
 *
 * - a non-empty `key` is a qualified name (a label key);
 * - an empty `key` needs `operator: "Exists"` (tolerate every taint);
 * - `tolerationSeconds` needs `effect: "NoExecute"`;
 * - with `operator` "" or "Equal", `value` is a label value; with "Exists", `value` is empty;
 * - `operator` and `effect` otherwise as the schema's enums ("" allowed for both: Equal, every effect).
 *
 * Applied by the embedded-object validation (src/schema/k8s.ts) to every Toleration it checks:
 * `tolerations`, `mlkube:tolerations`, profiles, podPatch and runtimePatches. Values not known yet
 * (Outputs) are checked when they resolve.
 */
import { quote, ValidationIssue } from "../errors";
import { isLabelValue, qualifiedNameProblem } from "./names";

/** A string field as the server reads it: absent is "", a non-string (an Output, a wrong type) is unknown. */
function text(t: Record<string, unknown>, k: string): string | undefined {
    const v = Object.hasOwn(t, k) ? t[k] : undefined;
    return v === undefined || v === null ? "" : typeof v === "string" ? v : undefined;
}

/** The problems of toleration `t` (already checked against the schema), at paths under `path`. */
export function tolerationIssues(t: Record<string, unknown>, path: ReadonlyArray<string | number>): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const at = (k: string, message: string) => issues.push({ path: [...path, k], message });
    const key = text(t, "key");
    const operator = text(t, "operator");
    const value = text(t, "value");
    const effect = text(t, "effect");
    if (key) {
        const problem = qualifiedNameProblem(key);
        if (problem) at("key", `${quote(key)} is not a valid taint key: ${problem}`);
    }
    if (key === "" && operator !== undefined && operator !== "Exists") {
        at("operator", `${quote(operator)} must be "Exists" when key is empty (a toleration without a key tolerates every taint, which only operator "Exists" expresses); set operator: "Exists", or the key of the taint to tolerate`);
    }
    const seconds = Object.hasOwn(t, "tolerationSeconds") ? t.tolerationSeconds : undefined;
    if (seconds !== undefined && seconds !== null && effect !== undefined && effect !== "NoExecute") {
        at("effect", `${quote(effect)} must be "NoExecute" with tolerationSeconds (only NoExecute taints evict, after tolerationSeconds); set effect: "NoExecute", or remove tolerationSeconds`);
    }
    if ((operator === "" || operator === "Equal") && value !== undefined && !isLabelValue(value)) {
        at("value", `${quote(value)} is not a valid label value (at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric), which operator "Equal" compares with the taint's value`);
    }
    if (operator === "Exists" && value !== undefined && value !== "") {
        at("value", `must be empty with operator "Exists" (it tolerates every value); remove value, or use operator "Equal"`);
    }
    return issues;
}
