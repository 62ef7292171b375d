/**
 * Starts the watcher for a component inside `pulumi up` (TypeScript programs and the provider plugin alike):
 * resolves cluster access the way the Kubernetes provider does, reports through Pulumi's log on the
 * component, and stops when `done` resolves (the provider's await is over). Loaded lazily by the components,
 * only for a real update: never in preview, `mlkube render` or unit tests (mocks). `MLKUBE_DIAGNOSE=0` turns it off.
 */
import * as pulumi from "@pulumi/pulumi";
import { clusterAccess } from "./kubeconfig";
import { Reporter, Watcher, WatchTarget } from "./watch";

/** The target without the namespace, which may be an Output (and defaults like the provider's). */
export type StartTarget = Omit<WatchTarget, "namespace"> & { namespace: pulumi.Input<string> | undefined };

/** The SDK's monitor settings and mock monitor class (resolved once: `require` resolution costs per call). */
let sdk: { settings: { getMonitor(): unknown }; MockMonitor: new (...a: never[]) => unknown } | undefined;

function mocked(): boolean {
    try {
        sdk ??= {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            settings: require("@pulumi/pulumi/runtime/settings") as { getMonitor(): unknown },
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            MockMonitor: (require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: new (...a: never[]) => unknown })
                .MockMonitor,
        };
        return sdk.settings.getMonitor() instanceof sdk.MockMonitor;
    } catch {
        return true;
    }
}

/** The explicit Kubernetes provider of the component (opts.provider, or providers' `kubernetes`). */
function kubernetesProvider(opts: pulumi.ComponentResourceOptions | undefined): pulumi.ProviderResource | undefined {
    const isK8s = (p: unknown) => (p as { getPackage?(): string } | undefined)?.getPackage?.() === "kubernetes";
    const ps = opts?.providers;
    const fromMap = Array.isArray(ps) ? ps.find(isK8s) : ps?.kubernetes;
    return isK8s(opts?.provider) ? opts!.provider : fromMap;
}

/** Pulumi's log on `resource`: statuses are ephemeral info. Errors of the log itself are ignored. */
export function pulumiReporter(resource: pulumi.Resource): Reporter {
    const safe = (p: Promise<void>) => void p.catch(() => undefined);
    return {
        status: (m) => safe(pulumi.log.info(m, resource, undefined, true)),
        info: (m) => safe(pulumi.log.info(m, resource)),
        warn: (m) => safe(pulumi.log.warn(m, resource)),
    };
}

/**
 * Watches `target` for `resource` until `done` resolves (or rejects). Returns at once; never throws.
 */
export function startDiagnosis(
    resource: pulumi.Resource,
    opts: pulumi.ComponentResourceOptions | undefined,
    target: StartTarget,
    done: pulumi.Output<unknown>,
): void {
    if (process.env.MLKUBE_DIAGNOSE === "0" || pulumi.runtime.isDryRun() || mocked()) return;
    let watcher: Watcher | undefined;
    let finished: { status: unknown } | undefined;
    const provider = kubernetesProvider(opts) as unknown as
        Record<string, pulumi.Output<string | undefined> | undefined> | undefined;
    // A provider known only by reference (the provider plugin's construct) has no readable configuration:
    // rather than watch a cluster the provider may not use, do not watch.
    if (provider && !Object.prototype.hasOwnProperty.call(provider, "kubeconfig")) {
        void pulumi.log
            .debug(
                "mlkube: no progress or diagnosis: the component's Kubernetes provider configuration is not readable here",
                resource,
            )
            .catch(() => undefined);
        return;
    }
    const k8s = new pulumi.Config("kubernetes");
    const kubeconfig = provider ? provider.kubeconfig : k8s.get("kubeconfig");
    const context = provider ? provider.context : k8s.get("context");
    const defaultNs = provider ? provider.namespace : k8s.get("namespace");
    pulumi.all([kubeconfig, context, defaultNs, target.namespace]).apply(([kc, cx, dns, ns]) => {
        try {
            if (finished) return;
            const access = clusterAccess(kc || undefined, cx || undefined);
            if ("none" in access) {
                void pulumi.log
                    .debug(`mlkube: no progress or diagnosis: ${access.none}`, resource)
                    .catch(() => undefined);
                return;
            }
            const namespace = ns || dns || access.namespace || "default";
            watcher = new Watcher(access, { ...target, namespace }, pulumiReporter(resource)).start();
        } catch {
            // The watcher is an aid: it never fails the update.
        }
    });
    const end = (status: unknown) => {
        finished = { status };
        watcher?.stop(status);
    };
    // The Output's promise (not `apply`, whose derived Output would carry a rejection of its own): a rejected
    // `done` also ends the watch (the rejection itself is reported by the engine). A failed registration leaves
    // it pending: the unref'd timers then end with the program.
    (done as unknown as { promise(): Promise<unknown> }).promise().then(end, () => end(undefined));
}
