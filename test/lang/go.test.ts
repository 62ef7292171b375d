/**
 * mlkube from Go on the real engine and the local cluster (`npm run test:lang`; see test/lang/helpers.ts
 * and docs/go.md): the quickstart, inference and TrainJob programs of test/lang/programs/<shape>/go (one
 * Go module, test/lang/programs/go.mod; SDK: sdk/go/mlkube), and an invalid program. The Go host is
 * scripts/pulumi-bins.sh's; no node on PATH (the plugin runs on its bundled Node.js).
 */
import { languageSuite } from "./helpers";

languageSuite("go");
