/**
 * The rules that tie TrainJob fields together on every backend (ports, reserved env, timeout), and the
 * rule pieces several backends share. Written over the raw args, so they run even when some field is
 * malformed: every problem is reported at once. Each backend's own rules live in its file.
 */
import { ValidationIssue } from "../errors";
import { MASTER_PORT, RENDEZVOUS_PORT_NAME } from "./common";
import { domainPrefixedPathProblem } from "./patches";
import { reservedEnvMessage } from "./reserved-env";

/** The rules every backend shares; `refusesPetEnv` words the reserved-env message for the backend. @internal */
export function commonRuleIssues(a: Record<string, unknown>, refusesPetEnv: boolean): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const rdzvPort = typeof a.masterPort === "number" ? a.masterPort : MASTER_PORT;
    const seenPorts = new Map<string, number>();
    const seenNames = new Map<string, number>();
    (Array.isArray(a.ports) ? (a.ports as unknown[]) : []).forEach((item, i) => {
        if (!item || typeof item !== "object") return;
        const p = item as { port?: unknown; name?: unknown; protocol?: unknown };
        const key = `${String(p.port)}/${typeof p.protocol === "string" ? p.protocol : "TCP"}`;
        if (seenPorts.has(key))
            issues.push({
                path: ["ports", i, "port"],
                message: `${key} is already ports[${seenPorts.get(key)}]; list each port once`,
            });
        seenPorts.set(key, i);
        if (typeof p.name === "string") {
            if (seenNames.has(p.name))
                issues.push({
                    path: ["ports", i, "name"],
                    message: `${JSON.stringify(p.name)} is already the name of ports[${seenNames.get(p.name)}]; port names must be unique`,
                });
            seenNames.set(p.name, i);
            if (p.name === RENDEZVOUS_PORT_NAME)
                issues.push({
                    path: ["ports", i, "name"],
                    message: `"${RENDEZVOUS_PORT_NAME}" is the name of the rendezvous port; pick another name`,
                });
        }
        if (p.port === rdzvPort && (p.protocol ?? "TCP") === "TCP") {
            issues.push({
                path: ["ports", i, "port"],
                message: `${p.port} is the rendezvous port (masterPort${a.masterPort === undefined ? ", default 29500" : ""}); use another port, or change masterPort`,
            });
        }
    });
    const env =
        a.env && typeof a.env === "object" && Object.getPrototypeOf(a.env) === Object.prototype
            ? Object.keys(a.env)
            : [];
    for (const k of env) {
        const why = reservedEnvMessage(k, refusesPetEnv);
        if (why) issues.push({ path: ["env", k], message: `is reserved: ${why}` });
    }
    if (a.timeout !== undefined && a.waitForCompletion !== true)
        issues.push({ path: ["timeout"], message: "only applies with waitForCompletion: true" });
    return issues;
}

/** The batch/v1 Job retry fields, refused by the backends that are not "job"; `hint` says what they use instead. @internal */
export function jobOnlyFieldIssues(a: Record<string, unknown>, hint: string): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    for (const k of ["backoffLimit", "backoffLimitPerIndex", "noRetryExitCodes"] as const) {
        if (a[k] !== undefined)
            issues.push({
                path: [k],
                message: `only applies with backend "job" (a batch/v1 Job's retry settings)${hint}`,
            });
    }
    return issues;
}

/**
 * `runtime` and `managedBy` on the backends that build their own object (jobset, job): no training
 * runtime, and managedBy a domain-prefixed path of at most 63 characters. @internal
 */
export function ownObjectIssues(a: Record<string, unknown>): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    if (a.runtime !== undefined)
        issues.push({
            path: ["runtime"],
            message: `only applies with backend "kubeflow" (the jobset backend builds the JobSet itself)`,
        });
    const managedBy = typeof a.managedBy === "string" ? a.managedBy : undefined;
    if (managedBy !== undefined && managedBy.length > 0) {
        const problem = managedBy.length > 63 ? "must be at most 63 characters" : domainPrefixedPathProblem(managedBy);
        if (problem) issues.push({ path: ["managedBy"], message: `${JSON.stringify(managedBy)} ${problem}` });
    }
    return issues;
}
