/**
 * mlkube from Pulumi YAML on the real engine and the local cluster (`npm run test:lang`; see
 * test/lang/helpers.ts and docs/yaml.md): the quickstart, inference and TrainJob programs of
 * test/lang/programs/<shape>/yaml, and an invalid program.
 */
import { languageSuite } from "./helpers";

languageSuite("yaml");
