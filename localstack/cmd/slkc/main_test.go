package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCommands(t *testing.T) {
	var got []string
	var gotBody string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.RequestURI())
		gotBody = string(b)
		switch {
		case strings.Contains(r.URL.Path, "nope"):
			w.WriteHeader(404)
			_, _ = w.Write([]byte(`{"error_code":404,"message":"Connector nope not found"}`))
		case r.Method == "PUT":
			w.WriteHeader(202)
		default:
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "offsets.json")
	if err := os.WriteFile(file, []byte(`{"offsets":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		want   string
		code   int
		stdout string
	}{
		{"list", []string{"list"}, "GET /connectors?expand=status", 0, `"ok": true`},
		{"status", []string{"status", "a b"}, "GET /connectors/a%20b/status", 0, ""},
		{"pause", []string{"pause", "src"}, "PUT /connectors/src/pause", 0, "HTTP 202"},
		{"restart", []string{"restart", "-include-tasks", "src"}, "POST /connectors/src/restart?includeTasks=true&onlyFailed=false", 0, ""},
		{"offsets", []string{"offsets", "src"}, "GET /connectors/src/offsets", 0, ""},
		{"alter", []string{"offsets", "-alter", file, "src"}, "PATCH /connectors/src/offsets", 0, ""},
		{"reset", []string{"offsets", "-reset", "src"}, "DELETE /connectors/src/offsets", 0, ""},
		{"not found", []string{"status", "nope"}, "GET /connectors/nope/status", 1, ""},
		{"no name", []string{"pause"}, "", 1, ""},
		{"unknown", []string{"frobnicate", "x"}, "", 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = nil
			var out, errOut bytes.Buffer
			code := realMain(context.Background(), append([]string{"-url", srv.URL}, tc.args...), strings.NewReader(""), &out, &errOut)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, errOut.String())
			}
			if tc.want != "" && (len(got) != 1 || got[0] != tc.want) {
				t.Errorf("requests %v, want %q", got, tc.want)
			}
			if tc.want == "" && len(got) != 0 {
				t.Errorf("requests %v, want none", got)
			}
			if !strings.Contains(out.String(), tc.stdout) {
				t.Errorf("stdout %q, want %q", out.String(), tc.stdout)
			}
			if tc.name == "not found" && !strings.Contains(errOut.String(), "Connector nope not found") {
				t.Errorf("stderr %q, want Connect's message", errOut.String())
			}
			if tc.name == "alter" && gotBody != `{"offsets":[]}` {
				t.Errorf("PATCH body %q", gotBody)
			}
		})
	}
}

func TestIsFunctionURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://abcdef123.lambda-url.eu-west-1.on.aws/": "eu-west-1",
		"http://127.0.0.1:8083":                          "",
		"https://example.on.aws":                         "",
	} {
		u, _ := url.Parse(raw)
		if r, ok := isFunctionURL(u); r != want || ok != (want != "") {
			t.Errorf("isFunctionURL(%s) = %q %v, want %q", raw, r, ok, want)
		}
	}
}

// TestSignsFunctionURLRequests: requests to a function URL carry a SigV4
// Authorization header for the lambda service.
func TestSignsFunctionURLRequests(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		_, _ = w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	var out, errOut bytes.Buffer
	if code := realMain(context.Background(), []string{"-url", srv.URL, "-sigv4", "-region", "eu-west-1", "list"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") || !strings.Contains(auth, "/eu-west-1/lambda/aws4_request") {
		t.Errorf("Authorization = %q, want SigV4 for lambda in eu-west-1", auth)
	}
}
