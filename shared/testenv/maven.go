package testenv

import (
	"bytes"
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

// RequireJDK checks that java, javac and mvn are on the PATH for what (a
// harness, named in the message): without one the test is skipped, or
// fails with CI=true.
func RequireJDK(t testing.TB, what string) {
	t.Helper()
	for _, tool := range []string{"java", "javac", "mvn"} {
		if _, err := exec.LookPath(tool); err != nil {
			if InCI() {
				t.Fatalf("testenv: %s not found: %s needs a JDK 17 and Maven (CI=true)", tool, what)
			}
			t.Skipf("testenv: %s not found; %s needs a JDK 17 and Maven", tool, what)
		}
	}
}

// JavaHarness runs a harness script of the project (script is relative to
// the module root, e.g. localstack/harness/validate/run.sh: it resolves its
// jars and compiles its Java code once) with input on stdin and returns its
// stdout. Without java, javac or mvn the test is skipped, or fails with
// CI=true; a failing script fails the test with its stderr.
func JavaHarness(t testing.TB, script string, input []byte) []byte {
	t.Helper()
	RequireJDK(t, script)
	cmd := exec.Command(filepath.Join(Root(t), script))
	cmd.Stdin = bytes.NewReader(input)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("testenv: %s: %v\n%s", script, err, stderr.String())
	}
	return out
}
