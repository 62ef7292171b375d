/**
 * Every example under examples/ renders offline (mlkube render), every rendered object passes the
 * shared schema conformance check, and the output matches the checked-in golden file
 * `examples/<name>/rendered.yaml` (`rendered.<stack>.yaml` for examples with several stacks).
 *
 * After an intended change: MLKUBE_UPDATE_GOLDEN=1 node --import tsx --test test/examples.test.ts
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { render, toYaml } from "../src/render";
import { stackFiles } from "../src/render/program";
import { validateObject } from "./conformance";
import { ensureBuilt, ROOT } from "./render-helpers";

const EXAMPLES = path.join(ROOT, "examples");
const UPDATE = process.env.MLKUBE_UPDATE_GOLDEN === "1";

before(() => ensureBuilt());

const examples = fs.existsSync(EXAMPLES)
    ? fs
          .readdirSync(EXAMPLES)
          .filter((d) => fs.existsSync(path.join(EXAMPLES, d, "Pulumi.yaml")))
          .sort()
    : [];

test("there are examples to render", () => {
    assert.ok(examples.length > 0, "no examples/<name>/Pulumi.yaml found");
});

for (const name of examples) {
    const dir = path.join(EXAMPLES, name);
    const stacks = Object.keys(stackFiles(dir));
    const targets =
        stacks.length > 1
            ? stacks.map((s) => ({ stack: s, golden: `rendered.${s}.yaml` }))
            : [{ stack: undefined, golden: "rendered.yaml" }];
    for (const { stack, golden } of targets) {
        test(`examples/${name}${stack ? ` (stack ${stack})` : ""} renders, conforms and matches ${golden}`, async () => {
            const r = await render(dir, { stack });
            assert.deepEqual(
                r.errors.map((e) => e.message),
                [],
                `examples/${name} failed to render`,
            );
            assert.ok(r.objects.length > 0, `examples/${name} rendered no Kubernetes objects`);
            const problems: string[] = [];
            for (const o of r.objects) {
                const errs = validateObject(o);
                if (errs.length)
                    problems.push(`${o.apiVersion} ${o.kind} ${o.metadata.name}:\n    - ${errs.join("\n    - ")}`);
            }
            assert.deepEqual(
                problems,
                [],
                `examples/${name}: rendered objects do not conform:\n  ${problems.join("\n  ")}`,
            );
            const yaml = `# Rendered by \`mlkube render examples/${name}${stack ? ` --stack ${stack}` : ""}\`; checked by test/examples.test.ts.\n# Regenerate: MLKUBE_UPDATE_GOLDEN=1 node --import tsx --test test/examples.test.ts\n${toYaml(r.objects, r.sources)}`;
            const file = path.join(dir, golden);
            if (UPDATE) {
                fs.writeFileSync(file, yaml);
                return;
            }
            assert.ok(
                fs.existsSync(file),
                `examples/${name}/${golden} is missing; create it with MLKUBE_UPDATE_GOLDEN=1`,
            );
            assert.equal(
                yaml,
                fs.readFileSync(file, "utf8"),
                `examples/${name}/${golden} is out of date (MLKUBE_UPDATE_GOLDEN=1 to rewrite it after checking the diff)`,
            );
        });
    }
}
