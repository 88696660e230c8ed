package connectapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// fakeGroups answers committed offsets and end offsets from maps.
type fakeGroups struct {
	Groups
	committed map[TopicPartition]int64
	ends      map[TopicPartition]int64
}

func (f fakeGroups) Committed(ctx context.Context, group string, topics []string) (map[TopicPartition]int64, error) {
	return f.committed, nil
}

func (f fakeGroups) Ends(ctx context.Context, topics []string) (map[TopicPartition]int64, error) {
	return f.ends, nil
}

// fakeRecords serves a topic of n records per partition.
type fakeRecords struct {
	ranges []PartitionRange
	reads  []int64
}

func (f *fakeRecords) Ranges(ctx context.Context, topic string) ([]PartitionRange, error) {
	return f.ranges, nil
}

func (f *fakeRecords) Read(ctx context.Context, topic string, p int32, offset int64, limit int) ([]TopicRecord, error) {
	f.reads = append(f.reads, offset, int64(limit))
	out := []TopicRecord{}
	for i := 0; i < limit; i++ {
		out = append(out, TopicRecord{Partition: p, Offset: offset + int64(i), Value: bytesOf([]byte("<b>x</b>")),
			Headers: []Header{{Key: "__connect.errors.topic", Value: bytesOf([]byte("orders"))}}})
	}
	return out, nil
}

type fakeOffsets struct {
	SourceOffsets
	list state.PartitionOffsets
}

func (f fakeOffsets) List(ctx context.Context, c string) (state.PartitionOffsets, error) {
	return f.list, nil
}

type fakeHeads struct{ h Head }

func (f fakeHeads) Head(ctx context.Context, c Connector, p connectors.Partition) (Head, error) {
	return f.h, nil
}

func get(t *testing.T, s *Server, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

func TestSinkLag(t *testing.T) {
	s, _, _ := newTestServer(t)
	s.Groups = fakeGroups{
		committed: map[TopicPartition]int64{{"t1", 0}: 7},
		ends:      map[TopicPartition]int64{{"t1", 0}: 10, {"t1", 1}: 4},
	}
	code, body := get(t, s, "/connectors/snk/lag")
	var lag LagBody
	if err := json.Unmarshal([]byte(body), &lag); code != 200 || err != nil {
		t.Fatalf("lag = %d %s", code, body)
	}
	if lag.Total != 7 || len(lag.Sink) != 2 || lag.Sink[0].Lag != 3 || lag.Sink[1].Committed != -1 || lag.Sink[1].Lag != 4 {
		t.Errorf("lag = %+v, want p0 3 behind, p1 uncommitted 4 behind, total 7", lag)
	}
}

func TestSourceLagBehind(t *testing.T) {
	s, _, _ := newTestServer(t)
	src, err := FromFile(&config.File{Name: "src", Config: map[string]string{"connector.class": mysql.SourceClass, "table.whitelist": "orders"}}, "src-fn")
	if err != nil {
		t.Fatal(err)
	}
	s.Connectors["src"] = src
	s.Offsets = fakeOffsets{list: state.PartitionOffsets{{
		Partition: connectors.Partition{"protocol": "1", "table": "db.orders"},
		Offset:    state.Offset{Position: connectors.Position(`{"incrementing":40,"timestamp":1000}`)},
	}}}
	inc, ts := int64(42), int64(1500)
	for _, tc := range []struct {
		name  string
		heads Heads
		want  string
	}{
		{"head read", fakeHeads{Head{Incrementing: &inc, Timestamp: &ts}}, `"behind":{"incrementing":2,"timestamp":500}`},
		{"no head reader", nil, `"head_error":"this control plane does not read source tables"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.Heads = tc.heads
			code, body := get(t, s, "/connectors/src/lag")
			if code != 200 || !strings.Contains(body, tc.want) {
				t.Errorf("lag = %d %s, want %s", code, body, tc.want)
			}
		})
	}
}

func TestDLQPage(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.Connectors["snk"]
	c.Config[config.KeyDLQTopic] = "snk.dlq"
	s.Connectors["snk"] = c
	recs := &fakeRecords{ranges: []PartitionRange{{Partition: 0, Start: 5, End: 8}}}
	s.Records = recs
	for _, tc := range []struct {
		name, query string
		code        int
		want        string
	}{
		{"first page from the start", "", 200, `"offset":5,"next":8`},
		{"offset before start is clamped", "?offset=0&limit=2", 200, `"offset":5,"next":7`},
		{"past the end reads nothing", "?offset=8", 200, `"records":[]`},
		{"unknown partition", "?partition=3", 400, "topic snk.dlq has 1 partition(s)"},
		{"bad limit", "?limit=0", 400, "limit=\\\"0\\\": want an integer from 1 to 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, s, "/connectors/snk/dlq"+tc.query)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("dlq%s = %d %s, want %d with %s", tc.query, code, body, tc.code, tc.want)
			}
		})
	}
	// Record content is passed through as text, for the page to show with
	// textContent.
	_, body := get(t, s, "/connectors/snk/dlq?limit=1")
	if !strings.Contains(body, `"value":{"text":"\u003cb\u003ex\u003c/b\u003e"}`) {
		t.Errorf("dlq body = %s, want the value as JSON-escaped text", body)
	}
	s.Records = nil
	if code, _ := get(t, s, "/connectors/snk/dlq"); code != http.StatusNotImplemented {
		t.Errorf("dlq without a reader = %d, want 501", code)
	}
	// A reference is not resolved by the control plane, so it is refused by
	// name (and the CDK app grants the control API no read on it).
	s.Records = recs
	c.Config[config.KeyDLQTopic] = "${env:SLKC_DLQ}"
	if code, body := get(t, s, "/connectors/snk/dlq"); code != http.StatusNotImplemented || !strings.Contains(body, "${env:SLKC_DLQ}") {
		t.Errorf("dlq of a reference = %d %s, want 501 naming it", code, body)
	}
}

func TestBytesOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want Bytes
	}{
		{"null", nil, Bytes{Null: true}},
		{"text", []byte("héllo"), Bytes{Text: "héllo"}},
		{"binary", []byte{0xff, 0x00}, Bytes{Text: "/wA=", Base64: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := bytesOf(tc.in); got != tc.want {
				t.Errorf("bytesOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestUIServedWithCSP: the page comes with a CSP that allows no inline
// script, and GET /ui redirects to it.
func TestUIServedWithCSP(t *testing.T) {
	s, _, _ := newTestServer(t)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `<script src="app.js"`) {
		t.Fatalf("GET /ui/ = %d %.200s", rec.Code, rec.Body)
	}
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
		t.Errorf("CSP = %q, want script-src 'self' and nothing unsafe", csp)
	}
	if code, _ := get(t, s, "/ui/app.js"); code != 200 {
		t.Errorf("GET /ui/app.js = %d", code)
	}
	if code, _ := get(t, s, "/ui"); code != http.StatusMovedPermanently {
		t.Errorf("GET /ui = %d, want a redirect", code)
	}
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	s, targets, _ := newTestServer(t)
	s.Principal = nil
	for _, tc := range []struct {
		name    string
		method  string
		headers map[string]string
		code    int
	}{
		{"no browser headers (CLI clients)", "PUT", nil, http.StatusAccepted},
		{"same origin", "PUT", map[string]string{"Origin": "http://example.test", "Sec-Fetch-Site": "same-origin"}, http.StatusAccepted},
		{"other origin", "PUT", map[string]string{"Origin": "http://evil.test"}, http.StatusForbidden},
		{"cross-site form post", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"cross-site read", "GET", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/connectors/snk/pause"
			if tc.method != "PUT" {
				path = "/connectors/snk/status"
				if tc.method == "POST" {
					path = "/connectors/snk/restart"
				}
			}
			req := httptest.NewRequest(tc.method, "http://example.test"+path, nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			targets.m = map[string]state.TargetState{}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.code {
				t.Errorf("%s %s = %d %s, want %d", tc.method, path, rec.Code, rec.Body, tc.code)
			}
			if tc.code == http.StatusForbidden && len(targets.m) != 0 {
				t.Errorf("a refused request changed the target: %v", targets.m)
			}
		})
	}
}

// TestUIThroughFunctionURL: on AWS the page comes through the same IAM
// check as the API; an unsigned request gets nothing.
func TestUIThroughFunctionURL(t *testing.T) {
	s, _, _ := newTestServer(t)
	h := FunctionURLHandler(s.Handler())
	res, err := h(context.Background(), urlEvent("GET", "/ui/", "arn:aws:iam::123456789012:role/ops"))
	if err != nil || res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `<script src="app.js"`) ||
		!strings.Contains(res.Headers["Content-Security-Policy"], "script-src 'self'") {
		t.Errorf("signed GET /ui/ = %d %v %.100s, %v", res.StatusCode, res.Headers, res.Body, err)
	}
	res, _ = h(context.Background(), urlEvent("GET", "/ui/app.js", ""))
	if res.StatusCode != http.StatusForbidden || strings.Contains(res.Body, "textContent") {
		t.Errorf("unsigned GET /ui/app.js = %d %.100s, want 403", res.StatusCode, res.Body)
	}
}

func TestLoopbackHost(t *testing.T) {
	h := LoopbackHost(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for host, want := range map[string]int{
		"127.0.0.1:8083": http.StatusNoContent, "localhost:8083": http.StatusNoContent, "[::1]:8083": http.StatusNoContent,
		"evil.example:8083": http.StatusForbidden, "10.0.0.1:8083": http.StatusForbidden,
	} {
		req := httptest.NewRequest("GET", "/connectors", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("Host %s = %d, want %d", host, rec.Code, want)
		}
	}
}
