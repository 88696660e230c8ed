// Package controlclient lets tests drive a Kafka Connect REST API with
// third-party clients from PyPI (kafka-connect-py, bkkt), installed by
// venv.sh into a cached virtualenv, through the small driver drive.py.
package controlclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var (
	once    sync.Once
	python  string
	venvErr error
)

func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Python returns the virtualenv's python, creating the virtualenv on first
// use (venv.sh is idempotent and cached). It skips under -short and fails
// the test when the install fails.
func Python(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("controlclient: third-party REST clients need a virtualenv; skipped under -short")
	}
	once.Do(func() {
		var stderr bytes.Buffer
		cmd := exec.Command("bash", filepath.Join(dir(), "venv.sh"))
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			venvErr = fmt.Errorf("controlclient: venv.sh: %w\n%s", err, stderr.String())
			return
		}
		python = strings.TrimSpace(string(out))
	})
	if venvErr != nil {
		t.Fatal(venvErr)
	}
	return python
}

// Drive runs one drive.py command against the API at url and returns the
// client's result; a client error (an HTTP error status included) is
// returned as an error holding the client's message.
func Drive(t testing.TB, url string, args ...string) (json.RawMessage, error) {
	t.Helper()
	py := Python(t)
	cmd := exec.Command(py, append([]string{filepath.Join(dir(), "drive.py"), url}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var doc struct {
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("controlclient: drive.py %v: %v; output %q; stderr %s", args, err, out, stderr.String())
	}
	if runErr != nil || doc.Error != "" {
		return nil, fmt.Errorf("%s", doc.Error)
	}
	return doc.Result, nil
}

// MustDrive is Drive that fails the test on a client error.
func MustDrive(t testing.TB, url string, args ...string) json.RawMessage {
	t.Helper()
	res, err := Drive(t, url, args...)
	if err != nil {
		t.Fatalf("controlclient: %v: %v", args, err)
	}
	return res
}
