/**
 * mlkube from Python on the real engine and the local cluster (`npm run test:lang`; see
 * test/lang/helpers.ts and docs/python.md): the quickstart, inference and TrainJob programs of
 * test/lang/programs/<shape>/python (SDK: sdk/python), and an invalid program.
 */
import { languageSuite } from "./helpers";

languageSuite("python");
