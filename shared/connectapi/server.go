package connectapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connectapi/ui"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Version is what GET / reports as the Connect version whose REST API this
// package serves (KIP-875 offsets and the STOPPED state included).
const Version = "4.1.0"

// Statuses reads status items; *state.StatusStore satisfies it.
type Statuses interface {
	Get(ctx context.Context, connector string) ([]state.Status, error)
	Put(ctx context.Context, st state.Status) error
}

// Targets reads and writes target states; *state.TargetStore satisfies it.
type Targets interface {
	Get(ctx context.Context, connector string) (state.TargetState, error)
	Set(ctx context.Context, connector, st, action, by string) (state.TargetState, error)
	Record(ctx context.Context, connector, action, by, detail string) error
}

// SourceOffsets reads and writes source offsets; *state.OffsetStore
// satisfies it.
type SourceOffsets interface {
	List(ctx context.Context, connector string) (state.PartitionOffsets, error)
	Get(ctx context.Context, connector string, p connectors.Partition) (state.Offset, error)
	// Commit writes pos conditional on prevVersion and, in the same
	// transaction, on lease still being held (see state.OffsetStore.Commit).
	Commit(ctx context.Context, lease state.Lease, p connectors.Partition, pos connectors.Position, prevVersion int64) (int64, error)
}

// Leases takes a source's lease so an offsets change never races a poller;
// *state.LeaseStore satisfies it.
type Leases interface {
	Acquire(ctx context.Context, connector, owner string, ttl time.Duration) (state.Lease, error)
	Release(ctx context.Context, lease state.Lease) error
}

// TopicPartition names one partition of a sink's topics.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// Groups reads and changes sinks' consumer groups (KafkaGroups over kadm).
type Groups interface {
	// ClusterID is the Kafka cluster id shown by GET /.
	ClusterID(ctx context.Context) (string, error)
	// Committed returns the group's committed offsets on topics.
	Committed(ctx context.Context, group string, topics []string) (map[TopicPartition]int64, error)
	// State returns the group's state ("Empty", "Stable", "Dead", ...) and
	// its member count.
	State(ctx context.Context, group string) (string, int, error)
	// Partitions returns the partition count of each topic (0: no topic).
	Partitions(ctx context.Context, topics []string) (map[string]int32, error)
	// Commit sets offsets for the (empty) group.
	Commit(ctx context.Context, group string, offsets map[TopicPartition]int64) error
	// DeleteOffsets removes the group's committed offsets of partitions.
	DeleteOffsets(ctx context.Context, group string, tps []TopicPartition) error
	// Delete deletes the (empty) group; a missing group is no error.
	Delete(ctx context.Context, group string) error
}

// Mappings turns sinks' event source mappings on and off (on AWS
// UpdateEventSourceMapping Enabled). Nil when something else honours the
// target state (slkc-local's bridge reads it from DynamoDB).
type Mappings interface {
	SetEnabled(ctx context.Context, c Connector, enabled bool) error
	// Disabled reports whether the mapping is fully disabled (no poller
	// running), which an offsets change requires.
	Disabled(ctx context.Context, c Connector) (bool, error)
}

// Invoker invokes a function asynchronously (a source's restart).
type Invoker interface {
	InvokeEvent(ctx context.Context, function string, payload []byte) error
}

// Server serves the API. Set the fields, then use Handler.
type Server struct {
	// Connectors are the deployed connectors by name.
	Connectors map[string]Connector
	Statuses   Statuses
	Targets    Targets
	Offsets    SourceOffsets
	Leases     Leases
	Groups     Groups
	// Mappings may be nil (see Mappings).
	Mappings Mappings
	// Invoker may be nil: a restart then only clears FAILED.
	Invoker Invoker
	// Heads, when set, reads source tables' heads for GET
	// /connectors/{name}/lag (nil: the lag shows offsets only).
	Heads Heads
	// Records, when set, reads dead letter queue topics for GET
	// /connectors/{name}/dlq (nil: 501).
	Records Records
	// Metrics, when set, serves GET /metrics for the web UI's charts.
	Metrics http.Handler
	// Principal names the caller of a request for the audit trail; nil
	// means "local".
	Principal func(r *http.Request) string
	Logger    *slog.Logger
	// Commit is shown as "commit" by GET /.
	Commit string
}

func (s *Server) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Server) principal(r *http.Request) string {
	if s.Principal != nil {
		if p := s.Principal(r); p != "" {
			return p
		}
	}
	return "local"
}

// Handler returns the API's routes. Unknown paths and methods get Connect's
// JSON error body.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern string, f func(http.ResponseWriter, *http.Request) error) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := f(w, r); err != nil {
				s.writeError(w, r, err)
			}
		})
	}
	h("GET /{$}", s.root)
	h("GET /connectors", s.list)
	h("POST /connectors", s.readOnly)
	h("GET /connectors/{name}", s.withConnector(s.info))
	h("DELETE /connectors/{name}", s.withConnector(s.readOnlyConnector))
	h("GET /connectors/{name}/config", s.withConnector(s.config))
	h("PUT /connectors/{name}/config", s.readOnly)
	h("GET /connectors/{name}/status", s.withConnector(s.status))
	h("GET /connectors/{name}/tasks", s.withConnector(s.tasks))
	h("GET /connectors/{name}/tasks/{task}/status", s.withConnector(s.taskStatus))
	h("POST /connectors/{name}/tasks/{task}/restart", s.withConnector(s.taskRestart))
	h("GET /connectors/{name}/topics", s.withConnector(s.topics))
	h("PUT /connectors/{name}/pause", s.withConnector(s.pause))
	h("PUT /connectors/{name}/resume", s.withConnector(s.resume))
	h("PUT /connectors/{name}/stop", s.withConnector(s.stop))
	h("POST /connectors/{name}/restart", s.withConnector(s.restart))
	h("GET /connectors/{name}/offsets", s.withConnector(s.getOffsets))
	h("PATCH /connectors/{name}/offsets", s.withConnector(s.alterOffsets))
	h("DELETE /connectors/{name}/offsets", s.withConnector(s.resetOffsets))
	// slkc extensions for the web UI (see package ui).
	h("GET /connectors/{name}/lag", s.withConnector(s.lag))
	h("GET /connectors/{name}/dlq", s.withConnector(s.dlq))
	h("GET /metrics", s.metrics)
	mux.Handle("GET /ui/", ui.Handler())
	mux.Handle("GET /ui", http.RedirectHandler("/ui/", http.StatusMovedPermanently))
	h("GET /connector-plugins", s.plugins)
	h("PUT /connector-plugins/{plugin}/config/validate", s.validate)
	h("/", func(w http.ResponseWriter, r *http.Request) error {
		if knownPath(r.URL.Path) {
			return Errorf(http.StatusMethodNotAllowed, "HTTP 405 Method Not Allowed")
		}
		return Errorf(http.StatusNotFound, "HTTP 404 Not Found")
	})
	return SameOrigin(mux)
}

// SameOrigin refuses what a browser sends on behalf of another site: a
// request its Sec-Fetch-Site header marks cross-site, or a changing request
// whose Origin is not the server's own host. A plain form POST from any web
// page reaches a loopback server without CORS; this keeps such a page from
// restarting or resetting connectors. Clients that are not browsers send
// neither header and are not affected.
func SameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeJSON(w, http.StatusForbidden, Errorf(http.StatusForbidden, "cross-site request refused"))
			return
		}
		if o := r.Header.Get("Origin"); o != "" && r.Method != http.MethodGet && r.Method != http.MethodHead {
			u, err := url.Parse(o)
			if err != nil || r.Host == "" || u.Host != r.Host {
				writeJSON(w, http.StatusForbidden, Errorf(http.StatusForbidden,
					"request from origin %q refused: only the page served by this API may change connectors", o))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// LoopbackHost refuses requests whose Host is not a loopback name: a web
// page whose DNS name was re-pointed at 127.0.0.1 (DNS rebinding) would
// otherwise reach an unauthenticated loopback server as its own origin.
// Servers that listen on loopback without authentication (slkc-local's
// API, slkc ui) wrap their handler with it.
func LoopbackHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			writeJSON(w, http.StatusForbidden, Errorf(http.StatusForbidden,
				"Host %q refused: this server answers loopback names only", r.Host))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// knownPath reports whether path is one of the API's paths (with another
// method), so the answer is 405 rather than 404.
func knownPath(path string) bool {
	p := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(p) == 1 && (p[0] == "connectors" || p[0] == "connector-plugins" || p[0] == "" || p[0] == "metrics"):
		return true
	case len(p) >= 2 && p[0] == "connectors":
		return len(p) == 2 || len(p) == 3 || len(p) == 4 && p[2] == "tasks" || len(p) == 5 && p[2] == "tasks"
	case len(p) == 4 && p[0] == "connector-plugins" && p[2] == "config" && p[3] == "validate":
		return true
	}
	return false
}

// Error is an API error: Connect's {"error_code":N,"message":"..."} body.
type Error struct {
	Code    int    `json:"error_code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// Errorf returns an *Error with the HTTP status code.
func Errorf(code int, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		s.log().Error("control request failed", "method", r.Method, "path", r.URL.Path, "err", err.Error())
		e = &Error{Code: http.StatusInternalServerError, Message: err.Error()}
	}
	writeJSON(w, e.Code, e)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

type connectorHandler func(w http.ResponseWriter, r *http.Request, c Connector) error

// withConnector resolves {name} or answers Connect's 404.
func (s *Server) withConnector(f connectorHandler) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		name := r.PathValue("name")
		c, ok := s.Connectors[name]
		if !ok {
			return Errorf(http.StatusNotFound, "Connector %s not found", name)
		}
		return f(w, r, c)
	}
}

// readOnlyMessage says where configs live.
const readOnlyMessage = "connector configs are read-only through this API: they live in the pipeline folder " +
	"(connectors/pipeline/*.json) and are deployed with `cdk deploy` (locally, restart `slkc-local run`)"

func (s *Server) readOnly(w http.ResponseWriter, r *http.Request) error {
	return Errorf(http.StatusForbidden, "%s", readOnlyMessage)
}

func (s *Server) readOnlyConnector(w http.ResponseWriter, r *http.Request, c Connector) error {
	return Errorf(http.StatusForbidden, "%s", readOnlyMessage)
}

// metrics is GET /metrics: Metrics, or 501 when there is none.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if s.Metrics == nil {
		return Errorf(http.StatusNotImplemented, "this control plane has no metrics source")
	}
	s.Metrics.ServeHTTP(w, r)
	return nil
}

// root is GET /.
func (s *Server) root(w http.ResponseWriter, r *http.Request) error {
	id := ""
	if s.Groups != nil {
		var err error
		if id, err = s.Groups.ClusterID(r.Context()); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"version": Version, "commit": s.Commit, "kafka_cluster_id": id})
	return nil
}

// taskID parses {task}: 0..TaskCount()-1.
func taskID(r *http.Request, c Connector) (int, error) {
	raw := r.PathValue("task")
	id, err := strconv.Atoi(raw)
	if err != nil || id < 0 {
		return 0, Errorf(http.StatusNotFound, "Task %s/%s not found", c.Name, raw)
	}
	if id >= c.TaskCount() {
		return 0, Errorf(http.StatusNotFound, "Task %s/%d not found", c.Name, id)
	}
	return id, nil
}

// boolParam parses a boolean query parameter as JAX-RS does (true/false in
// any case); absent means false.
func boolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, Errorf(http.StatusBadRequest, "query parameter %s=%q: want true or false", name, v)
}
