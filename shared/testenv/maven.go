package testenv

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Root returns the module's root folder (where go.mod is), failing the
// test when there is none.
func Root(t testing.TB) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return root
}

// MavenLibs resolves localstack/maven/<pom> into the project's jar cache
// with `localstack/stack.sh mvn-libs name pom` (cached until the pom
// changes) and returns the folder holding the jars. Under -short the test
// is skipped; when Maven cannot resolve it the test is skipped, or fails
// with CI=true.
func MavenLibs(t testing.TB, name, pom string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("testenv: Maven-backed test skipped under -short")
	}
	root := Root(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "localstack", "stack.sh"), "mvn-libs", name, pom)
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		unavailable(t, "Maven Central", "localstack/maven/"+pom, name, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String())))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
