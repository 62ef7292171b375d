// Command pulumi-resource-kubernetes is the Pulumi Kubernetes provider plugin,
// built from the published github.com/pulumi/pulumi-kubernetes/provider/v4 module.
//
// The upstream command embeds two files that `go generate` derives from
// schema.json and terraform-mapping.json (neither generated file is in the
// module zip), so this wrapper has its own main. scripts/pulumi-bins.sh writes
// schema-embed.json and terraform-mapping-embed.json next to this file before
// building (they are git-ignored).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
