package all

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// module is the root module's path; connector packages are under
// module/connectors/.
const module = "github.com/serverless-kafka-connect/slkc"

// driveConnectors are the folders whose code drives particular connectors
// on purpose, and why; nothing else outside a connector's own package may
// import a connector package or name a connector class.
var driveConnectors = map[string]string{
	"connectors/all":   "the registration list, one line per connector",
	"localstack/demo":  "the demo seeds a MySQL table and checks a MySQL and a DynamoDB sink",
	"localstack/bench": "the benchmarks measure particular connectors",
}

// TestNothingElseNamesAConnector backs the README's claim that the
// functions, the control API, the CDK app, error classification and the
// references take everything from the registry: no non-test Go file of
// the repository (infra included) outside a connector's package and the
// folders of driveConnectors imports a connector package or has a
// registered class or alias as a string literal.
func TestNothingElseNamesAConnector(t *testing.T) {
	root := filepath.Join("..", "..")
	names := map[string]bool{}
	for _, p := range connectors.Plugins() {
		names[p.Class] = true
		for _, a := range p.Aliases {
			names[a] = true
		}
	}
	if len(names) == 0 {
		t.Fatal("no plugins registered")
	}
	checked := 0
	err := filepath.WalkDir(root, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, file)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if base := d.Name(); rel != "." && (strings.HasPrefix(base, ".") || base == "node_modules" || base == "cdk.out" || base == "testdata") {
				return filepath.SkipDir
			}
			if _, ok := driveConnectors[rel]; ok {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		dir := path.Dir(rel)
		own := strings.HasPrefix(dir, "connectors/") // a connector's own package
		if own {
			return nil
		}
		src, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), rel, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rest, ok := strings.CutPrefix(p, module+"/connectors/"); ok && rest != "all" {
				t.Errorf("%s imports %s: ask the registry (connectors.Lookup) instead", rel, p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && names[strings.TrimSpace(s)] {
					t.Errorf("%s names the connector class %s: ask the registry instead", rel, s)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked %d files: the walk did not find the repository", checked)
	}
}
