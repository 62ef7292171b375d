// Command codegen generates mlkube's Python SDK (sdk/python) and Go SDK (sdk/go) from schema.json with
// Pulumi's own code generators (github.com/pulumi/pulumi/pkg/v3 at the CLI's version), in process: the
// CLI's `pulumi package gen-sdk` delegates to language hosts newer than the ones this project can build.
//
//	codegen -schema schema.json -out sdk/python          # bind, generate, patch, write
//	codegen -schema schema.json -out sdk/python -check   # exit 1 when sdk/python differs
//	codegen -schema schema.json -lang go -out sdk/go [-check]   # the Go SDK (sdk/go/mlkube, its go.mod)
//	codegen -schema schema.json -bind                    # bind only (schema errors -> exit 1)
//
// Built and run by scripts/gen-sdk.sh. It lives in the tools/pulumi module so that it shares the
// CLI's module graph and build cache. See docs/schema.md.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noPackages is the ReferenceLoader for a schema that references no other package (nil panics in BindSpec).
type noPackages struct{}

var errNoPackages = errors.New("mlkube's schema references no other Pulumi package")

func (noPackages) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoPackages
}

func (noPackages) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoPackages
}

func (noPackages) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoPackages
}

func (noPackages) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoPackages
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "codegen: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	schemaPath := flag.String("schema", "schema.json", "the package schema")
	out := flag.String("out", "sdk/python", "directory of the generated SDK")
	lang := flag.String("lang", "python", "the SDK's language: python or go")
	check := flag.Bool("check", false, "compare with -out instead of writing it; exit 1 when they differ")
	bindOnly := flag.Bool("bind", false, "only bind the schema (report its errors)")
	flag.Parse()

	raw, err := os.ReadFile(*schemaPath)
	if err != nil {
		fail("%v", err)
	}
	var spec schema.PackageSpec
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&spec); err != nil {
		fail("%s: %v", *schemaPath, err)
	}
	loader := noPackages{}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	for _, d := range diags {
		fmt.Fprintf(os.Stderr, "%s: %s\n", *schemaPath, d.Error())
	}
	if err != nil {
		fail("binding %s: %v", *schemaPath, err)
	}
	if diags.HasErrors() {
		fail("%s does not bind (%d diagnostics above)", *schemaPath, len(diags))
	}
	if *bindOnly {
		fmt.Printf("%s binds: %d resources, %d types\n", *schemaPath, len(spec.Resources), len(spec.Types))
		return
	}

	var files map[string][]byte
	switch *lang {
	case "python":
		files, err = python.GeneratePackage("mlkube tools/pulumi/codegen", pkg, nil, loader)
		if err != nil {
			fail("generating the Python SDK: %v", err)
		}
		if err := patchInputsImportCycle(files); err != nil {
			fail("%v", err)
		}
		if err := patchVersionFromSourceTree(files); err != nil {
			fail("%v", err)
		}
	case "go":
		files, err = gogen.GeneratePackage("mlkube tools/pulumi/codegen", pkg, nil)
		if err != nil {
			fail("generating the Go SDK: %v", err)
		}
		if err := addGoMod(files, pkg); err != nil {
			fail("%v", err)
		}
	default:
		fail("-lang %q: python or go", *lang)
	}
	if *check {
		if diff := compare(*out, files); len(diff) > 0 {
			fail("%s is stale (%s); run scripts/gen-sdk.sh and commit the result", *out, strings.Join(diff, ", "))
		}
		fmt.Printf("%s is up to date (%d files)\n", *out, len(files))
		return
	}
	if err := write(*out, files); err != nil {
		fail("%v", err)
	}
	fmt.Printf("wrote %d files to %s\n", len(files), *out)
}

// resourceImport matches a top-level import of a name from a sibling module: `from .secret import Secret`.
var resourceImport = regexp.MustCompile(`(?m)^from \.([a-z_][a-z0-9_]*) import ([A-Za-z_][A-Za-z0-9_]*)\n`)

// patchInputsImportCycle moves the imports of resource modules in `_inputs.py` to its end (failure 3 of
// ../shared/reference/multilang.md). Codegen imports a resource class at the top of `_inputs.py` when an
// input type refers to that resource (`from .secret import Secret`), while every resource module runs
// `from ._inputs import *` first: importing the package then fails at the first registration with
// `NameError: name 'GitSshArgs' is not defined`. At the end of `_inputs.py` the input classes exist when
// the resource modules import them; the resource names are only used in quoted annotations and function
// bodies, which are evaluated later. Modules that are not resources (_enums, _utilities) stay put.
func patchInputsImportCycle(files map[string][]byte) error {
	var name string
	for f := range files {
		if filepath.Base(f) == "_inputs.py" {
			name = f
		}
	}
	if name == "" {
		return errors.New("the generated SDK has no _inputs.py")
	}
	dir := filepath.Dir(name)
	src := string(files[name])
	var moved []string
	src = resourceImport.ReplaceAllStringFunc(src, func(line string) string {
		mod := resourceImport.FindStringSubmatch(line)[1]
		if strings.HasPrefix(mod, "_") || files[filepath.Join(dir, mod+".py")] == nil {
			return line
		}
		moved = append(moved, line)
		return ""
	})
	if len(moved) == 0 {
		// Nothing to move: this codegen no longer imports resources at the top (the patch may be obsolete).
		return nil
	}
	src = strings.TrimRight(src, "\n") + "\n\n\n# Patched by mlkube's tools/pulumi/codegen: the resource imports codegen puts at the top of this module\n" +
		"# are moved here, after the input classes, to break the import cycle with the resource modules (docs/schema.md).\n" +
		strings.Join(moved, "")
	files[name] = []byte(src)
	return nil
}

// versionLookup is how the generated _utilities.py reads the package's version: from the installed
// distribution's metadata.
const versionLookup = "    pep440_version_string = importlib.metadata.version(root_package)\n"

// patchVersionFromSourceTree lets the SDK work from a source tree on PYTHONPATH (a clone's sdk/python,
// not pip-installed): `_utilities.py` reads the version from the installed distribution's metadata and
// fails at import with PackageNotFoundError without one. Then the version comes from the
// pulumi-plugin.json beside it (the schema's version, which is also the plugin's). Installed SDKs are
// unchanged. Fails when the generated code no longer has the line, so the patch gets reviewed.
func patchVersionFromSourceTree(files map[string][]byte) error {
	var name string
	for f := range files {
		if filepath.Base(f) == "_utilities.py" {
			name = f
		}
	}
	src := string(files[name])
	if name == "" || strings.Count(src, versionLookup) != 1 {
		return errors.New("_utilities.py no longer reads its version with importlib.metadata.version(root_package): " +
			"review patchVersionFromSourceTree in tools/pulumi/codegen")
	}
	files[name] = []byte(strings.Replace(src, versionLookup,
		"    try:\n"+
			"        pep440_version_string = importlib.metadata.version(root_package)\n"+
			"    except importlib.metadata.PackageNotFoundError:\n"+
			"        # Patched by mlkube's tools/pulumi/codegen: not installed (a source tree on PYTHONPATH), so the\n"+
			"        # version is pulumi-plugin.json's, the schema's (docs/schema.md).\n"+
			"        with open(os.path.join(os.path.dirname(__file__), \"pulumi-plugin.json\"), encoding=\"utf-8\") as f:\n"+
			"            pep440_version_string = json.load(f)[\"version\"]\n", 1))
	return nil
}

func write(dir string, files map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// compare lists what differs between dir and files (missing, changed, extra files).
func compare(dir string, files map[string][]byte) []string {
	var diff []string
	seen := map[string]bool{}
	for name, content := range files {
		seen[filepath.ToSlash(name)] = true
		have, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			diff = append(diff, "missing "+name)
		} else if !bytes.Equal(have, content) {
			diff = append(diff, "changed "+name)
		}
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if !seen[rel] && !strings.Contains(rel, "__pycache__") && !strings.HasSuffix(rel, "/go.sum") {
			diff = append(diff, "extra "+rel)
		}
		return nil
	})
	sort.Strings(diff)
	return diff
}
