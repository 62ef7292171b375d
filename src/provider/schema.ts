/**
 * The parts of a Pulumi package schema (schema.json, generated from mlkube's zod schemas by
 * scripts/gen-schema.ts) that the provider's input normaliser reads.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** A type in a Pulumi schema: a primitive, an array/map, a `$ref` or a `oneOf`, plain or an Input. */
export interface TypeSpec {
    /** `string`, `integer`, `number`, `boolean`, `array` or `object` (a map with `additionalProperties`). */
    type?: string;
    /** Element type of an array. */
    items?: TypeSpec;
    /** Value type of a map. */
    additionalProperties?: TypeSpec;
    /** `#/types/<token>`, `#/resources/<token>` or `pulumi.json#/Any` (other refs are read as Any). */
    $ref?: string;
    /** The alternatives of a union. */
    oneOf?: TypeSpec[];
    /** A plain value, not an Input: it must be known when the component is constructed. Default false. */
    plain?: boolean;
}

/** An object type of the schema (`types` entries with `type: "object"`), or an enum (`enum`). */
export interface ObjectTypeSpec {
    /** `object`, or the primitive type of an enum. */
    type?: string;
    /** The object's properties. */
    properties?: Record<string, TypeSpec>;
    /** Properties that must be given; the normaliser tells `oneOf` branches apart by them. */
    required?: string[];
    /** Enum values (enum types only). */
    enum?: { value: unknown }[];
}

/** A resource of the schema. */
export interface ResourceSpec {
    /** True for components (all of mlkube's). */
    isComponent?: boolean;
    /** The constructor's inputs. */
    inputProperties?: Record<string, TypeSpec>;
    /** The outputs. */
    properties?: Record<string, TypeSpec>;
}

/** A Pulumi package schema, as far as the provider reads it. */
export interface PackageSchema {
    /** Package name: `mlkube`. */
    name: string;
    /** Package version. */
    version?: string;
    /** Resources by type token (`mlkube:index:Volume`). */
    resources?: Record<string, ResourceSpec>;
    /** Object and enum types by token (`mlkube:index:ExistingVolume`). */
    types?: Record<string, ObjectTypeSpec>;
}

/** The package root (where package.json and schema.json live), from src/provider or dist/provider. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

/** Reads the generated schema.json shipped at the package root. */
export function readSchemaText(file = path.join(PACKAGE_ROOT, "schema.json")): string {
    return fs.readFileSync(file, "utf8");
}

/** `own(o, k)`: o[k] when k is o's own property (never a prototype's: `__proto__`, `constructor`). */
export function own<T>(o: Record<string, T> | undefined, k: string): T | undefined {
    return o !== undefined && Object.hasOwn(o, k) ? o[k] : undefined;
}
