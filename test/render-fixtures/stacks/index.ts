import * as pulumi from "@pulumi/pulumi";
import * as mlkube from "mlkube";
new mlkube.Volume("data", { size: new pulumi.Config().require("size") });
