package binlog

import (
	"context"
	"strings"
	"testing"
)

// TestSignalDataRefused checks the execute-snapshot data this connector
// cannot carry out: each is refused with a reason (the signal is then
// logged and skipped), before any table is looked up.
func TestSignalDataRefused(t *testing.T) {
	cases := []struct{ name, data, want string }{
		{"not JSON", `{"data-collections": [`, "not JSON"},
		{"blocking snapshot", `{"data-collections": ["a\\.b"], "type": "blocking"}`, `"blocking": only incremental`},
		{"no collections", `{"type": "incremental"}`, "names no data-collections"},
		{"bad regular expression", `{"data-collections": ["a("]}`, "not a regular expression"},
	}
	s := &Source{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.signalTables(context.Background(), tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if !(&Config{SignalTable: "Shop.Signals"}).isSignalTable("shop", "signals") || (&Config{}).isSignalTable("shop", "signals") {
		t.Error("isSignalTable: names compare case-insensitively; no signal table matches nothing")
	}
}
