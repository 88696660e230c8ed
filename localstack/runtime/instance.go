package runtime

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// invocation is one event handed to a process through /runtime/invocation/next.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	traceID  string
	result   chan outcome // buffered 1; receives the runtime's /response or /error
	logs     *tailBuffer
}

// outcome is what the runtime posted for an invocation.
type outcome struct {
	payload   []byte
	errorType string // non-empty for /error
}

// instance is one child process with its own Runtime API listener.
type instance struct {
	fn      *function
	cmd     *exec.Cmd
	srv     *http.Server
	addr    string
	started time.Time

	ready     chan struct{} // closed at the first GET /next
	readyOnce sync.Once
	readyAt   time.Time
	next      chan *invocation
	initErr   chan outcome // buffered 1
	exited    chan struct{}
	exitErr   error // valid after exited is closed
	ioDone    sync.WaitGroup
	pipes     []*logPipe // stdout and stderr read ends

	mu      sync.Mutex
	current *invocation // awaiting /response or /error
	logInv  *invocation // gets the log lines: the last invocation handed over
	maxRSS  int64       // kB, last VmHWM seen
}

// startInstance starts the function's bootstrap with a fresh Runtime API listener.
func startInstance(fn *function) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("function %s: runtime API listener: %w", fn.spec.Name, err)
	}
	in := &instance{
		fn:      fn,
		addr:    ln.Addr().String(),
		ready:   make(chan struct{}),
		next:    make(chan *invocation),
		initErr: make(chan outcome, 1),
		exited:  make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.handleInitError)
	mux.HandleFunc("POST /2020-01-01/extension/register", in.handleExtensionRegister)
	mux.HandleFunc("GET /2020-01-01/extension/event/next", in.handleExtensionNext)
	in.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = in.srv.Serve(ln) }()

	cmd := exec.Command(fn.spec.Bootstrap)
	cmd.Dir = filepath.Dir(fn.spec.Bootstrap)
	cmd.Env = childEnv(fn.spec, in.addr, fn.runner.SecretsURL())
	// Own process group so a kill also reaches anything the bootstrap started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// Our own pipes (not StdoutPipe) so that the process's exit is seen at
	// once even if something it started still holds the pipes open.
	outR, outW, err := os.Pipe()
	if err != nil {
		_ = in.srv.Close()
		return nil, fmt.Errorf("function %s: stdout pipe: %w", fn.spec.Name, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		_ = in.srv.Close()
		closeAll(outR, outW)
		return nil, fmt.Errorf("function %s: stderr pipe: %w", fn.spec.Name, err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	in.started = time.Now()
	err = cmd.Start()
	closeAll(outW, errW) // the child has its copies
	if err != nil {
		_ = in.srv.Close()
		closeAll(outR, errR)
		return nil, fmt.Errorf("function %s: start %s: %w", fn.spec.Name, fn.spec.Bootstrap, err)
	}
	in.cmd = cmd
	in.pipes = []*logPipe{{f: outR}, {f: errR}}
	in.ioDone.Add(2)
	go in.copyLines(in.pipes[0])
	go in.copyLines(in.pipes[1])
	go func() {
		in.exitErr = cmd.Wait()
		close(in.exited)
		_ = in.srv.Close()
	}()
	return in, nil
}

// childEnv builds the environment Lambda gives a provided.al2023 function
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
// AWS_ENDPOINT_URL*, credentials and GOCOVERDIR come from the runner's
// environment. Lambda always gives a function its role's credentials; when
// the runner has none, the function gets AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY "local", which local endpoints (DynamoDB Local,
// LocalStack, this runner's Secrets Manager) accept, so the SDK never goes
// looking for an instance role. secretsURL, when not empty, becomes
// AWS_ENDPOINT_URL_SECRETS_MANAGER. spec.Env overrides everything.
func childEnv(spec FunctionSpec, runtimeAPI, secretsURL string) []string {
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME":        spec.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(spec.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + spec.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_REGION":                      spec.Region,
		"AWS_DEFAULT_REGION":              spec.Region,
		"_HANDLER":                        filepath.Base(spec.Bootstrap),
		"LAMBDA_TASK_ROOT":                filepath.Dir(spec.Bootstrap),
		"LAMBDA_RUNTIME_DIR":              filepath.Dir(spec.Bootstrap),
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin:/bin",
	}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "AWS_ENDPOINT_URL"),
			k == "AWS_ACCESS_KEY_ID", k == "AWS_SECRET_ACCESS_KEY", k == "AWS_SESSION_TOKEN",
			k == "GOCOVERDIR":
			env[k] = v
		}
	}
	if env["AWS_ACCESS_KEY_ID"] == "" || env["AWS_SECRET_ACCESS_KEY"] == "" {
		env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"] = "local", "local"
		delete(env, "AWS_SESSION_TOKEN")
	}
	if secretsURL != "" {
		env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = secretsURL
	}
	for k, v := range spec.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}

// waitIO waits up to max for the log readers to reach the end of the
// process's output, so lines written just before exit are not lost.
func (in *instance) waitIO(max time.Duration) {
	done := make(chan struct{})
	go func() {
		in.ioDone.Wait()
		close(done)
	}()
	t := time.NewTimer(max)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

func (in *instance) copyLines(p *logPipe) {
	defer in.ioDone.Done()
	defer p.f.Close()
	r := io.Reader(p)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		in.mu.Lock()
		cur := in.logInv
		in.mu.Unlock()
		line := sc.Text()
		id := ""
		if cur != nil {
			id = cur.id
			cur.logs.writeLine(line)
		}
		in.fn.runner.logLine(in.fn.spec.Name, id, line)
	}
	// Drain the rest so the child never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, r)
}

func (in *instance) pid() int { return in.cmd.Process.Pid }

func (in *instance) alive() bool {
	select {
	case <-in.exited:
		return false
	default:
		return true
	}
}

// kill stops the process: SIGTERM to its group, SIGKILL after grace. It
// returns when the process has exited.
func (in *instance) kill(grace time.Duration) {
	if !in.alive() {
		return
	}
	_ = syscall.Kill(-in.pid(), syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-in.exited:
		return
	case <-t.C:
	}
	_ = syscall.Kill(-in.pid(), syscall.SIGKILL)
	<-in.exited
}

// readVmHWM records the process's peak resident set size (kB) from /proc.
func (in *instance) readVmHWM() int64 {
	if in.alive() {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", in.pid())); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					f := strings.Fields(rest)
					if len(f) > 0 {
						if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
							in.mu.Lock()
							if kb > in.maxRSS {
								in.maxRSS = kb
							}
							in.mu.Unlock()
						}
					}
				}
			}
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.maxRSS
}

// logDrainMax bounds the wait for a function's last log lines at the end of
// an invocation (see drainLogs).
const logDrainMax = 50 * time.Millisecond

// Runtime API handlers.

func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	in.readyOnce.Do(func() {
		in.readyAt = time.Now()
		close(in.ready)
	})
	select {
	case inv := <-in.next:
		in.mu.Lock()
		in.current = inv
		in.logInv = inv
		in.mu.Unlock()
		h := w.Header()
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", in.fn.spec.ARN())
		h.Set("Lambda-Runtime-Trace-Id", inv.traceID)
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	}
}

// take returns the current invocation when id matches and clears it.
func (in *instance) take(id string) *invocation {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.current == nil || in.current.id != id {
		return nil
	}
	inv := in.current
	in.current = nil
	return inv
}

func (in *instance) handleResponse(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r.Body, r.ContentLength, MaxPayloadBytes)
	inv := in.take(r.PathValue("id"))
	if inv == nil {
		writeRuntimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	drainLogs(in.pipes, logDrainMax)
	switch {
	case err != nil:
		inv.result <- errorOutcome("Runtime.ResponseReadError", fmt.Sprintf("reading response: %v", err))
	case len(body) > MaxPayloadBytes:
		inv.result <- errorOutcome("Function.ResponseSizeTooLarge",
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxPayloadBytes))
		writeRuntimeError(w, http.StatusRequestEntityTooLarge, "Function.ResponseSizeTooLarge", "response too large")
		return
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// aws-lambda-go reports a failure while streaming the response in trailers.
		typ := r.Trailer.Get("Lambda-Runtime-Function-Error-Type")
		inv.result <- errorOutcome(typ, "error while writing the response")
	default:
		inv.result <- outcome{payload: body}
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (in *instance) handleError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes))
	inv := in.take(r.PathValue("id"))
	if inv == nil {
		writeRuntimeError(w, http.StatusBadRequest, "InvalidRequestID", "Invalid request ID")
		return
	}
	drainLogs(in.pipes, logDrainMax)
	inv.result <- runtimeErrorOutcome(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"), "Unhandled")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes))
	select {
	case in.initErr <- runtimeErrorOutcome(body, r.Header.Get("Lambda-Runtime-Function-Error-Type"), "Runtime.InitError"):
	default:
	}
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

// handleExtensionRegister accepts an internal extension registration
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html).
// aws-lambda-go's WithEnableSIGTERM registers one so that Lambda sends
// SIGTERM before SIGKILL at shutdown, which this runner always does.
func (in *instance) handleExtensionRegister(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 64*1024))
	w.Header().Set("Lambda-Extension-Identifier", newRequestID())
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]string{
		"functionName": in.fn.spec.Name, "functionVersion": "$LATEST", "handler": filepath.Base(in.fn.spec.Bootstrap),
	})
}

// handleExtensionNext blocks until the process goes away: registered
// extensions get no INVOKE events here, and SHUTDOWN is signalled by SIGTERM.
func (in *instance) handleExtensionNext(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-in.exited:
	}
	w.WriteHeader(http.StatusGone)
}

// errorBody is the error document of the Runtime and Invoke APIs.
type errorBody struct {
	ErrorMessage string          `json:"errorMessage"`
	ErrorType    string          `json:"errorType"`
	StackTrace   json.RawMessage `json:"stackTrace,omitempty"`
}

func errorOutcome(typ, msg string) outcome {
	b, _ := json.Marshal(errorBody{ErrorMessage: msg, ErrorType: typ})
	return outcome{payload: b, errorType: typ}
}

// runtimeErrorOutcome keeps the runtime's error document when it is JSON and
// fills errorType from the header or the fallback.
func runtimeErrorOutcome(body []byte, headerType, fallback string) outcome {
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil && doc != nil {
		typ, _ := doc["errorType"].(string)
		if typ == "" {
			typ = headerType
		}
		if typ == "" {
			typ = fallback
			doc["errorType"] = typ
			body, _ = json.Marshal(doc)
		}
		return outcome{payload: body, errorType: typ}
	}
	typ := headerType
	if typ == "" {
		typ = fallback
	}
	return errorOutcome(typ, strings.TrimSpace(string(body)))
}

func writeRuntimeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(errorBody{ErrorMessage: msg, ErrorType: typ})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newRequestID returns a random UUID v4, the shape of Lambda request ids.
func newRequestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newTraceID returns an X-Ray trace header like Lambda's.
func newTraceID(now time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), randomHex(12), randomHex(8))
}

// tailBuffer keeps the last 4 KB of an invocation's log, for LogType=Tail.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailBytes = 4096

func (t *tailBuffer) writeLine(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, line...)
	t.buf = append(t.buf, '\n')
	if len(t.buf) > tailBytes {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-tailBytes:]...)
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

var errClosed = errors.New("runtime: runner closed")
