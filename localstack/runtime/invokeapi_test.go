package runtime

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestInvokeAPIPayloadChecks checks what the Invoke API does with a body,
// with and without a Content-Length: JSON up to 6 MB is invoked, anything
// else is refused with Lambda's error type before the function sees it.
func TestInvokeAPIPayloadChecks(t *testing.T) {
	r, _ := startRunner(t, echoSpec("echo"))
	big := `{"pad":"` + strings.Repeat("a", MaxPayloadBytes-10) + `"}` // exactly 6 MB, a field echo ignores
	tests := []struct {
		name       string
		body       string
		chunked    bool // no Content-Length
		wantStatus int
		wantType   string
	}{
		{"small JSON", `{"echo":1}`, false, http.StatusOK, ""},
		{"6 MB JSON", big, false, http.StatusOK, ""},
		{"6 MB JSON chunked", big, true, http.StatusOK, ""},
		{"not JSON", `{"echo":`, false, http.StatusBadRequest, "InvalidRequestContentException"},
		{"one byte over 6 MB", big + " ", false, http.StatusRequestEntityTooLarge, "RequestTooLargeException"},
		{"one byte over 6 MB chunked", big + " ", true, http.StatusRequestEntityTooLarge, "RequestTooLargeException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, err := http.NewRequest(http.MethodPost, r.URL()+"/2015-03-31/functions/echo/invocations", body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || resp.Header.Get("X-Amzn-ErrorType") != tc.wantType {
				t.Fatalf("status %d, error type %q (%.200s); want %d, %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), out, tc.wantStatus, tc.wantType)
			}
			if tc.wantStatus == http.StatusOK && !bytes.Contains(out, []byte(`"echo":`)) {
				t.Errorf("response %.200s, want the echo function's answer", out)
			}
		})
	}
}
