// regpush: the two client-side steps of the private-registry test (test/cluster/registry.test.ts).
//
//	regpush htpasswd USER < password            prints USER:<bcrypt hash>, an htpasswd line
//	regpush push -tar T -src REF -dst REF [-label K=V]
//	                                            copies image REF of docker-archive T to a registry,
//	                                            with label K=V added to its config (a new image ID,
//	                                            so a node that holds the source image must still pull)
//
// push reads the registry credentials from REGISTRY_USER and REGISTRY_PASSWORD (never from the
// command line, which other users of the machine can read) and talks plain HTTP to loopback
// registries only (go-containerregistry's rule for localhost / 127.0.0.1), like containerd.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "htpasswd":
		err = htpasswd(os.Args[2:])
	case "push":
		err = push(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "regpush:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: regpush htpasswd USER < password | regpush push -tar T -src REF -dst REF")
	os.Exit(2)
}

func htpasswd(args []string) error {
	if len(args) != 1 || args[0] == "" || strings.Contains(args[0], ":") {
		return fmt.Errorf("htpasswd takes one user name without ':'")
	}
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("reading the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return fmt.Errorf("empty password")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return err
	}
	fmt.Printf("%s:%s\n", args[0], h)
	return nil
}

func push(args []string) error {
	fs := flag.NewFlagSet("push", flag.ContinueOnError)
	tarPath := fs.String("tar", "", "docker-archive tarball")
	src := fs.String("src", "", "image reference inside the tarball")
	dst := fs.String("dst", "", "destination reference (a loopback registry)")
	label := fs.String("label", "", "K=V: a label added to the image config")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *tarPath == "" || *src == "" || *dst == "" {
		return fmt.Errorf("push needs -tar, -src and -dst")
	}
	srcTag, err := name.NewTag(*src)
	if err != nil {
		return err
	}
	img, err := tarball.ImageFromPath(*tarPath, &srcTag)
	if err != nil {
		return err
	}
	if *label != "" {
		k, v, ok := strings.Cut(*label, "=")
		if !ok || k == "" {
			return fmt.Errorf("-label takes K=V")
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return err
		}
		cfg := cf.Config.DeepCopy()
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		cfg.Labels[k] = v
		if img, err = mutate.Config(img, *cfg); err != nil {
			return err
		}
	}
	dstRef, err := name.ParseReference(*dst)
	if err != nil {
		return err
	}
	auth := authn.Anonymous
	if u := os.Getenv("REGISTRY_USER"); u != "" {
		auth = &authn.Basic{Username: u, Password: os.Getenv("REGISTRY_PASSWORD")}
	}
	if err := remote.Write(dstRef, img, remote.WithAuth(auth)); err != nil {
		return err
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	fmt.Println(d.String())
	return nil
}
