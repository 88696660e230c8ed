// Package ui is the control plane's web page: plain HTML, CSS and
// JavaScript embedded in the binary and served under /ui/ by the same
// server as the Kafka Connect REST API, so it needs nothing from the
// internet and every action it takes is an API call with the same
// authentication (loopback only locally; AWS_IAM on the function URL).
//
// The page renders every value it shows with textContent, never as HTML:
// dead letter queue records are attacker-controlled text. The Content
// Security Policy allows scripts and styles from the page's own origin
// only (no inline script, no eval), so even markup that slipped into the
// document could not run.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every UI response.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Files returns the page's files (index.html, app.js, app.css).
func Files() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder exists: a build-time fact
	}
	return sub
}

// Handler serves the page under /ui/ with the security headers.
func Handler() http.Handler {
	files := http.StripPrefix("/ui/", http.FileServerFS(Files()))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
