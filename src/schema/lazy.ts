/**
 * Zod schemas are built on their first use, not when mlkube is imported (issue 27, "Import"): building a
 * zod v4 schema defines dozens of closures per node, and a program pays for the schemas of the components
 * it constructs only. `test/import-cost.test.ts` checks that importing mlkube builds none.
 */

/**
 * `build()` run on the first call and its value returned ever after (schemas are immutable, so one
 * instance serves every component). A module-level schema is `const s = lazy(() => z.…)`, used as `s()`;
 * its type, for the compile-time check against the hand-written interface, is `ReturnType<typeof s>`.
 * @internal
 */
export function lazy<T>(build: () => T): () => T {
    let value: T;
    let built = false;
    return () => {
        if (!built) {
            value = build();
            built = true;
        }
        return value;
    };
}
