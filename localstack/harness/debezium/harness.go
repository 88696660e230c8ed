// Package dbzharness runs Debezium's own connector for the binlog
// connector's differential test: DebeziumHarness.java (next to this file)
// compiled at test time against the classpath of
// localstack/maven/debezium-harness-pom.xml, run in a DebeziumEngine with a
// file offset store and file schema history in a temporary folder, its
// change events read as JSON lines from stdout. It is a test helper: every
// function takes a testing.TB and fails it on error.
package dbzharness

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/localstack/harness/jvm"
)

// Event is one change event as Debezium's engine produced it, key and
// value as Kafka's JsonConverter (schemas enabled) wrote them; Value is nil
// for a tombstone.
type Event struct {
	Topic string          `json:"topic"`
	Key   json.RawMessage `json:"key"`
	Value json.RawMessage `json:"value"`
}

// Harness is one running Debezium engine.
type Harness struct {
	cmd    *exec.Cmd
	events chan Event
	mu     sync.Mutex
	stderr jvm.SyncBuffer
	failed string
}

// Start compiles and starts the harness with the connector properties
// props (connector.class, database.*, topic.prefix, ...); the engine's
// name, offset store and schema history files are added here. It returns
// once the connector's task has started. Without a JDK or Maven it skips the
// test, or fails it under CI=true.
func Start(t testing.TB, props map[string]string) *Harness {
	t.Helper()
	dir := t.TempDir()
	cp := jvm.Compile(t, "debezium-harness", "debezium-harness-pom.xml", "localstack/harness/debezium/DebeziumHarness.java")
	all := map[string]string{
		"name":                                  "dbz-diff",
		"offset.storage":                        "org.apache.kafka.connect.storage.FileOffsetBackingStore",
		"offset.storage.file.filename":          filepath.Join(dir, "offsets.dat"),
		"offset.flush.interval.ms":              "1000",
		"schema.history.internal":               "io.debezium.storage.file.history.FileSchemaHistory",
		"schema.history.internal.file.filename": filepath.Join(dir, "schema-history.dat"),
	}
	for k, v := range props {
		all[k] = v
	}
	var pf strings.Builder
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&pf, "%s=%s\n", k, escapeProp(all[k]))
	}
	propsFile := filepath.Join(dir, "engine.properties")
	if err := os.WriteFile(propsFile, []byte(pf.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &Harness{events: make(chan Event, 4096)}
	h.cmd = exec.Command("java", "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", cp, "DebeziumHarness", propsFile)
	stdin, err := h.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h.cmd.Stderr = &h.stderr
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go h.read(stdout, ready)
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = h.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = h.cmd.Process.Kill()
			<-done
		}
	})
	select {
	case msg := <-ready:
		if msg != "" {
			t.Fatalf("Debezium engine failed to start: %s\n%s", msg, h.Stderr())
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("Debezium engine did not start within 90s\n%s", h.Stderr())
	}
	return h
}

// escapeProp escapes a value for java.util.Properties.load.
func escapeProp(v string) string {
	r := strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`, "\t", `\t`)
	return r.Replace(v)
}

// Stderr returns the engine's log so far (for failure messages).
func (h *Harness) Stderr() string { return h.stderr.String() }

func (h *Harness) read(stdout interface{ Read([]byte) (int, error) }, ready chan<- string) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	signalled := false
	signal := func(msg string) {
		if !signalled {
			signalled = true
			ready <- msg
		}
	}
	defer close(h.events)
	for sc.Scan() {
		line := sc.Bytes()
		var ctl struct {
			Ready bool   `json:"ready"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(line, &ctl); err == nil && (ctl.Ready || ctl.Error != "") {
			if ctl.Error != "" {
				h.mu.Lock()
				h.failed = ctl.Error
				h.mu.Unlock()
				signal(ctl.Error)
				continue
			}
			signal("")
			continue
		}
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil {
			h.mu.Lock()
			h.failed = fmt.Sprintf("unreadable line %q: %v", line, err)
			h.mu.Unlock()
			continue
		}
		if string(ev.Value) == "null" {
			ev.Value = nil
		}
		if string(ev.Key) == "null" {
			ev.Key = nil
		}
		h.events <- ev
	}
	signal("the harness ended before its task started")
}

// Next returns the next change event, waiting up to timeout; it fails the
// test when none arrives or the engine failed.
func (h *Harness) Next(t testing.TB, timeout time.Duration) Event {
	t.Helper()
	select {
	case ev, ok := <-h.events:
		if !ok {
			t.Fatalf("Debezium engine ended: %s\n%s", h.failure(), h.Stderr())
		}
		return ev
	case <-time.After(timeout):
		t.Fatalf("no event from Debezium within %s (%s)\n%s", timeout, h.failure(), h.Stderr())
	}
	return Event{}
}

// TryNext returns the next change event if one arrives within timeout.
func (h *Harness) TryNext(timeout time.Duration) (Event, bool) {
	select {
	case ev, ok := <-h.events:
		return ev, ok
	case <-time.After(timeout):
		return Event{}, false
	}
}

func (h *Harness) failure() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failed
}
