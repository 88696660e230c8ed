package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/serverless-kafka-connect/slkc/shared/connectapi/ui"
)

// verifySigV4 recomputes the request's SigV4 signature for the lambda
// service from the headers it names as signed, as the function URL's IAM
// auth does, and compares.
func verifySigV4(r *http.Request, body []byte, key, secret, region string) error {
	auth := r.Header.Get("Authorization")
	m := regexp.MustCompile(`SignedHeaders=([^,]+)`).FindStringSubmatch(auth)
	if m == nil {
		return fmt.Errorf("Authorization %q names no signed headers", auth)
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return fmt.Errorf("X-Amz-Date: %w", err)
	}
	re, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range strings.Split(m[1], ";") {
		if h != "host" {
			re.Header.Set(h, r.Header.Get(h))
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, re,
		hex.EncodeToString(sum[:]), "lambda", region, when); err != nil {
		return err
	}
	if got := re.Header.Get("Authorization"); got != auth {
		return fmt.Errorf("signature mismatch:\n got  %s\n want %s", auth, got)
	}
	return nil
}

// TestUIProxySignsEveryRequest runs `slkc ui` against a stand-in for the
// control-api function URL that checks each request's SigV4 signature:
// the page and API calls come through signed, with the API's headers (the
// CSP) intact; cross-site requests and foreign Host names stop at the proxy.
func TestUIProxySignsEveryRequest(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "")
	var mu sync.Mutex
	var seen []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := verifySigV4(r, body, "AKIDEXAMPLE", "secret", "eu-west-1"); err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+string(body))
		mu.Unlock()
		if strings.HasPrefix(r.URL.Path, "/ui/") {
			ui.Handler().ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
	}))
	defer upstream.Close()

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- realMain(ctx, []string{"-url", upstream.URL, "-sigv4", "-region", "eu-west-1", "ui", "-listen", "127.0.0.1:0"}, nil, pw, io.Discard)
		_ = pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("slkc ui printed nothing: %v", err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base := regexp.MustCompile(`http://[^ ]+/ui/`).FindString(line)
	if base == "" {
		t.Fatalf("slkc ui said %q, want the page's URL", line)
	}
	base = strings.TrimSuffix(base, "/ui/")

	res, err := http.Get(base + "/ui/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !bytes.Contains(page, []byte(`<script src="app.js"`)) || res.Header.Get("Content-Security-Policy") != ui.CSP {
		t.Errorf("GET /ui/ through the proxy = %d, CSP %q, %.200s", res.StatusCode, res.Header.Get("Content-Security-Policy"), page)
	}
	send := func(method, path, body string, h map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if h["Host"] != "" {
			req.Host = h["Host"]
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if code := send("PATCH", "/connectors/snk/offsets?x=1", `{"offsets":[]}`, map[string]string{"Content-Type": "application/json", "Origin": base}); code != http.StatusAccepted {
		t.Errorf("PATCH through the proxy = %d, want the API's 202", code)
	}
	if code := send("POST", "/connectors/snk/restart", "", map[string]string{"Sec-Fetch-Site": "cross-site"}); code != http.StatusForbidden {
		t.Errorf("cross-site POST = %d, want 403", code)
	}
	if code := send("GET", "/connectors", "", map[string]string{"Host": "evil.example"}); code != http.StatusForbidden {
		t.Errorf("GET with a foreign Host = %d, want 403", code)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("slkc ui exit %d after cancel", code)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(seen, "\n"); got != "GET /ui/ \nPATCH /connectors/snk/offsets?x=1 {\"offsets\":[]}" {
		t.Errorf("the API saw:\n%s\nwant the page and the PATCH only, each validly signed", got)
	}
}

func TestUIProxyListensOnLoopbackOnly(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := realMain(context.Background(), []string{"-url", "http://127.0.0.1:1", "ui", "-listen", "0.0.0.0:8084"}, nil, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "loopback only") {
		t.Errorf("ui -listen 0.0.0.0 = exit %d, %s", code, errOut.String())
	}
}
