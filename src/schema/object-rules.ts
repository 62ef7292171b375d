/**
 * The API server's rules across the fields of one embedded Kubernetes object, beyond its OpenAPI schema
 * (k8s.io/kubernetes pkg/apis/core/validation), by definition name. The embedded-object validation
 * (src/schema/k8s.ts) applies the rule of a definition to every object of it that it checks — in
 * `tolerations`, `affinity`, `topologySpreadConstraints`, the security contexts, `podPatch`, profiles and
 * `runtimePatches` — once the object's own fields passed the schema. Values not known yet (Outputs) are
 * skipped here and checked when they resolve.
 *
 * Each rule was compared with the real kube-apiserver (server-side dry run; test/cluster/calibration.test.ts
 * and the mutants it sends), including the message it gives:
 *
 * - Toleration (ValidateTolerations): a non-empty key is a qualified name; an empty key needs operator
 *   "Exists" (so `{}` is refused); tolerationSeconds needs effect "NoExecute"; with operator "" or "Equal"
 *   the value is a label value, with "Exists" it is empty;
 * - NodeSelectorRequirement in `matchExpressions`: In/NotIn need values, Exists/DoesNotExist take none,
 *   Gt/Lt take exactly one; the key is a qualified name, each value a label value;
 * - NodeSelectorRequirement in `matchFields`: key `metadata.name`, operator In or NotIn, exactly one value,
 *   a DNS subdomain (a node name);
 * - LabelSelectorRequirement: as above for In/NotIn/Exists/DoesNotExist, key qualified, values label values;
 * - PreferredSchedulingTerm, WeightedPodAffinityTerm: weight 1–100;
 * - PodAffinityTerm: topologyKey is a non-empty qualified name;
 * - SecurityContext, PodSecurityContext: user and group IDs between 0 and 2147483647.
 */
import { quote, ValidationIssue } from "../errors";
import { isDnsSubdomain, isLabelValue, qualifiedNameProblem } from "./names";

type Obj = Record<string, unknown>;
type Path = ReadonlyArray<string | number>;
type Rule = (v: Obj, path: Path) => ValidationIssue[];

const ID_MAX = 2 ** 31 - 1;

/** A string field as the server reads it: absent is "", anything else but a string is unknown (undefined). */
function text(o: Obj, k: string): string | undefined {
    const v = Object.hasOwn(o, k) ? o[k] : undefined;
    return v === undefined || v === null ? "" : typeof v === "string" ? v : undefined;
}

/** The problems of a toleration (ValidateTolerations), at paths under `path`. */
function tolerationIssues(t: Obj, path: Path): ValidationIssue[] {
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
        at(
            "operator",
            `${quote(operator)} must be "Exists" when key is empty (a toleration without a key tolerates every taint, which only operator "Exists" expresses); set operator: "Exists", or the key of the taint to tolerate`,
        );
    }
    const seconds = Object.hasOwn(t, "tolerationSeconds") ? t.tolerationSeconds : undefined;
    if (seconds !== undefined && seconds !== null && effect !== undefined && effect !== "NoExecute") {
        at(
            "effect",
            `${quote(effect)} must be "NoExecute" with tolerationSeconds (only NoExecute taints evict, after tolerationSeconds); set effect: "NoExecute", or remove tolerationSeconds`,
        );
    }
    if ((operator === "" || operator === "Equal") && value !== undefined && !isLabelValue(value)) {
        at(
            "value",
            `${quote(value)} is not a valid label value (at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric), which operator "Equal" compares with the taint's value`,
        );
    }
    if (operator === "Exists" && value !== undefined && value !== "") {
        at(
            "value",
            `must be empty with operator "Exists" (it tolerates every value); remove value, or use operator "Equal"`,
        );
    }
    return issues;
}

/** Why `v` cannot be a selector's label value, or undefined. */
const labelValueProblem = (v: string) =>
    isLabelValue(v)
        ? undefined
        : `${quote(v)} is not a valid label value (at most 63 alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric)`;
/** Why `v` cannot be a node name (a node field selector's value), or undefined. */
const nodeNameProblem = (v: string) =>
    isDnsSubdomain(v)
        ? undefined
        : `${quote(v)} is not a node name (a DNS subdomain: lowercase letters, digits, '-' and '.')`;
/** Why `k` cannot be a label-like key (a selector key, a topology key), or undefined. */
const keyProblem = (k: string, what: string) => {
    const problem = k === "" ? "must not be empty" : qualifiedNameProblem(k);
    return problem ? `${quote(k)} is not a valid ${what}: ${problem}` : undefined;
};

/** A list field of plain strings, or undefined when it is not known yet (an Output, a wrong type). */
function strings(o: Obj, k: string): string[] | undefined {
    const v = Object.hasOwn(o, k) ? o[k] : undefined;
    if (v === undefined || v === null) return [];
    return Array.isArray(v) && v.every((e) => typeof e === "string") ? v : undefined;
}

/** The field a list item sits in: `matchFields` for [..., "matchFields", 0]. */
function listField(path: Path): string | number | undefined {
    return typeof path[path.length - 1] === "number" ? path[path.length - 2] : path[path.length - 1];
}

/** In/NotIn/Exists/DoesNotExist (and Gt/Lt for nodes): how many values the operator takes. */
function operatorValues(operator: string, values: string[], at: (k: string, m: string) => void, gtLt: boolean): void {
    if (operator === "In" || operator === "NotIn") {
        if (values.length === 0)
            at(
                "values",
                `must be specified when operator is ${quote(operator)}; list the values to match, or use operator "Exists"`,
            );
    } else if (operator === "Exists" || operator === "DoesNotExist") {
        if (values.length > 0)
            at(
                "values",
                `may not be specified when operator is ${quote(operator)}; remove values, or use operator "In"`,
            );
    } else if (gtLt && (operator === "Gt" || operator === "Lt")) {
        if (values.length !== 1)
            at("values", `must be a single value (an integer) when operator is ${quote(operator)}`);
    }
}

function keyAndValues(
    o: Obj,
    path: Path,
    issues: ValidationIssue[],
    at: (k: string, m: string) => void,
): string[] | undefined {
    const key = text(o, "key");
    const problem = key === undefined ? undefined : keyProblem(key, "label key");
    if (problem) at("key", problem);
    const values = strings(o, "values");
    values?.forEach((v, i) => {
        const p = labelValueProblem(v);
        if (p) issues.push({ path: [...path, "values", i], message: p });
    });
    return values;
}

const nodeSelectorRequirement: Rule = (o, path) => {
    const issues: ValidationIssue[] = [];
    const at = (k: string, message: string) => issues.push({ path: [...path, k], message });
    const operator = text(o, "operator");
    if (listField(path) === "matchFields") {
        const key = text(o, "key");
        if (key !== undefined && key !== "metadata.name")
            at(
                "key",
                `${quote(key)} is not a node field selector key; the only one is "metadata.name" (select nodes by label with matchExpressions)`,
            );
        if (operator !== undefined && operator !== "In" && operator !== "NotIn")
            at("operator", `${quote(operator)} is not valid for a node field selector; use "In" or "NotIn"`);
        const values = strings(o, "values");
        if (values && values.length !== 1)
            at("values", `must be exactly one node name with a node field selector (got ${values.length})`);
        values?.forEach((v, i) => {
            const p = nodeNameProblem(v);
            if (p) issues.push({ path: [...path, "values", i], message: p });
        });
        return issues;
    }
    const values = keyAndValues(o, path, issues, at);
    if (operator !== undefined && values) operatorValues(operator, values, at, true);
    return issues;
};

const labelSelectorRequirement: Rule = (o, path) => {
    const issues: ValidationIssue[] = [];
    const at = (k: string, message: string) => issues.push({ path: [...path, k], message });
    const values = keyAndValues(o, path, issues, at);
    const operator = text(o, "operator");
    if (operator !== undefined && values) operatorValues(operator, values, at, false);
    return issues;
};

const weight: Rule = (o, path) => {
    const w = o.weight;
    return typeof w === "number" && (w < 1 || w > 100)
        ? [{ path: [...path, "weight"], message: `${w} is out of range: a scheduling weight is 1 to 100` }]
        : [];
};

const podAffinityTerm: Rule = (o, path) => {
    const key = text(o, "topologyKey");
    const problem = key === undefined ? undefined : keyProblem(key, "topology key");
    return problem
        ? [
              {
                  path: [...path, "topologyKey"],
                  message: `${problem} (e.g. "kubernetes.io/hostname" or "topology.kubernetes.io/zone")`,
              },
          ]
        : [];
};

/** User and group IDs: the server takes 0 to 2^31-1 (the schema's int64 allows more). */
function idRanges(fields: string[]): Rule {
    return (o, path) => {
        const issues: ValidationIssue[] = [];
        for (const k of fields) {
            const v = Object.hasOwn(o, k) ? o[k] : undefined;
            if (typeof v === "number" && (v < 0 || v > ID_MAX))
                issues.push({ path: [...path, k], message: `${v} is out of range: IDs are 0 to ${ID_MAX}` });
        }
        const groups = Object.hasOwn(o, "supplementalGroups") ? o.supplementalGroups : undefined;
        if (fields.includes("fsGroup") && Array.isArray(groups)) {
            groups.forEach((g, i) => {
                if (typeof g === "number" && (g < 0 || g > ID_MAX))
                    issues.push({
                        path: [...path, "supplementalGroups", i],
                        message: `${g} is out of range: IDs are 0 to ${ID_MAX}`,
                    });
            });
        }
        return issues;
    };
}

/** A pod spec: a negative grace period means nothing (the Trainer's CRD refuses it in runtime patches). */
const podSpec: Rule = (o, path) => {
    const g = Object.hasOwn(o, "terminationGracePeriodSeconds") ? o.terminationGracePeriodSeconds : undefined;
    return typeof g === "number" && g < 0
        ? [
              {
                  path: [...path, "terminationGracePeriodSeconds"],
                  message: `${g} is negative; give the seconds the pod has to stop (0 or more)`,
              },
          ]
        : [];
};

/** The rule of each definition that has one. */
export const OBJECT_RULES: Readonly<Record<string, Rule>> = {
    Toleration: tolerationIssues,
    NodeSelectorRequirement: nodeSelectorRequirement,
    LabelSelectorRequirement: labelSelectorRequirement,
    PreferredSchedulingTerm: weight,
    WeightedPodAffinityTerm: weight,
    PodAffinityTerm: podAffinityTerm,
    SecurityContext: idRanges(["runAsUser", "runAsGroup"]),
    PodSecurityContext: idRanges(["runAsUser", "runAsGroup", "fsGroup"]),
    PodSpec: podSpec,
};

/**
 * The single-field part of the rules above, for a field whose value is an Output: checked when it resolves
 * (the cross-field part — operators and their values — needs both known). `def`/`field` are where the
 * value sits, `path` its path (a list item's ends with its index). Returns a check of the resolved value
 * giving a problem, or undefined when the field has no such rule.
 */
export function leafRule(
    def: string | undefined,
    field: string | undefined,
    path: Path,
): ((v: unknown) => string | undefined) | undefined {
    const each = (check: (s: string) => string | undefined) => (v: unknown) => {
        if (typeof v === "string") return check(v);
        if (Array.isArray(v))
            for (const [i, e] of v.entries()) {
                const p = typeof e === "string" ? check(e) : undefined;
                if (p) return `[${i}]: ${p}`;
            }
        return undefined;
    };
    const inFields = path.includes("matchFields");
    const selector = def === "NodeSelectorRequirement" || def === "LabelSelectorRequirement";
    if (selector && field === "key" && !inFields) return each((k) => keyProblem(k, "label key"));
    if (selector && field === "values") return each(inFields ? nodeNameProblem : labelValueProblem);
    if (def === "PodAffinityTerm" && field === "topologyKey") return each((k) => keyProblem(k, "topology key"));
    if ((def === "PreferredSchedulingTerm" || def === "WeightedPodAffinityTerm") && field === "weight") {
        return (v) =>
            typeof v === "number" && (v < 1 || v > 100)
                ? `${v} is out of range: a scheduling weight is 1 to 100`
                : undefined;
    }
    if (
        (def === "SecurityContext" || def === "PodSecurityContext") &&
        (field === "runAsUser" || field === "runAsGroup" || field === "fsGroup" || field === "supplementalGroups")
    ) {
        const id = (n: unknown) =>
            typeof n === "number" && (n < 0 || n > ID_MAX) ? `${n} is out of range: IDs are 0 to ${ID_MAX}` : undefined;
        return (v) => (Array.isArray(v) ? v.map(id).find((p) => p !== undefined) : id(v));
    }
    return undefined;
}

/** The server's problems with object `v` of definition `def` (already checked against the schema). */
export function objectRuleIssues(def: string, v: Obj, path: Path): ValidationIssue[] {
    const rule = Object.hasOwn(OBJECT_RULES, def) ? OBJECT_RULES[def] : undefined;
    return rule ? rule(v, path) : [];
}
