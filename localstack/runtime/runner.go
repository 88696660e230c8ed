package runtime

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// EventFailure describes an Event invocation that failed on every attempt.
type EventFailure struct {
	Function string
	Payload  []byte
	Attempts int
	Last     Result
}

// Runner hosts functions and serves the Invoke API. Set the exported fields
// before Start; call order is New, Start, then Invoke/HTTP calls, then Close.
type Runner struct {
	// Output receives the functions' log lines and the START/END/REPORT
	// lines (default os.Stderr). Writes are serialised.
	Output io.Writer
	// Logger receives the runner's own structured logs (default slog.Default()).
	Logger *slog.Logger
	// KillGrace is the time between SIGTERM and SIGKILL when a process is
	// killed (default 500ms).
	KillGrace time.Duration
	// EventRetryDelays are the waits before the retries of a failed Event
	// invocation. Lambda retries twice, after 1 and 2 minutes; the default
	// here is 1s and 2s so local runs settle quickly.
	EventRetryDelays []time.Duration
	// EventQueueSize bounds the Event invocations waiting per function
	// (default 10000); a full queue answers 429 TooManyRequestsException.
	EventQueueSize int
	// OnEventFailure, when set, is called for an Event invocation whose
	// attempts all failed, like an on-failure destination.
	OnEventFailure func(EventFailure)
	// Secrets, when set, are served on the Invoke API's address as a local
	// Secrets Manager (GetSecretValue), and every function gets
	// AWS_ENDPOINT_URL_SECRETS_MANAGER pointing there (unless its spec's Env
	// sets it). Nil: no Secrets Manager endpoint.
	Secrets *Secrets

	funcs map[string]*function
	order []string

	outMu   sync.Mutex
	ln      net.Listener
	srv     *http.Server
	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	queues  map[string]chan asyncJob
	qmu     sync.RWMutex // guards sending on queues against Close
	closed  bool
}

type asyncJob struct {
	payload []byte
	attempt int
}

// New checks the specs (name and executable bootstrap required, names
// unique), applies defaults and returns a Runner that has started nothing yet.
func New(specs ...FunctionSpec) (*Runner, error) {
	r := &Runner{funcs: map[string]*function{}, closing: make(chan struct{}), queues: map[string]chan asyncJob{}}
	var errs []error
	for _, s := range specs {
		s = s.withDefaults()
		if err := s.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, dup := r.funcs[s.Name]; dup {
			errs = append(errs, fmt.Errorf("function %q is defined twice", s.Name))
			continue
		}
		r.funcs[s.Name] = newFunction(r, s)
		r.order = append(r.order, s.Name)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	return r, nil
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves the Invoke API until
// Close or ctx is done. Processes start lazily at the first invoke of each
// function (a cold start).
func (r *Runner) Start(ctx context.Context, addr string) error {
	if r.Output == nil {
		r.Output = os.Stderr
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	if r.KillGrace <= 0 {
		r.KillGrace = 500 * time.Millisecond
	}
	if r.EventRetryDelays == nil {
		r.EventRetryDelays = []time.Duration{time.Second, 2 * time.Second}
	}
	if r.EventQueueSize <= 0 {
		r.EventQueueSize = 10000
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("runtime: listen on %s: %w", addr, err)
	}
	r.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2015-03-31/functions/{name}/invocations", r.handleInvoke)
	mux.HandleFunc("GET /2015-03-31/functions/{name}/stats", r.handleStats)
	mux.HandleFunc("POST /{$}", r.handleSecrets)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	for _, name := range r.order {
		f := r.funcs[name]
		q := make(chan asyncJob, r.EventQueueSize)
		r.queues[name] = q
		for range f.spec.Concurrency {
			r.wg.Add(1)
			go r.asyncWorker(f, q)
		}
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.Logger.Error("invoke API server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = r.Close()
		case <-r.closing:
		}
	}()
	if r.Secrets != nil {
		r.Logger.Info("local secrets manager endpoint started", "url", r.URL(), "secrets", r.Secrets.Names())
	}
	r.Logger.Info("local lambda runner started", "addr", ln.Addr().String(), "functions", r.order)
	return nil
}

// SecretsURL returns the local Secrets Manager endpoint given to the
// functions, or "" when Secrets is nil (after Start).
func (r *Runner) SecretsURL() string {
	if r.Secrets == nil {
		return ""
	}
	return r.URL()
}

// Addr returns the host:port the Invoke API listens on (after Start).
func (r *Runner) Addr() string { return r.ln.Addr().String() }

// URL returns the Invoke API base URL, e.g. for an aws-sdk-go-v2 lambda
// client's BaseEndpoint.
func (r *Runner) URL() string { return "http://" + r.Addr() }

// Functions returns the hosted function names in spec order.
func (r *Runner) Functions() []string { return append([]string(nil), r.order...) }

// Spec returns the spec of a hosted function after defaults.
func (r *Runner) Spec(name string) (FunctionSpec, bool) {
	f, ok := r.funcs[name]
	if !ok {
		return FunctionSpec{}, false
	}
	return f.spec, true
}

// ErrFunctionNotFound is returned for a name the runner does not host.
var ErrFunctionNotFound = errors.New("function not found")

// Invoke runs a RequestResponse invoke of the named function and waits for
// it. Function failures are reported in Result.FunctionError; the error is
// non-nil only when the invoke could not be made (ErrFunctionNotFound,
// ErrRequestTooLarge, runner closed, ctx done while queued, process could
// not start). Unlike the Invoke API it does not check that the payload is
// JSON: in-process callers build their events.
func (r *Runner) Invoke(ctx context.Context, name string, payload []byte) (Result, error) {
	f, ok := r.funcs[name]
	if !ok {
		return Result{}, fmt.Errorf("runtime: invoke %q: %w", name, ErrFunctionNotFound)
	}
	if len(payload) > MaxPayloadBytes {
		return Result{}, fmt.Errorf("runtime: invoke %q: %d bytes: %w", name, len(payload), ErrRequestTooLarge)
	}
	res, err := f.invoke(ctx, payload)
	if err != nil {
		return res, fmt.Errorf("runtime: invoke %q: %w", name, err)
	}
	return res, nil
}

// ErrRequestTooLarge is returned by Invoke for a payload over
// MaxPayloadBytes (Lambda's RequestTooLargeException).
var ErrRequestTooLarge = fmt.Errorf("request must be smaller than %d bytes for the InvokeFunction operation", MaxPayloadBytes)

// ErrQueueFull is returned by InvokeAsync when the function's Event queue is full.
var ErrQueueFull = errors.New("event queue full")

// InvokeAsync queues an Event invoke. It is retried per EventRetryDelays on
// failure, then reported to OnEventFailure.
func (r *Runner) InvokeAsync(name string, payload []byte) error {
	if _, ok := r.funcs[name]; !ok {
		return fmt.Errorf("runtime: invoke %q: %w", name, ErrFunctionNotFound)
	}
	return r.enqueue(name, asyncJob{payload: payload})
}

func (r *Runner) enqueue(name string, job asyncJob) error {
	r.qmu.RLock()
	defer r.qmu.RUnlock()
	if r.closed {
		return errClosed
	}
	select {
	case r.queues[name] <- job:
		return nil
	default:
		return fmt.Errorf("runtime: invoke %q: %w", name, ErrQueueFull)
	}
}

func (r *Runner) asyncWorker(f *function, q chan asyncJob) {
	defer r.wg.Done()
	for {
		select {
		case <-r.closing:
			return
		case job := <-q:
			res, err := f.invoke(context.Background(), job.payload)
			if err != nil {
				if errors.Is(err, errClosed) {
					return
				}
				res = Result{FunctionError: "Unhandled", ErrorType: "Runtime.StartError", Payload: []byte(err.Error())}
			}
			if res.FunctionError == "" {
				continue
			}
			job.attempt++
			if job.attempt <= len(r.EventRetryDelays) {
				delay := r.EventRetryDelays[job.attempt-1]
				r.Logger.Warn("event invoke failed, will retry", "function", f.spec.Name,
					"request_id", res.RequestID, "error_type", res.ErrorType, "attempt", job.attempt, "retry_in", delay)
				time.AfterFunc(delay, func() {
					if err := r.enqueue(f.spec.Name, job); err != nil {
						r.Logger.Error("event retry dropped", "function", f.spec.Name, "err", err)
					}
				})
				continue
			}
			r.Logger.Error("event invoke failed on every attempt", "function", f.spec.Name,
				"request_id", res.RequestID, "error_type", res.ErrorType, "attempts", job.attempt)
			if r.OnEventFailure != nil {
				r.OnEventFailure(EventFailure{Function: f.spec.Name, Payload: job.payload, Attempts: job.attempt, Last: res})
			}
		}
	}
}

// Stats returns the invoke statistics of a function.
func (r *Runner) Stats(name string) (Stats, bool) {
	f, ok := r.funcs[name]
	if !ok {
		return Stats{}, false
	}
	return f.snapshot(), true
}

// Close stops the Invoke API, drops queued Event invokes and stops every
// process (SIGTERM, SIGKILL after KillGrace). It is safe to call twice.
func (r *Runner) Close() error {
	var err error
	r.once.Do(func() {
		r.qmu.Lock()
		r.closed = true
		close(r.closing)
		r.qmu.Unlock()
		if r.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = r.srv.Shutdown(ctx)
		}
		var wg sync.WaitGroup
		for _, f := range r.funcs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f.closeAll(r.KillGrace)
			}()
		}
		wg.Wait()
		r.wg.Wait()
		for name, q := range r.queues {
			if n := len(q); n > 0 {
				r.Logger.Warn("dropping queued event invokes at shutdown", "function", name, "count", n)
			}
		}
	})
	return err
}

// logLine writes one line of function output with its prefix.
func (r *Runner) logLine(fn, requestID, line string) {
	if requestID == "" {
		requestID = "-"
	}
	r.outMu.Lock()
	defer r.outMu.Unlock()
	_, _ = fmt.Fprintf(r.Output, "[%s] [%s] %s\n", fn, requestID, line)
}

// functionName accepts a name, a partial ARN (000000000000:function:name), a
// full ARN and a :qualifier suffix, as the Invoke API does.
func functionName(s string) string {
	if i := strings.Index(s, "function:"); i >= 0 {
		s = s[i+len("function:"):]
	}
	if name, _, ok := strings.Cut(s, ":"); ok {
		return name
	}
	return s
}

func (r *Runner) handleInvoke(w http.ResponseWriter, req *http.Request) {
	raw := req.PathValue("name")
	name := functionName(raw)
	f, ok := r.funcs[name]
	if !ok {
		writeAPIError(w, http.StatusNotFound, "ResourceNotFoundException",
			fmt.Sprintf("Function not found: arn:aws:lambda:%s:%s:function:%s", DefaultRegion, AccountID, name))
		return
	}
	payload, err := readBody(req.Body, req.ContentLength, MaxPayloadBytes)
	if err != nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestContentException", "reading the request body: "+err.Error())
		return
	}
	if len(payload) > MaxPayloadBytes {
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException",
			fmt.Sprintf("Request must be smaller than %d bytes for the InvokeFunction operation", MaxPayloadBytes))
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !validJSON(payload) {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json")
		return
	}
	switch typ := req.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
		res, err := f.invoke(req.Context(), payload)
		if err != nil {
			writeAPIError(w, http.StatusServiceUnavailable, "ServiceException", err.Error())
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Amz-Executed-Version", "$LATEST")
		h.Set("X-Amzn-Requestid", res.RequestID)
		if res.FunctionError != "" {
			h.Set("X-Amz-Function-Error", res.FunctionError)
		}
		if req.Header.Get("X-Amz-Log-Type") == "Tail" {
			time.Sleep(20 * time.Millisecond) // let the pipe readers catch up with the last lines
			h.Set("X-Amz-Log-Result", base64.StdEncoding.EncodeToString([]byte(res.LogTail())))
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Payload)
	case "Event":
		if err := r.enqueue(name, asyncJob{payload: payload}); err != nil {
			writeAPIError(w, http.StatusTooManyRequests, "TooManyRequestsException", err.Error())
			return
		}
		w.Header().Set("X-Amzn-Requestid", newRequestID())
		w.WriteHeader(http.StatusAccepted)
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
	default:
		writeAPIError(w, http.StatusBadRequest, "InvalidParameterValueException",
			fmt.Sprintf("X-Amz-Invocation-Type %q is not one of RequestResponse, Event, DryRun", typ))
	}
}

func (r *Runner) handleStats(w http.ResponseWriter, req *http.Request) {
	name := functionName(req.PathValue("name"))
	s, ok := r.Stats(name)
	if !ok {
		writeAPIError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+name)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s)
}

// writeAPIError writes a Lambda API error the way the AWS SDKs parse it
// (X-Amzn-ErrorType header and Type/message body).
func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Type": "User", "message": msg, "__type": typ})
}
