package emf

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseRoundTrip(t *testing.T) {
	l := Line{Namespace: "NS", Timestamp: time.UnixMilli(1700000000123),
		Dimensions: []Dimension{{"Connector", "orders"}},
		Metrics:    []Metric{{"Records", UnitCount, 42}, {"DurationMs", UnitMilliseconds, 7}}}
	b, err := Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	// Marshal sorts members but keeps the directive's order.
	if !reflect.DeepEqual(got, l) {
		t.Errorf("Parse(Marshal(l)) = %+v, want %+v", got, l)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"not JSON", `level=info msg=x`, "not a JSON object"},
		{"a log line", `{"level":"INFO","msg":"x"}`, "no _aws member"},
		{"no timestamp", `{"_aws":{"CloudWatchMetrics":[{"Metrics":[{"Name":"A"}]}]},"A":1}`, "needs Timestamp"},
		{"missing metric", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"A"}]}]}}`, `metric "A"`},
		{"numeric dimension", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[["D"]],"Metrics":[{"Name":"A"}]}]},"D":1,"A":1}`, `dimension "D"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Parse([]byte(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse = %v, want an error with %q", err, tc.want)
			}
		})
	}
	l, err := Parse([]byte(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":[1,2,3]}`))
	if err != nil || l.Metrics[0].Value != 6 {
		t.Errorf("array metric = %+v, %v; want the sum 6", l, err)
	}
}
