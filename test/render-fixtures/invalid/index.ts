import * as mlkube from "mlkube";
new mlkube.Volume("data", { size: "16GB" });
