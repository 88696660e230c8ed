package emf

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

var at = time.UnixMilli(1700000000123)

func TestMarshalExactLine(t *testing.T) {
	tests := []struct {
		name string
		line Line
		want string
	}{
		{
			name: "one dimension, units, default namespace",
			line: Line{Timestamp: at, Dimensions: []Dimension{{"Connector", "orders"}},
				Metrics: []Metric{{"Records", UnitCount, 7}, {"DurationMs", UnitMilliseconds, 12.5}}},
			want: `{"Connector":"orders","DurationMs":12.5,"Records":7,"_aws":{"CloudWatchMetrics":[{"Dimensions":[["Connector"]],` +
				`"Metrics":[{"Name":"Records","Unit":"Count"},{"Name":"DurationMs","Unit":"Milliseconds"}],"Namespace":"ServerlessKafkaConnect"}],` +
				`"Timestamp":1700000000123}}` + "\n",
		},
		{
			name: "no dimensions, no unit, own namespace",
			line: Line{Namespace: "Other", Timestamp: at, Metrics: []Metric{{Name: "x", Value: 0}}},
			want: `{"_aws":{"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"x"}],"Namespace":"Other"}],"Timestamp":1700000000123},"x":0}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Marshal(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestLineFollowsSpec decodes a line the way CloudWatch reads it: every
// member a directive names must exist at the root, dimensions as strings and
// metrics as numbers.
func TestLineFollowsSpec(t *testing.T) {
	b, err := Marshal(Line{Timestamp: at, Dimensions: []Dimension{{"Connector", "c"}, {"Table", "t"}},
		Metrics: []Metric{{"A", UnitCount, 1}, {"B", UnitCount, 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(b, []byte("\n")) != 1 || b[len(b)-1] != '\n' {
		t.Fatalf("line %q is not exactly one line", b)
	}
	var root map[string]json.RawMessage
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Timestamp         int64
		CloudWatchMetrics []struct {
			Namespace  string
			Dimensions [][]string
			Metrics    []struct{ Name, Unit string }
		}
	}
	dec := json.NewDecoder(bytes.NewReader(root["_aws"]))
	dec.DisallowUnknownFields() // the spec forbids extra members in _aws
	if err := dec.Decode(&meta); err != nil {
		t.Fatal(err)
	}
	if meta.Timestamp != at.UnixMilli() || len(meta.CloudWatchMetrics) != 1 {
		t.Fatalf("_aws = %+v", meta)
	}
	d := meta.CloudWatchMetrics[0]
	for _, set := range d.Dimensions {
		for _, name := range set {
			var s string
			if err := json.Unmarshal(root[name], &s); err != nil {
				t.Errorf("dimension %q = %s, want a string member: %v", name, root[name], err)
			}
		}
	}
	for _, m := range d.Metrics {
		var f float64
		if err := json.Unmarshal(root[m.Name], &f); err != nil {
			t.Errorf("metric %q = %s, want a number member: %v", m.Name, root[m.Name], err)
		}
	}
	if len(d.Dimensions) != 1 || strings.Join(d.Dimensions[0], ",") != "Connector,Table" {
		t.Errorf("dimension sets = %v, want one set [Connector Table] in order", d.Dimensions)
	}
}

func TestMarshalRejects(t *testing.T) {
	m := []Metric{{"A", UnitCount, 1}}
	tests := []struct {
		name string
		line Line
		want string
	}{
		{name: "no metrics", line: Line{Timestamp: at}, want: "no metrics"},
		{name: "no timestamp", line: Line{Metrics: m}, want: "no timestamp"},
		{name: "empty metric name", line: Line{Timestamp: at, Metrics: []Metric{{Value: 1}}}, want: "empty name"},
		{name: "dimension and metric share a name", line: Line{Timestamp: at, Dimensions: []Dimension{{"A", "x"}}, Metrics: m}, want: `metric "A"`},
		{name: "metric named _aws", line: Line{Timestamp: at, Metrics: []Metric{{Name: "_aws"}}}, want: `"_aws"`},
		{name: "NaN", line: Line{Timestamp: at, Metrics: []Metric{{Name: "A", Value: math.NaN()}}}, want: "finite"},
		{name: "infinity", line: Line{Timestamp: at, Metrics: []Metric{{Name: "A", Value: math.Inf(1)}}}, want: "finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Write(&buf, tt.line)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Write() = %v, want an error containing %q", err, tt.want)
			}
			if buf.Len() != 0 {
				t.Errorf("Write() wrote %q on error", buf.String())
			}
		})
	}
}

type failWriter struct{ writes int }

func (f *failWriter) Write([]byte) (int, error) { f.writes++; return 0, errors.New("disk full") }

func TestWriteOneCallAndError(t *testing.T) {
	w := &failWriter{}
	err := Write(w, Line{Timestamp: at, Metrics: []Metric{{"A", UnitCount, 1}}})
	if err == nil || !strings.Contains(err.Error(), "disk full") || w.writes != 1 {
		t.Errorf("Write() = %v after %d writes, want the writer's error after one write", err, w.writes)
	}
}
