// test/lang: a program mlkube must refuse with its own message (a memory quantity Kubernetes rejects).
package main

import (
	"github.com/mlkube/mlkube/sdk/go/mlkube"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		_, err := mlkube.NewCompute(ctx, "api", &mlkube.ComputeArgs{
			Image:     pulumi.String("registry.example/api:1.0"),
			Resources: &mlkube.ResourcesArgs{Cpu: "100m", Memory: pulumi.StringRef("16GB")},
		})
		return err
	})
}
