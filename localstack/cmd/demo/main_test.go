package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRealMainFlags(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"help", []string{"-h"}, 0, "-rows"},
		{"help names the CDC variant", []string{"-h"}, 0, "-cdc"},
		{"unknown flag", []string{"-nope"}, 2, "flag provided but not defined: -nope"},
		{"bad duration", []string{"-timeout", "soon"}, 2, `invalid value "soon" for flag -timeout`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := realMain(context.Background(), tc.args, &out, &errOut); code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, errOut.String())
			}
			if !strings.Contains(errOut.String(), tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, errOut.String())
			}
		})
	}
}

func TestUnreachableMySQLFailsClearly(t *testing.T) {
	t.Setenv("SLKC_MYSQL_DSN", "slkc:slkc@tcp(127.0.0.1:1)/")
	var out, errOut bytes.Buffer
	if code := realMain(context.Background(), nil, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "127.0.0.1:1") || !strings.Contains(errOut.String(), "make local-up") {
		t.Errorf("message does not name the server and the fix:\n%s", errOut.String())
	}
}
