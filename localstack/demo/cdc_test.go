package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
)

const cdcPipelineDir = "../../connectors/pipeline-cdc"

func TestLoadCDCPipelineOfTheRepository(t *testing.T) {
	p, err := LoadCDCPipeline(context.Background(), cdcPipelineDir, lookupIn(demoEnv))
	if err != nil {
		t.Fatal(err)
	}
	if want := (CDCSourceInfo{Connector: "items-cdc-source", Database: "slkc_demo", Table: "items", Topic: "democdc.slkc_demo.items", PollInterval: 2 * time.Second}); p.Source != want {
		t.Errorf("source = %+v, want %+v", p.Source, want)
	}
	s := p.Sink
	if s.Connector != "items-cdc-mysql-sink" || s.Class != mysql.SinkClass || strings.Join(s.Topics, ",") != "democdc.slkc_demo.items" ||
		s.Group != "connect-items-cdc-mysql-sink" || s.Database != "slkc_demo" || s.Table != "items_replica" || s.DLQTopic != "democdc.items.dlq" {
		t.Errorf("sink = %+v", s)
	}
	if len(p.Connectors) != 2 {
		t.Errorf("connectors %v, want 2", p.Connectors)
	}
}

func TestLoadCDCPipelineErrors(t *testing.T) {
	source, sink := readFile(t, cdcPipelineDir, "items-cdc-source.json"), readFile(t, cdcPipelineDir, "items-cdc-mysql-sink.json")
	orders := readFile(t, pipelineDir, "orders-source.json")
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no sink", map[string]string{"a.json": source}, "want exactly one binlog source and one MySQL sink, found 1 and 0"},
		{"a JDBC source", map[string]string{"a.json": orders, "b.json": sink}, "is not part of the CDC demo"},
		{"a table pattern", map[string]string{"a.json": strings.Replace(source, `\\.items`, `\\.(items|other)`, 1), "b.json": sink},
			`the CDC demo captures exactly one table, written db\.table`},
		{"sink reads another topic", map[string]string{"a.json": source, "b.json": strings.Replace(sink, `"topics": "democdc.`, `"topics": "other.`, 1)},
			`reads [other.slkc_demo.items], want the source's topic "democdc.slkc_demo.items"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCDCPipeline(context.Background(), writeFiles(t, tc.files), lookupIn(demoEnv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestChangeOp(t *testing.T) {
	tests := []struct {
		name, value, want, err string
		null                   bool
	}{
		{name: "tombstone", null: true, want: OpTombstone},
		{name: "schema envelope", value: `{"schema":{"type":"struct"},"payload":{"before":null,"after":{"id":1},"op":"c"}}`, want: "c"},
		{name: "schemaless", value: `{"before":{"id":1},"after":null,"op":"d"}`, want: "d"},
		{name: "not JSON", value: `x`, err: "value is not JSON"},
		{name: "no op", value: `{"payload":{"id":1}}`, err: "value has no op field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v []byte
			if !tc.null {
				v = []byte(tc.value)
			}
			got, err := changeOp(v)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("changeOp = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestCDCSummaryOK(t *testing.T) {
	s := CDCScript{Seed: 2, Inserts: 1, Updated: 1, UpdatesEach: 3, Deletes: 1}
	exact := map[string]int{"r": 2, "c": 1, "u": 3, "d": 1, OpTombstone: 1}
	tests := []struct {
		name       string
		events     map[string]int
		mismatches string
		want       bool
	}{
		{"exact", exact, "", true},
		{"an update missing", map[string]int{"r": 2, "c": 1, "u": 2, "d": 1, OpTombstone: 1}, "", false},
		{"an extra op", map[string]int{"r": 2, "c": 1, "u": 3, "d": 1, OpTombstone: 1, "t": 1}, "", false},
		{"replica differs", exact, "source: 1 replica: ", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sum := CDCSummary{Script: s, Events: tc.events, Mismatches: tc.mismatches}
			if sum.OK() != tc.want {
				t.Fatalf("OK() = %v, want %v", sum.OK(), tc.want)
			}
			var b strings.Builder
			if err := sum.Render(&b); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), "MISMATCH") == tc.want {
				t.Errorf("summary %q: MISMATCH shown = %v, want %v", b.String(), !tc.want, !tc.want)
			}
		})
	}
}
