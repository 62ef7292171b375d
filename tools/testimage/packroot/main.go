// packroot: writes one root filesystem tarball (e.g. from mmdebstrap, scripts/images.sh) as a
// single-layer image into a docker-archive tarball for `ctr -n k8s.io images import`, without a
// registry or a container engine (docs/cluster.md, "Images from Debian packages").
//
//	packroot -rootfs rootfs.tar -out image.tar -image mlkube.local/torch:v1 -user 1000 \
//	  -env HOME=/home/mlkube -workdir /home/mlkube
//
// The config is fixed apart from what the flags say (amd64/linux, created at the epoch), so the same
// rootfs gives the same image. Its sibling `pack` builds the test and pause images.
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// envList collects repeated -env NAME=VALUE flags.
type envList []string

func (e *envList) String() string { return strings.Join(*e, ",") }
func (e *envList) Set(v string) error {
	if !strings.Contains(v, "=") || strings.HasPrefix(v, "=") {
		return fmt.Errorf("-env %q: want NAME=VALUE", v)
	}
	*e = append(*e, v)
	return nil
}

func main() {
	rootfs := flag.String("rootfs", "", "root filesystem tarball (uncompressed)")
	out := flag.String("out", "", "output docker-archive tarball")
	image := flag.String("image", "", "image reference, e.g. mlkube.local/torch:v1")
	user := flag.String("user", "", "config User (numeric, so the kubelet can check runAsNonRoot)")
	workdir := flag.String("workdir", "", "config WorkingDir")
	var env envList
	flag.Var(&env, "env", "config Env entry NAME=VALUE (repeatable; PATH has a Debian default)")
	flag.Parse()
	if err := run(*rootfs, *out, *image, *user, *workdir, env); err != nil {
		fmt.Fprintln(os.Stderr, "packroot:", err)
		os.Exit(1)
	}
}

func run(rootfs, out, image, user, workdir string, env []string) error {
	if rootfs == "" || out == "" || image == "" {
		return fmt.Errorf("-rootfs, -out and -image are required")
	}
	ref, err := name.NewTag(image)
	if err != nil {
		return err
	}
	// The layer is compressed once (fast level: the archive is only imported locally) and kept for
	// both the digest and the write.
	layer, err := tarball.LayerFromFile(rootfs, tarball.WithCompressionLevel(gzip.BestSpeed), tarball.WithCompressedCaching)
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.User, cf.Config.WorkingDir = user, workdir
	cf.Config.Env = append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	tmp := out + ".tmp"
	if err := tarball.WriteToFile(tmp, ref, img); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, out)
}
