// Package jvm runs the Java side of a differential test: one Java source
// file next to its harness package, compiled at test time against the
// classpath of a pom under localstack/maven, started once per test and
// driven one JSON request per stdin line, one JSON answer per stdout line.
// It is a test helper: every function takes a testing.TB and fails it on
// error.
package jvm

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// Process is one running harness JVM.
type Process struct {
	name   string
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr *SyncBuffer
}

// SyncBuffer is a JVM's stderr, written by exec's copier and read by a
// failing test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Compile resolves localstack/maven/<pom> into the jar cache under name and
// compiles srcs (paths relative to the repository root) against it with
// javac; it returns the classpath to run them with. Without a JDK or Maven
// the test is skipped, or fails with CI=true.
func Compile(t testing.TB, name, pom string, srcs ...string) string {
	t.Helper()
	testenv.RequireJDK(t, name)
	cp := filepath.Join(testenv.MavenLibs(t, name, pom), "*")
	classes := t.TempDir()
	args := []string{"-nowarn", "-d", classes, "-cp", cp}
	for _, src := range srcs {
		args = append(args, filepath.Join(testenv.Root(t), filepath.FromSlash(src)))
	}
	if out, err := exec.Command("javac", args...).CombinedOutput(); err != nil {
		t.Fatalf("javac %s: %v\n%s", strings.Join(srcs, " "), err, out)
	}
	return cp + string(os.PathListSeparator) + classes
}

// Start resolves localstack/maven/<pom> into the jar cache under name,
// compiles src (a path relative to the repository root) with javac,
// together with HarnessLoop.java (the request loop harnesses share; the
// pom's classpath must hold Jackson), and runs its class with args. The
// harness must print a line containing "ready" when it is. The JVM ends
// with the test.
func Start(t testing.TB, name, pom, src, class string, args ...string) *Process {
	t.Helper()
	cp := Compile(t, name, pom, "localstack/harness/jvm/HarnessLoop.java", src)
	cmd := exec.Command("java", append([]string{"-Xmx256m", "-cp", cp, class}, args...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &SyncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	p := &Process{name: class, in: in, out: bufio.NewScanner(stdout), stderr: stderr}
	p.out.Buffer(make([]byte, 1<<20), 16<<20)
	if !p.out.Scan() || !strings.Contains(p.out.Text(), "ready") {
		t.Fatalf("%s did not start: %s\n%s", class, p.out.Text(), stderr.String())
	}
	return p
}

// Call sends one request and returns the answer's string members; an
// answer with "error" fails the test.
func (p *Process) Call(t testing.TB, req map[string]any) map[string]string {
	t.Helper()
	b, _ := json.Marshal(req)
	if _, err := p.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("%s: %v\n%s", p.name, err, p.stderr)
	}
	if !p.out.Scan() {
		t.Fatalf("%s ended: %v\n%s", p.name, p.out.Err(), p.stderr)
	}
	var resp map[string]string
	if err := json.Unmarshal(p.out.Bytes(), &resp); err != nil {
		t.Fatalf("%s answered %s: %v", p.name, p.out.Text(), err)
	}
	if resp["error"] != "" {
		t.Fatalf("%s %v: %s", p.name, req["op"], resp["error"])
	}
	return resp
}

// Bytes decodes a base64 member of an answer (the harnesses send bytes as
// standard base64); a malformed one fails the test.
func Bytes(t testing.TB, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ApicurioV3 turns a registry's Confluent-compatible URL (…/apis/ccompat/v7)
// into its Apicurio v3 API URL, which Apicurio's Java serdes use; another
// registry fails the test.
func ApicurioV3(t testing.TB, registryURL string) string {
	t.Helper()
	base, ok := strings.CutSuffix(strings.TrimSuffix(registryURL, "/"), "/apis/ccompat/v7")
	if !ok {
		t.Fatalf("the Java differential test needs Apicurio Registry (its /apis/ccompat/v7 URL), got %s", registryURL)
	}
	return base + "/apis/registry/v3"
}
