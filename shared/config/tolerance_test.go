package config

import (
	"strings"
	"testing"
)

// TestToleranceNoneRefusesLimits: with errors.tolerance=none a sink may not
// set a retry limit or a record age, which would let the event source
// mapping skip the failing record; with all it may.
func TestToleranceNoneRefusesLimits(t *testing.T) {
	base := map[string]string{"name": "s", "connector.class": "io.slkc.connect.mysql.MySqlSinkConnector", "topics": "t", "bootstrap.servers": "b:9092"}
	cases := []struct {
		name   string
		props  map[string]string
		errHas []string
	}{
		{"none, defaults", map[string]string{}, nil},
		{"none, retry limit", map[string]string{KeyLambdaMaxRetryAttempts: "10"},
			[]string{KeyLambdaMaxRetryAttempts, "errors.tolerance=none must be -1"}},
		{"none explicit, record age", map[string]string{KeyErrorsTolerance: "none", KeyLambdaMaxRecordAge: "3600"},
			[]string{KeyLambdaMaxRecordAge, "must be -1"}},
		{"all, limits allowed", map[string]string{KeyErrorsTolerance: "all", KeyLambdaMaxRetryAttempts: "10", KeyLambdaMaxRecordAge: "3600"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			props := map[string]string{}
			for k, v := range base {
				props[k] = v
			}
			for k, v := range tc.props {
				props[k] = v
			}
			_, err := FrameworkDef(Sink).Parse(props)
			if len(tc.errHas) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestNeedsOnFailureDestination(t *testing.T) {
	cases := []struct {
		tolerance   string
		retries     int
		age         int
		destination bool
	}{
		{ToleranceNone, -1, -1, false},
		{ToleranceAll, -1, -1, false}, // a destination would cap retries at 10
		{ToleranceAll, 5, -1, true},
		{ToleranceAll, -1, 600, true},
	}
	for _, tc := range cases {
		if got := NeedsOnFailureDestination(tc.tolerance, tc.retries, tc.age); got != tc.destination {
			t.Errorf("NeedsOnFailureDestination(%s, %d, %d) = %v, want %v", tc.tolerance, tc.retries, tc.age, got, tc.destination)
		}
	}
}
