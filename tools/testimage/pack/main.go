// pack: writes the local cluster's images, without a registry or a container engine, as one
// docker-archive tarball for `ctr -n k8s.io images import` (docs/cluster.md, "Real node").
//
//	pack -bin path/to/testapp -out images.tar -image mlkube.local/testapp:v1 -pause mlkube.local/pause:v1
//
// All images hold the one static testapp binary as /testapp (one layer, reproducible: fixed
// timestamps). The test image runs `/testapp serve` by default as user 65532; the pause image
// (the pod sandbox) runs `/testapp pause` as user 65535, like registry.k8s.io/pause; the model-server
// image runs `/testapp model-server` as root, like the LLM server images of the examples.
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	bin := flag.String("bin", "", "static testapp binary")
	out := flag.String("out", "", "output tarball")
	image := flag.String("image", "mlkube.local/testapp:v1", "test image reference")
	pause := flag.String("pause", "mlkube.local/pause:v1", "sandbox image reference")
	modelServer := flag.String("model-server", "mlkube.local/model-server:v1", "LLM server stand-in image reference")
	flag.Parse()
	if err := run(*bin, *out, *image, *pause, *modelServer); err != nil {
		fmt.Fprintln(os.Stderr, "pack:", err)
		os.Exit(1)
	}
}

func run(bin, out, image, pause, modelServer string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	layerTar, err := layer(data)
	if err != nil {
		return err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil })
	if err != nil {
		return err
	}
	mk := func(entrypoint, cmd []string, user string) (v1.Image, error) {
		img, err := mutate.AppendLayers(empty.Image, l)
		if err != nil {
			return nil, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cf = cf.DeepCopy()
		cf.Architecture, cf.OS = "amd64", "linux"
		cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
		cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.User = entrypoint, cmd, user
		cf.Config.Env = []string{"PATH=/"}
		return mutate.ConfigFile(img, cf)
	}
	images := map[name.Reference]v1.Image{}
	for _, d := range []struct {
		ref             string
		entrypoint, cmd []string
		user            string
	}{
		{image, []string{"/testapp"}, []string{"serve"}, "65532"},
		{pause, []string{"/testapp", "pause"}, nil, "65535"},
		// Runs as root (no user), like the LLM server images it stands in for (examples/quickstart, inference).
		{modelServer, []string{"/testapp", "model-server"}, nil, ""},
	} {
		img, err := mk(d.entrypoint, d.cmd, d.user)
		if err != nil {
			return err
		}
		ref, err := name.NewTag(d.ref)
		if err != nil {
			return err
		}
		images[ref] = img
	}
	return tarball.MultiRefWriteToFile(out, images)
}

// layer: /testapp (0755) and an empty /tmp (1777), root-owned, timestamps at the epoch.
func layer(bin []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "tmp/", Mode: 0o1777, ModTime: epoch}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "testapp", Mode: 0o755, Size: int64(len(bin)), ModTime: epoch}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
