// The distribution registry (github.com/distribution/distribution/v3) with only what the local
// cluster's private-registry test needs: htpasswd authentication and the filesystem storage
// driver. Same program as upstream's cmd/registry/main.go (registry.RootCmd), without the cloud
// storage drivers (azure, gcs, s3), the token/silly auth and the pull-through proxy, which only
// make the build larger and slower.
package main

import (
	"os"

	"github.com/distribution/distribution/v3/registry"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

func main() {
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}
