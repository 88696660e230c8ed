package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var registryOnce struct {
	sync.Once
	url string
	err error
}

// SchemaRegistry returns the base URL of a Confluent-compatible schema
// registry: SLKC_SCHEMA_REGISTRY_URL when set, otherwise the project's
// Apicurio Registry (its /apis/ccompat/v7 API), started once per test
// binary with `localstack/stack.sh registry-up`, which does nothing when it
// already runs. The registry keeps running afterwards, like the rest of the
// local stack (`localstack/stack.sh registry-down` stops it). Tests share
// the registry, so each should use its own topic names (Topic) for its
// subjects.
//
// Under -short the test is skipped. When the registry cannot be started or
// reached the test is skipped, or fails with CI=true.
func SchemaRegistry(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("testenv: schema registry test skipped under -short")
	}
	registryOnce.Do(func() {
		if u := os.Getenv("SLKC_SCHEMA_REGISTRY_URL"); u != "" {
			registryOnce.url = u
		} else {
			registryOnce.url, registryOnce.err = startRegistry()
		}
		if registryOnce.err == nil {
			registryOnce.err = pingRegistry(registryOnce.url)
		}
	})
	if registryOnce.err != nil {
		unavailable(t, "schema registry", "SLKC_SCHEMA_REGISTRY_URL", registryOnce.url, registryOnce.err)
	}
	return registryOnce.url
}

// startRegistry runs stack.sh registry-up, whose last output line is the
// registry URL.
func startRegistry() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "localstack", "stack.sh"), "registry-up")
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("localstack/stack.sh registry-up: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	u := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(u, "http://") {
		return "", fmt.Errorf("localstack/stack.sh registry-up printed %q, want the registry URL", u)
	}
	return u, nil
}

func pingRegistry(u string) error {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(strings.TrimSuffix(u, "/") + "/subjects")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("GET /subjects answered " + resp.Status)
	}
	return nil
}
