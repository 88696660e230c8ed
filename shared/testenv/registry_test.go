package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRegistryUpRefusesOldJava: without a Java 21+ the registry is not
// started and the message names the javas found. Runs the script with no
// JVM folder and only a fake java 17 on PATH; nothing is contacted.
func TestRegistryUpRefusesOldJava(t *testing.T) {
	bin := t.TempDir()
	fake := "#!/bin/sh\necho 'openjdk version \"17.0.9\" 2023-10-17' >&2\n"
	if err := os.WriteFile(filepath.Join(bin, "java"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(Root(t), "localstack", "stack.sh"), "registry-up")
	cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin", "SLKC_JVM_DIR="+t.TempDir(),
		"SLKC_LOCAL_DIR="+t.TempDir(), "SLKC_REGISTRY_PORT=1", "SLKC_REGISTRY_JAVA=")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("registry-up succeeded with only Java 17:\n%s", out)
	}
	msg := string(out)
	if !strings.Contains(msg, "needs Java 21 or newer") || !strings.Contains(msg, "(17)") {
		t.Errorf("message does not explain the refusal:\n%s", msg)
	}
}
