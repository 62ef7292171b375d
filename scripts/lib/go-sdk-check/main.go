// A fresh Go program on the mlkube Go SDK: built by scripts/release.sh against the release's Go SDK module
// and deployed by test/lang/install.test.ts (the engine installs the plugin from the SDK's pluginDownloadURL).
package main

import (
	"github.com/mlkube/mlkube/sdk/go/mlkube"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cache, err := mlkube.NewVolume(ctx, "cache", &mlkube.VolumeArgs{Size: pulumi.String("1Gi")})
		if err != nil {
			return err
		}
		api, err := mlkube.NewCompute(ctx, "api", &mlkube.ComputeArgs{
			Image:     pulumi.String("registry.example/api:1.0"),
			Resources: &mlkube.ResourcesArgs{Cpu: "100m", Memory: pulumi.StringRef("128Mi")},
			Volumes:   []interface{}{cache},
		})
		if err != nil {
			return err
		}
		ctx.Export("endpoint", api.Endpoint)
		return nil
	})
}
