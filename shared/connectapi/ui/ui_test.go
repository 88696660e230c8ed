package ui

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestNoInlineScriptOrHTMLSinks: the page keeps to what its CSP allows (no
// inline script or event handler attributes) and never writes HTML from
// data (no innerHTML, outerHTML, insertAdjacentHTML or document.write).
func TestNoInlineScriptOrHTMLSinks(t *testing.T) {
	html, err := fs.ReadFile(Files(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range regexp.MustCompile(`(?i)<script[^>]*>`).FindAll(html, -1) {
		if !strings.Contains(string(tag), " src=") {
			t.Errorf("index.html has an inline %s", tag)
		}
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
	} {
		if m := re.Find(html); m != nil {
			t.Errorf("index.html has %q, which the CSP would block", m)
		}
	}
	js, err := fs.ReadFile(Files(), "app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(string(js), sink) {
			t.Errorf("app.js uses %s", sink)
		}
	}
}

func TestCSPForbidsInlineScript(t *testing.T) {
	if !strings.Contains(CSP, "script-src 'self'") || strings.Contains(CSP, "unsafe-inline") || strings.Contains(CSP, "unsafe-eval") {
		t.Errorf("CSP %q", CSP)
	}
}
