/**
 * Pod Security Standards "restricted" profile (Kubernetes 1.34), written as a check over a pod spec,
 * following https://kubernetes.io/docs/concepts/security/pod-security-standards/ control by control.
 */
export function restrictedViolations(spec: any): string[] {
    const v: string[] = [];
    const containers = [
        ...(spec.containers ?? []),
        ...(spec.initContainers ?? []),
        ...(spec.ephemeralContainers ?? []),
    ];
    const psc = spec.securityContext ?? {};
    // Baseline: host namespaces, privileged, capabilities, hostPath, host ports, AppArmor, SELinux, /proc mount, sysctls.
    if (spec.hostNetwork || spec.hostPID || spec.hostIPC) v.push("host namespaces");
    for (const c of containers) {
        const sc = c.securityContext ?? {};
        if (sc.privileged) v.push(`${c.name}: privileged`);
        if ((c.ports ?? []).some((p: any) => p.hostPort)) v.push(`${c.name}: hostPort`);
        if (sc.procMount && sc.procMount !== "Default") v.push(`${c.name}: procMount`);
        // Restricted: privilege escalation.
        if (sc.allowPrivilegeEscalation !== false) v.push(`${c.name}: allowPrivilegeEscalation != false`);
        // Restricted: running as non-root (container or pod level), and not as uid 0.
        const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
        if (nonRoot !== true) v.push(`${c.name}: runAsNonRoot != true`);
        if (sc.runAsUser === 0 || psc.runAsUser === 0) v.push(`${c.name}: runAsUser 0`);
        // Restricted: seccomp RuntimeDefault or Localhost.
        const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
        if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
            v.push(`${c.name}: seccompProfile not RuntimeDefault/Localhost`);
        // Restricted: drop ALL, add only NET_BIND_SERVICE.
        const drop: string[] = sc.capabilities?.drop ?? [];
        if (!drop.includes("ALL")) v.push(`${c.name}: capabilities.drop lacks ALL`);
        const add: string[] = sc.capabilities?.add ?? [];
        if (add.some((x) => x !== "NET_BIND_SERVICE")) v.push(`${c.name}: capabilities.add beyond NET_BIND_SERVICE`);
    }
    // Restricted: volume types.
    const allowed = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for (const vol of spec.volumes ?? []) {
        const types = Object.keys(vol).filter((k) => k !== "name");
        if (types.some((t) => !allowed.includes(t))) v.push(`volume ${vol.name}: type ${types.join(",")} not allowed`);
    }
    if (psc.sysctls?.length) v.push("sysctls");
    return v;
}
