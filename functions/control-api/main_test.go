package main

import (
	"strings"
	"testing"
)

func TestParseEntries(t *testing.T) {
	for _, tc := range []struct {
		name, raw, wantErr string
		n                  int
	}{
		{"ok", `[{"name":"a","function":"fa"},{"name":"b","function":"fb","mappings":[{"uuid":"u-1","topic":"t","group":"g"}]}]`, "", 2},
		{"unset", ``, "is not set", 0},
		{"not json", `{`, "want a JSON array", 0},
		{"missing function", `[{"name":"a"}]`, "[0]: name and function are required", 0},
		{"mapping without group", `[{"name":"a","function":"f","mappings":[{"uuid":"u","topic":"t"}]}]`, "[0].mappings[0]: uuid, topic and group are required", 0},
		{"duplicate", `[{"name":"a","function":"f"},{"name":"a","function":"g"}]`, `[1]: connector "a" listed twice`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			es, err := parseEntries(tc.raw)
			if tc.wantErr == "" {
				if err != nil || len(es) != tc.n {
					t.Fatalf("parseEntries = %v, %v", es, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
