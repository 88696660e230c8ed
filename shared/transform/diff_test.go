package transform

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	connconfig "github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// The differential test runs the same vectors (transform chain config and
// input records, see vectors_test.go) through Kafka Connect's own
// transforms (localstack/harness/transforms, Kafka 4.1.1's
// connect-transforms from Maven Central) and through this package, and
// requires byte-identical JsonConverter output. Kafka's outputs are kept in
// testdata/diff/kafka.jsonl (with the SHA-256 of the vectors they answer):
// go test -short replays them without Java; the full go test re-runs the
// harness and also checks the fixture is current (CI=true fails when Java or
// Maven is missing). After changing the
// generator, refresh both fixtures with:
//
//	go test ./shared/transform -run TestKafkaDifferential -update
var update = flag.Bool("update", false, "rewrite testdata/diff from the generator and Kafka's harness")

const (
	vectorsFile = "testdata/diff/vectors.sha256" // of the generated harness input
	kafkaFile   = "testdata/diff/kafka.jsonl"
)

// vector is one line of the harness input.
type vector struct {
	ID      string            `json:"id"`
	Schemas bool              `json:"schemas"`
	Config  map[string]string `json:"config"`
	Records []vrecord         `json:"records"`
}

type vrecord struct {
	Topic     string          `json:"topic"`
	Partition int32           `json:"partition"`
	Offset    int64           `json:"offset"`
	Timestamp *int64          `json:"timestamp"`
	Key       json.RawMessage `json:"key"`
	Value     json.RawMessage `json:"value"`
	Headers   [][2]*string    `json:"headers"`
}

// vresult is one line of the harness output.
type vresult struct {
	ID          string    `json:"id"`
	ConfigError string    `json:"config_error,omitempty"`
	Results     []vrecOut `json:"results,omitempty"`
}

type vrecOut struct {
	Dropped   bool         `json:"dropped,omitempty"`
	Error     string       `json:"error,omitempty"`
	Topic     string       `json:"topic,omitempty"`
	Partition int32        `json:"partition,omitempty"`
	Timestamp *int64       `json:"timestamp,omitempty"`
	Key       *string      `json:"key,omitempty"`
	Value     *string      `json:"value,omitempty"`
	Headers   [][2]*string `json:"headers,omitempty"`
}

func TestKafkaDifferential(t *testing.T) {
	vectors := generateVectors()
	if len(vectors) < 650 {
		t.Fatalf("%d vectors; the README promises over 650", len(vectors))
	}
	var lines bytes.Buffer
	for _, v := range vectors {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		lines.Write(b)
		lines.WriteByte('\n')
	}
	sum := fmt.Sprintf("%x\n", sha256.Sum256(lines.Bytes()))
	var kafka []byte
	if testing.Short() && !*update {
		stored, err := os.ReadFile(vectorsFile)
		if err != nil {
			t.Fatalf("%v (refresh with -update)", err)
		}
		if string(stored) != sum {
			t.Fatalf("%s is not what the generator makes; refresh the fixtures with: go test ./shared/transform -run TestKafkaDifferential -update", vectorsFile)
		}
		if kafka, err = os.ReadFile(kafkaFile); err != nil {
			t.Fatal(err)
		}
	} else {
		kafka = runHarness(t, lines.Bytes())
		if *update {
			if err := os.MkdirAll(filepath.Dir(vectorsFile), 0o755); err != nil {
				t.Fatal(err)
			}
			for name, data := range map[string][]byte{vectorsFile: []byte(sum), kafkaFile: kafka} {
				if err := os.WriteFile(name, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		} else if stored, err := os.ReadFile(kafkaFile); err != nil || !bytes.Equal(stored, kafka) {
			t.Errorf("%s differs from what Kafka's harness outputs now; refresh with -update", kafkaFile)
		}
	}
	results := parseResults(t, kafka)
	if len(results) != len(vectors) {
		t.Fatalf("%d Kafka results for %d vectors", len(results), len(vectors))
	}
	counts := map[string]int{}
	outcomes := map[string]*[3]int{} // per type: records output, dropped, refused by both
	nvec := map[string]int{}
	failures := 0
	for i, v := range vectors {
		want := results[i]
		if want.ID != v.ID {
			t.Fatalf("result %d is for %q, want %q", i, want.ID, v.ID)
		}
		for _, typ := range vectorTypes(v) {
			counts[typ] += len(v.Records)
			nvec[typ]++
			if outcomes[typ] == nil {
				outcomes[typ] = &[3]int{}
			}
			for _, r := range want.Results {
				switch {
				case r.Error != "":
					outcomes[typ][2]++
				case r.Dropped:
					outcomes[typ][1]++
				default:
					outcomes[typ][0]++
				}
			}
		}
		got := runGo(v)
		if msg := compare(v, want, got); msg != "" {
			failures++
			if failures <= 60 {
				t.Errorf("vector %s (config %v):\n%s", v.ID, v.Config, msg)
			}
		}
	}
	if failures > 60 {
		t.Errorf("... %d vectors differ in all", failures)
	}
	var report strings.Builder
	total := 0
	for _, typ := range slices.Sorted(func(yield func(string) bool) {
		for k := range counts {
			if !yield(k) {
				return
			}
		}
	}) {
		o := outcomes[typ]
		fmt.Fprintf(&report, "%-72s %4d vectors, %5d records: %4d output, %3d dropped, %4d refused\n", typ, nvec[typ], counts[typ], o[0], o[1], o[2])
		total += counts[typ]
	}
	t.Logf("%d vectors; records run per type:\n%s", len(vectors), report.String())
	for _, typ := range append(Types(), PredicateTypes()...) {
		if typ != ExtractNewRecordStateType && counts[typ] == 0 {
			t.Errorf("no vector runs %s", typ)
		}
	}
}

// vectorTypes lists the transform and predicate types a vector configures.
func vectorTypes(v vector) []string {
	var out []string
	for k, val := range v.Config {
		if parts := strings.Split(k, "."); len(parts) == 3 && parts[2] == "type" {
			out = append(out, val)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func parseResults(t *testing.T, data []byte) []vresult {
	t.Helper()
	var out []vresult
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r vresult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("harness output %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// runHarness runs every vector through Kafka's transforms in one JVM.
func runHarness(t *testing.T, input []byte) []byte {
	t.Helper()
	return testenv.JavaHarness(t, "localstack/harness/transforms/run.sh", input)
}

// runGo runs a vector through this package the way the sink does: decode
// with JsonConverter, apply the chain, encode with JsonConverter.
func runGo(v vector) vresult {
	res := vresult{ID: v.ID}
	chain, err := runGoChain(v.Config)
	if err != nil {
		res.ConfigError = err.Error()
		return res
	}
	props := map[string]string{"schemas.enable": fmt.Sprint(v.Schemas)}
	kc, _ := convert.New(convert.JSONConverterClass, props, true)
	vc, _ := convert.New(convert.JSONConverterClass, props, false)
	for _, in := range v.Records {
		res.Results = append(res.Results, runRecord(chain, kc, vc, in))
	}
	return res
}

// runGoChain builds the chain of a vector's transforms and predicates
// keys as a cold start does: parsed by the framework config of a sink, then
// NewChain.
func runGoChain(cfg map[string]string) (Chain, error) {
	props := map[string]string{"name": "diff", "connector.class": "io.slkc.connect.mysql.MySqlSinkConnector",
		"topics": "orders", "bootstrap.servers": "127.0.0.1:9092"}
	for k, v := range cfg {
		props[k] = v
	}
	vals, err := connconfig.FrameworkDef(connconfig.Sink).Parse(props)
	if err != nil {
		return Chain{}, err
	}
	fw, err := connconfig.ParseFramework(vals)
	if err != nil {
		return Chain{}, err
	}
	return NewChain(fw.Transforms)
}

func rawBytes(m json.RawMessage) []byte {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}

func runRecord(chain Chain, kc, vc convert.Converter, in vrecord) vrecOut {
	r := connect.Record{Topic: in.Topic, Partition: in.Partition, Offset: in.Offset}
	if in.Timestamp != nil {
		r.Timestamp = time.UnixMilli(*in.Timestamp)
	}
	var err error
	if r.KeySchema, r.Key, err = kc.ToConnect(in.Topic, rawBytes(in.Key)); err != nil {
		return vrecOut{Error: "key: " + err.Error()}
	}
	if r.ValueSchema, r.Value, err = vc.ToConnect(in.Topic, rawBytes(in.Value)); err != nil {
		return vrecOut{Error: "value: " + err.Error()}
	}
	for _, h := range in.Headers {
		var val []byte
		if h[1] != nil {
			val = []byte(*h[1])
		}
		r.Headers = append(r.Headers, connect.Header{Key: *h[0], Value: val})
	}
	out, keep, err := chain.Apply(r)
	if err != nil {
		return vrecOut{Error: err.Error()}
	}
	if !keep {
		return vrecOut{Dropped: true}
	}
	res := vrecOut{Topic: out.Topic, Partition: out.Partition}
	if !out.Timestamp.IsZero() {
		ms := out.Timestamp.UnixMilli()
		res.Timestamp = &ms
	}
	k, err := kc.FromConnect(out.Topic, out.KeySchema, sortMaps(out.Key))
	if err != nil {
		return vrecOut{Error: "encoding key: " + err.Error()}
	}
	val, err := vc.FromConnect(out.Topic, out.ValueSchema, sortMaps(out.Value))
	if err != nil {
		return vrecOut{Error: "encoding value: " + err.Error()}
	}
	res.Key, res.Value = text(k), text(val)
	res.Headers = [][2]*string{}
	for _, h := range out.Headers {
		name := h.Key
		res.Headers = append(res.Headers, [2]*string{&name, text(h.Value)})
	}
	return res
}

func text(b []byte) *string {
	if b == nil {
		return nil
	}
	s := string(b)
	return &s
}

// sortMaps orders the entries of schema'd maps with string keys by key, as
// the harness does for Kafka's HashMaps (whose order is an accident).
func sortMaps(v any) any {
	switch x := v.(type) {
	case []connect.MapEntry:
		out := make([]connect.MapEntry, len(x))
		for i, e := range x {
			out[i] = connect.MapEntry{Key: e.Key, Value: sortMaps(e.Value)}
		}
		if slices.IndexFunc(out, func(e connect.MapEntry) bool { _, ok := e.Key.(string); return !ok }) < 0 {
			sort.SliceStable(out, func(i, j int) bool { return out[i].Key.(string) < out[j].Key.(string) })
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sortMaps(e)
		}
		return out
	case *connect.StructValue:
		if x == nil {
			return x
		}
		out := connect.NewStruct(x.Schema)
		for i, e := range x.Values {
			out.Values[i] = sortMaps(e)
		}
		return out
	}
	return v
}

// compare reports how our result differs from Kafka's, or "".
func compare(v vector, want, got vresult) string {
	if want.ConfigError != "" || got.ConfigError != "" {
		if (want.ConfigError == "") != (got.ConfigError == "") {
			return fmt.Sprintf("config error: Kafka %q, ours %q", want.ConfigError, got.ConfigError)
		}
		return ""
	}
	var b strings.Builder
	for i := range want.Results {
		w, g := want.Results[i], got.Results[i]
		switch {
		case w.Error != "":
			if g.Error == "" {
				fmt.Fprintf(&b, "record %d: Kafka fails (%s), ours gives %.300s\n", i, w.Error, show(g))
			} else if !strings.Contains(g.Error, `transform "`) && !strings.HasPrefix(g.Error, "encoding ") {
				fmt.Fprintf(&b, "record %d: our error does not name the transform alias: %s\n", i, g.Error)
			}
		case g.Error != "":
			fmt.Fprintf(&b, "record %d: ours fails (%s), Kafka gives %.300s\n", i, g.Error, show(w))
		default:
			if ws, gs := show(w), show(g); ws != gs {
				at := 0
				for at < len(ws) && at < len(gs) && ws[at] == gs[at] {
					at++
				}
				from := max(0, at-150)
				fmt.Fprintf(&b, "record %d differs at byte %d:\n  kafka …%s\n  ours  …%s\n", i, at, ws[from:min(len(ws), at+80)], gs[from:min(len(gs), at+80)])
			}
		}
	}
	return b.String()
}

func show(r vrecOut) string {
	b, _ := json.Marshal(r)
	return string(b)
}
