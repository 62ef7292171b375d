#!/usr/bin/env node
/**
 * Entry point of the `pulumi-resource-mlkube` plugin: the engine starts it (through the launcher) and
 * talks gRPC to it. See docs/provider.md.
 */
import { serve } from "./index";

serve(process.argv.slice(2)).catch((e: Error) => {
    console.error(`pulumi-resource-mlkube: ${e.message}`);
    process.exit(1);
});
