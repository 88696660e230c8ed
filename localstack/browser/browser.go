// Package browser drives Debian's headless Chromium for tests through
// chromedriver's W3C WebDriver API: plain HTTP and JSON on loopback, so
// no Go dependency is needed. browser.sh installs chromium and
// chromium-driver from Debian's packages (once; nothing is downloaded
// otherwise).
//
// Start launches chromedriver and one headless session per test; the
// session and the driver are ended at the test's cleanup.
package browser

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// Args are Chromium's flags: headless, no sandbox (tests run as root), and
// nothing that reaches the network on its own.
var Args = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage",
	"--window-size=1280,1000",
}

var (
	installOnce            sync.Once
	chromiumBin, driverBin string
	installErr             error
)

func dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// Install runs browser.sh once per test binary and returns the chromium
// and chromedriver paths.
func Install() (chromium, driver string, err error) {
	installOnce.Do(func() {
		var stderr bytes.Buffer
		cmd := exec.Command("bash", filepath.Join(dir(), "browser.sh"))
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			installErr = fmt.Errorf("browser: browser.sh: %w\n%s", err, stderr.String())
			return
		}
		f := strings.Fields(string(out))
		if len(f) != 2 {
			installErr = fmt.Errorf("browser: browser.sh printed %q, want two paths", out)
			return
		}
		chromiumBin, driverBin = f[0], f[1]
	})
	return chromiumBin, driverBin, installErr
}

// Browser is one WebDriver session.
type Browser struct {
	base    string // chromedriver's URL
	session string
	driver  *exec.Cmd
	client  *http.Client
}

// Start installs the browser if needed (see Install), starts chromedriver
// on a free loopback port and opens a headless Chromium session with a
// fresh profile. It skips under -short and fails the test when anything is
// missing: a browser test never passes without a browser.
func Start(t testing.TB) *Browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser: needs chromium; skipped under -short")
	}
	chromium, driver, err := Install()
	if err != nil {
		if testenv.InCI() {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("%v (run localstack/browser/browser.sh as root to install Debian's chromium and chromium-driver)", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	logPath := filepath.Join(t.TempDir(), "chromedriver.log")
	cmd := exec.Command(driver, fmt.Sprintf("--port=%d", port), "--allowed-ips=127.0.0.1", "--log-path="+logPath)
	if err := cmd.Start(); err != nil {
		t.Fatalf("browser: start chromedriver: %v", err)
	}
	b := &Browser{base: fmt.Sprintf("http://127.0.0.1:%d", port), driver: cmd, client: &http.Client{Timeout: 60 * time.Second}}
	t.Cleanup(func() { b.close(t) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		if err := b.call("GET", "/status", nil, &st); err == nil && st.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("browser: chromedriver not ready on %s; log:\n%s", b.base, tail(logPath))
		}
		time.Sleep(100 * time.Millisecond)
	}
	args := append(append([]string{}, Args...), "--user-data-dir="+t.TempDir())
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		// An alert the page opened stays open, so a test can see it.
		"unhandledPromptBehavior": "ignore",
		"goog:chromeOptions":      map[string]any{"binary": chromium, "args": args},
	}}}
	var sess struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("POST", "/session", caps, &sess); err != nil {
		t.Fatalf("browser: new session: %v; log:\n%s", err, tail(logPath))
	}
	b.session = sess.SessionID
	return b
}

func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func (b *Browser) close(t testing.TB) {
	if b.session != "" {
		if err := b.call("DELETE", "/session/"+b.session, nil, nil); err != nil {
			t.Logf("browser: end session: %v", err)
		}
	}
	_ = b.driver.Process.Kill()
	_ = b.driver.Wait()
}

// Error is a WebDriver error response.
type Error struct {
	Status  int
	Code    string // "no such element", "no such alert", ...
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("webdriver %d %s: %s", e.Status, e.Code, e.Message)
}

// IsCode reports whether err is a WebDriver error with that code.
func IsCode(err error, code string) bool {
	var we *Error
	return errors.As(err, &we) && we.Code == code
}

// call sends one command; out receives the response's "value".
func (b *Browser) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("browser: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return fmt.Errorf("browser: %s %s: %w", method, path, err)
	}
	var doc struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("browser: %s %s: answer %q: %w", method, path, raw, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(doc.Value, &e)
		return &Error{Status: res.StatusCode, Code: e.Error, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(doc.Value, out); err != nil {
		return fmt.Errorf("browser: %s %s: value %s: %w", method, path, doc.Value, err)
	}
	return nil
}

func (b *Browser) sess(path string) string { return "/session/" + b.session + path }

// Navigate loads url and waits for the document to load.
func (b *Browser) Navigate(url string) error {
	return b.call("POST", b.sess("/url"), map[string]string{"url": url}, nil)
}

// Exec runs script (a function body; arguments in `arguments`) in the page
// and decodes its return value into out (nil: ignored).
func (b *Browser) Exec(out any, script string, args ...any) error {
	if args == nil {
		args = []any{}
	}
	return b.call("POST", b.sess("/execute/sync"), map[string]any{"script": script, "args": args}, out)
}

// elementKey is the W3C web element identifier's key.
const elementKey = "element-6066-11e4-a52e-4f735466cecf"

// find returns the id of the first element matching the CSS selector.
func (b *Browser) find(css string) (string, error) {
	var el map[string]string
	if err := b.call("POST", b.sess("/element"), map[string]string{"using": "css selector", "value": css}, &el); err != nil {
		return "", fmt.Errorf("find %q: %w", css, err)
	}
	id := el[elementKey]
	if id == "" {
		return "", fmt.Errorf("find %q: answer %v has no %s", css, el, elementKey)
	}
	return id, nil
}

// Click clicks the element matching css as a user would (WebDriver's
// element click: scrolled into view, refused when something covers it).
// An element the page replaced between finding and clicking it is found
// again, a few times.
func (b *Browser) Click(css string) error {
	var err error
	for range 5 {
		var id string
		if id, err = b.find(css); err != nil {
			return err
		}
		err = b.call("POST", b.sess("/element/"+id+"/click"), map[string]any{}, nil)
		if !IsCode(err, "stale element reference") {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("click %q: %w", css, err)
	}
	return nil
}

// TextContent returns the textContent of the first element matching css,
// read in one script run (so a page that re-renders cannot make it
// stale); ok is false when nothing matches.
func (b *Browser) TextContent(css string) (text string, ok bool, err error) {
	var v *string
	if err := b.Exec(&v, `const e = document.querySelector(arguments[0]); return e ? e.textContent : null;`, css); err != nil {
		return "", false, err
	}
	if v == nil {
		return "", false, nil
	}
	return *v, true, nil
}

// Text returns the rendered text of the element matching css.
func (b *Browser) Text(css string) (string, error) {
	id, err := b.find(css)
	if err != nil {
		return "", err
	}
	var s string
	if err := b.call("GET", b.sess("/element/"+id+"/text"), nil, &s); err != nil {
		return "", fmt.Errorf("text of %q: %w", css, err)
	}
	return s, nil
}

// AlertText returns the text of an open alert, confirm or prompt; ok is
// false when none is open.
func (b *Browser) AlertText() (text string, ok bool, err error) {
	err = b.call("GET", b.sess("/alert/text"), nil, &text)
	if IsCode(err, "no such alert") {
		return "", false, nil
	}
	return text, err == nil, err
}

// Screenshot returns a PNG of the viewport.
func (b *Browser) Screenshot() ([]byte, error) {
	var s string
	if err := b.call("GET", b.sess("/screenshot"), nil, &s); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(s)
}

// Wait polls cond every 200 ms until it holds, fails or timeout passes.
func Wait(t testing.TB, what string, timeout time.Duration, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok && err == nil {
			return
		}
		lastErr = err
		if time.Now().After(deadline) {
			t.Fatalf("browser: timed out after %s waiting for %s (last error: %v)", timeout, what, lastErr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
