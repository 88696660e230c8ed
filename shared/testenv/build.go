package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// BuildFunctions builds functions/<name> for each name the way
// `make build-local` does (CGO_ENABLED=0, -tags lambda.norpc, -trimpath,
// linux on this machine's CPU), concurrently, into dir/<name>/bootstrap —
// the layout the local runner reads. dir "" means a new temporary folder.
// It returns dir. Integration tests build the binaries of this checkout
// rather than use whatever a previous `make` left in build/.
func BuildFunctions(t testing.TB, dir string, names ...string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = goBuild(filepath.Join(dir, name, "bootstrap"), "./functions/"+name, "lambda.norpc")
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dir
}

// BuildCommand builds the main package pkg (relative to the module root,
// e.g. "./localstack/cmd/slkc-local") to dir/<last element of pkg> and
// returns that path; dir "" means a new temporary folder.
func BuildCommand(t testing.TB, dir, pkg string) string {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	if err := goBuild(out, pkg, ""); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return out
}

// goBuild runs go build in the module root.
func goBuild(out, pkg, tags string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	args := []string{"build", "-trimpath", "-o", out}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, pkg)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// moduleRoot is the nearest folder at or above the working directory (a
// test runs in its package's folder) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
