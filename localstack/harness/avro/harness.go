// Package avroharness runs the Java side of the Avro differential tests:
// AvroHarness.java (next to this file) compiled at test time against the
// classpath of localstack/maven/avro-harness-pom.xml, driven over
// stdin/stdout. It is a test helper: every function takes a testing.TB and
// fails it on error.
package avroharness

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// Harness drives AvroHarness.java: Apicurio's Avro serde (Confluent wire
// format), AvroData (the Connect mapping) and a Kafka producer in one JVM,
// started once per test.
type Harness struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// Start resolves the harness's classpath (localstack/maven/
// avro-harness-pom.xml), compiles it with javac and starts it against the
// registry's Apicurio v3 API.
func Start(t testing.TB, registryURL string) *Harness {
	t.Helper()
	v3, ok := strings.CutSuffix(strings.TrimSuffix(registryURL, "/"), "/apis/ccompat/v7")
	if !ok {
		t.Fatalf("the Java differential test needs Apicurio Registry (its /apis/ccompat/v7 URL), got %s", registryURL)
	}
	v3 += "/apis/registry/v3"
	libs := testenv.MavenLibs(t, "avro-harness", "avro-harness-pom.xml")
	cp := filepath.Join(libs, "*")
	classes := t.TempDir()
	src := filepath.Join(testenv.Root(t), "localstack", "harness", "avro", "AvroHarness.java")
	if out, err := exec.Command("javac", "-nowarn", "-d", classes, "-cp", cp, src).CombinedOutput(); err != nil {
		t.Fatalf("javac AvroHarness.java: %v\n%s", err, out)
	}
	cmd := exec.Command("java", "-Xmx256m", "-cp", cp+string(os.PathListSeparator)+classes, "AvroHarness", v3)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
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
	h := &Harness{cmd: cmd, in: in, out: bufio.NewScanner(stdout)}
	h.out.Buffer(make([]byte, 1<<20), 16<<20)
	if !h.out.Scan() || !strings.Contains(h.out.Text(), "ready") {
		t.Fatalf("AvroHarness did not start: %s\n%s", h.out.Text(), stderr.String())
	}
	return h
}

func (h *Harness) call(t testing.TB, req map[string]any) map[string]string {
	t.Helper()
	b, _ := json.Marshal(req)
	if _, err := h.in.Write(append(b, '\n')); err != nil {
		t.Fatalf("AvroHarness: %v", err)
	}
	if !h.out.Scan() {
		t.Fatalf("AvroHarness ended: %v", h.out.Err())
	}
	var resp map[string]string
	if err := json.Unmarshal(h.out.Bytes(), &resp); err != nil {
		t.Fatalf("AvroHarness answered %s: %v", h.out.Text(), err)
	}
	if resp["error"] != "" {
		t.Fatalf("AvroHarness %v: %s", req["op"], resp["error"])
	}
	return resp
}

// Write has Java convert a JsonConverter envelope to Avro with AvroData and
// serialize it; it returns the wire bytes and the Avro schema AvroData made.
func (h *Harness) Write(t testing.TB, topic, envelope string) ([]byte, string) {
	t.Helper()
	resp := h.call(t, map[string]any{"op": "write", "topic": topic, "envelope": envelope})
	b, err := base64.StdEncoding.DecodeString(resp["data"])
	if err != nil {
		t.Fatal(err)
	}
	return b, resp["avroSchema"]
}

// Read has Java deserialize wire bytes and map them to Connect; it returns
// the Connect data as Kafka's JsonConverter prints it.
func (h *Harness) Read(t testing.TB, topic string, data []byte) string {
	t.Helper()
	return h.call(t, map[string]any{"op": "read", "topic": topic, "data": base64.StdEncoding.EncodeToString(data)})["envelope"]
}

// Produce sends records with a plain Java KafkaProducer and Apicurio's
// Avro serializer (Confluent wire format, no key): each record is Avro's
// JSON encoding of a record of schema (an Avro schema without any
// connect.* property, as an application would write it).
func (h *Harness) Produce(t testing.TB, bootstrap, topic, schema string, records ...string) {
	t.Helper()
	req := map[string]any{"op": "produce", "topic": topic, "bootstrap": bootstrap, "schema": schema, "records": records}
	resp := h.call(t, req)
	if resp["produced"] != strconv.Itoa(len(records)) {
		t.Fatalf("AvroHarness produced %s records, want %d", resp["produced"], len(records))
	}
}
