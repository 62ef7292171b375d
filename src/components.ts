/**
 * The component table: every mlkube component once, with its token, args schema and interface, class and
 * outputs (each entry is defined beside its class as a `ComponentSpec`, src/base.ts). The provider plugin
 * (construct, references) and scripts/gen-schema.ts (schema.json) read it; a fifth component is its file
 * plus one line here.
 */
import type { AnyComponentSpec } from "./base";
import { computeSpec } from "./compute";
import { secretSpec } from "./secret/secret";
import { trainJobSpec } from "./trainjob/component";
import { volumeSpec } from "./volume";

/** Every component, in schema order. @internal */
export const COMPONENTS: readonly AnyComponentSpec[] = [volumeSpec, secretSpec, computeSpec, trainJobSpec];

/** The table entry of type token `token`, or undefined. @internal */
export function componentOf(token: string): AnyComponentSpec | undefined {
    return COMPONENTS.find((c) => c.token === token);
}
