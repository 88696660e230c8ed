package connectapi

import (
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/emf"
)

func TestEMFMetricsFromRunnerOutput(t *testing.T) {
	now := time.Date(2026, 1, 2, 10, 30, 20, 0, time.UTC)
	m := &EMFMetrics{Now: func() time.Time { return now }}
	line := func(at time.Time, connector string, metrics ...emf.Metric) string {
		b, err := emf.Marshal(emf.Line{Timestamp: at, Dimensions: []emf.Dimension{{Name: "Connector", Value: connector}}, Metrics: metrics})
		if err != nil {
			t.Fatal(err)
		}
		return "[orders-sink] [req-1] " + string(b)
	}
	out := strings.Join([]string{
		line(now.Add(-10*time.Second), "orders-sink", emf.Metric{Name: "RecordsWritten", Value: 5}, emf.Metric{Name: "BatchSize", Value: 5}),
		line(now.Add(-20*time.Second), "orders-sink", emf.Metric{Name: "RecordsWritten", Value: 3}, emf.Metric{Name: "RecordsDeadLettered", Value: 1}),
		line(now.Add(-3*time.Minute), "orders-sink", emf.Metric{Name: "RecordsWritten", Value: 7}),
		line(now.Add(-2*time.Hour), "orders-sink", emf.Metric{Name: "RecordsWritten", Value: 100}),
		line(now, "other", emf.Metric{Name: "Records", Value: 9}),
		"[orders-sink] [req-1] {\"level\":\"INFO\",\"msg\":\"a log line, not metrics\"}\n",
		"START RequestId: req-2\n",
	}, "")
	// The output arrives in pieces that split lines.
	for len(out) > 0 {
		n := min(37, len(out))
		if k, err := m.Write([]byte(out[:n])); k != n || err != nil {
			t.Fatalf("Write = %d, %v", k, err)
		}
		out = out[n:]
	}
	b := m.Body("orders-sink")
	if b.Step != 60_000 || b.Start != (now.Unix()/60-59)*60_000 {
		t.Errorf("start %d step %d", b.Start, b.Step)
	}
	got := map[string][]float64{}
	for _, s := range b.Series {
		got[s.Name] = s.Points
	}
	if len(got) != 2 || got["BatchSize"] != nil {
		t.Fatalf("series %v, want RecordsWritten and RecordsDeadLettered only", got)
	}
	w := got["RecordsWritten"]
	if len(w) != 60 || w[59] != 8 || w[56] != 7 || sum(w) != 15 {
		t.Errorf("RecordsWritten = %v, want 8 in the last minute, 7 three minutes ago, nothing older than an hour", w)
	}
	if d := got["RecordsDeadLettered"]; d[59] != 1 {
		t.Errorf("RecordsDeadLettered = %v", d)
	}
	if o := m.Body("other"); len(o.Series) != 1 || o.Series[0].Name != "Records" || o.Series[0].Points[59] != 9 {
		t.Errorf("other connector = %+v", o)
	}
}

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}
