package browser

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestDetectsScriptsThatRun is the counter-test of the web UI's XSS test:
// the checks it relies on (a global flag, an open alert) do see a script
// that runs, and a screenshot is a PNG.
func TestDetectsScriptsThatRun(t *testing.T) {
	b := Start(t)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>t</title><p id="p">hello</p><img src="x" onerror="window.__xss=1">`)
	})
	mux.HandleFunc("/alert", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><title>t</title><script>alert("boom")</script>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	if err := b.Navigate(srv.URL + "/"); err != nil {
		t.Fatal(err)
	}
	if s, err := b.Text("#p"); err != nil || s != "hello" {
		t.Errorf("Text = %q, %v", s, err)
	}
	Wait(t, "the onerror handler to run", 5e9, func() (bool, error) {
		var v any
		err := b.Exec(&v, "return window.__xss === undefined ? null : window.__xss;")
		return v != nil, err
	})
	png, err := b.Screenshot()
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("Screenshot = %d bytes, %v; want a PNG", len(png), err)
	}
	if _, ok, err := b.AlertText(); ok || err != nil {
		t.Errorf("AlertText on a page without one = %v, %v", ok, err)
	}
	if err := b.Navigate(srv.URL + "/alert"); err != nil && !IsCode(err, "unexpected alert open") {
		t.Fatal(err)
	}
	if text, ok, err := b.AlertText(); !ok || err != nil || text != "boom" {
		t.Errorf("AlertText = %q, %v, %v; want the open alert", text, ok, err)
	}
}
