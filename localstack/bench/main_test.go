package main

import (
	"strings"
	"testing"
)

// TestParseOnly checks the parts -only runs alone and that any other value
// is refused naming the allowed ones.
func TestParseOnly(t *testing.T) {
	tests := []struct {
		name, only string
		wantErr    bool
	}{
		{"everything", "", false},
		{"bridge", "bridge", false},
		{"e2e", "e2e", false},
		{"unknown part", "sink", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags([]string{"-only", tc.only})
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), `"e2e"`) || !strings.Contains(err.Error(), tc.only) {
					t.Fatalf("-only %q: error %v, want one naming the value and the allowed parts", tc.only, err)
				}
				return
			}
			if err != nil || o.Only != tc.only {
				t.Fatalf("-only %q: %v, Only=%q", tc.only, err, o.Only)
			}
		})
	}
}
