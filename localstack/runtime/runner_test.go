package runtime

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

var echoBin, otherArchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtime-echo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	echoBin = filepath.Join(dir, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", echoBin, "./testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building echo: %v\n%s", err, out)
		os.Exit(2)
	}
	// A copy of echo whose ELF header names the other 64-bit CPU
	// (e_machine at offset 18), standing in for a linux/arm64 Lambda build.
	b, err := os.ReadFile(echoBin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	other := elf.EM_AARCH64
	if goruntime.GOARCH == "arm64" {
		other = elf.EM_X86_64
	}
	binary.LittleEndian.PutUint16(b[18:20], uint16(other))
	otherArchBin = filepath.Join(dir, "bootstrap-other")
	if err := os.WriteFile(otherArchBin, b, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// syncBuffer is an io.Writer safe for the runner's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startRunner(t *testing.T, specs ...FunctionSpec) (*Runner, *syncBuffer) {
	t.Helper()
	r, err := New(specs...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	out := &syncBuffer{}
	r.Output = out
	r.KillGrace = 100 * time.Millisecond
	r.EventRetryDelays = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	if err := r.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, out
}

func echoSpec(name string) FunctionSpec {
	return FunctionSpec{Name: name, Bootstrap: echoBin, Timeout: 2 * time.Second, MemoryMB: 256, Region: "eu-west-1"}
}

type echoResponse struct {
	Echo        any               `json:"echo"`
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	DeadlineMs  int64             `json:"deadlineMs"`
	PID         int               `json:"pid"`
	Env         map[string]string `json:"env"`
}

func invokeEcho(t *testing.T, r *Runner, name, payload string) (Result, echoResponse) {
	t.Helper()
	res, err := r.Invoke(context.Background(), name, []byte(payload))
	if err != nil {
		t.Fatalf("Invoke(%s): %v", payload, err)
	}
	var er echoResponse
	if res.FunctionError == "" {
		if err := json.Unmarshal(res.Payload, &er); err != nil {
			t.Fatalf("response %s: %v", res.Payload, err)
		}
	}
	return res, er
}

func TestNewRejectsBadSpecs(t *testing.T) {
	cases := []struct {
		name  string
		specs []FunctionSpec
		want  string
	}{
		{"empty name", []FunctionSpec{{Bootstrap: echoBin}}, "function name is empty"},
		{"missing bootstrap", []FunctionSpec{{Name: "f", Bootstrap: "/nonexistent/bootstrap"}}, "no such file"},
		{"not executable", []FunctionSpec{{Name: "f", Bootstrap: "runner.go"}}, "not an executable"},
		{"duplicate", []FunctionSpec{{Name: "f", Bootstrap: echoBin}, {Name: "f", Bootstrap: echoBin}}, "defined twice"},
		{"other architecture", []FunctionSpec{{Name: "f", Bootstrap: otherArchBin}}, "build it with GOARCH="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.specs...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New error = %v, want containing %q", err, tc.want)
			}
		})
	}
}

func TestInvokeEchoesAndReusesProcess(t *testing.T) {
	r, out := startRunner(t, echoSpec("echo"))
	res1, er1 := invokeEcho(t, r, "echo", `{"echo":{"a":1},"log":"hello from the function"}`)
	if res1.FunctionError != "" {
		t.Fatalf("function error: %s", res1.Payload)
	}
	if got, _ := json.Marshal(er1.Echo); string(got) != `{"a":1}` {
		t.Errorf("echo = %s, want {\"a\":1}", got)
	}
	if er1.RequestID != res1.RequestID {
		t.Errorf("function saw request id %q, result has %q", er1.RequestID, res1.RequestID)
	}
	if want := "arn:aws:lambda:eu-west-1:000000000000:function:echo"; er1.FunctionARN != want {
		t.Errorf("function ARN = %q, want %q", er1.FunctionARN, want)
	}
	if d := time.Until(time.UnixMilli(er1.DeadlineMs)); d < 0 || d > 2*time.Second {
		t.Errorf("deadline %v from now, want within the 2s timeout", d)
	}
	if !res1.ColdStart || res1.InitDuration <= 0 {
		t.Errorf("first invoke: cold=%v init=%v, want a cold start with init duration", res1.ColdStart, res1.InitDuration)
	}
	res2, er2 := invokeEcho(t, r, "echo", `{"echo":2}`)
	if res2.ColdStart || er2.PID != er1.PID {
		t.Errorf("second invoke cold=%v pid %d->%d, want warm reuse", res2.ColdStart, er1.PID, er2.PID)
	}
	if res1.MaxMemoryMB <= 0 {
		t.Errorf("MaxMemoryMB = %d, want > 0", res1.MaxMemoryMB)
	}
	time.Sleep(50 * time.Millisecond) // lines may trail the response
	logs := out.String()
	if want := fmt.Sprintf("[echo] [%s] hello from the function", res1.RequestID); !strings.Contains(logs, want) {
		t.Errorf("output lacks %q:\n%s", want, logs)
	}
	if !strings.Contains(res1.LogTail(), "hello from the function") {
		t.Errorf("log tail %q lacks the function's line", res1.LogTail())
	}
	for _, want := range []string{
		"REPORT RequestId: " + res1.RequestID + "\tDuration: ",
		"Memory Size: 256 MB",
		"Init Duration: ",
		"START RequestId: " + res2.RequestID + " Version: $LATEST",
		"END RequestId: " + res2.RequestID,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	s, ok := r.Stats("echo")
	if !ok || s.Invocations != 2 || s.ColdStarts != 1 || len(s.Recent) != 2 {
		t.Errorf("stats = %+v, want 2 invocations, 1 cold start", s)
	}
}

func TestHostsSeveralFunctions(t *testing.T) {
	r, _ := startRunner(t, echoSpec("one"), echoSpec("two"))
	_, a := invokeEcho(t, r, "one", `{"echo":"a"}`)
	_, b := invokeEcho(t, r, "two", `{"echo":"b"}`)
	if a.PID == b.PID || a.Echo != "a" || b.Echo != "b" {
		t.Errorf("one=%+v two=%+v, want separate processes answering their own invokes", a, b)
	}
	if !strings.HasSuffix(a.FunctionARN, ":function:one") || !strings.HasSuffix(b.FunctionARN, ":function:two") {
		t.Errorf("ARNs %q %q do not name their functions", a.FunctionARN, b.FunctionARN)
	}
	if _, err := r.Invoke(context.Background(), "three", []byte(`{}`)); !errors.Is(err, ErrFunctionNotFound) {
		t.Errorf("Invoke(three) = %v, want ErrFunctionNotFound", err)
	}
	// Lambda's request limit holds in process too: 6 MB passes, one byte
	// more is refused before the function sees it.
	big := func(n int) []byte {
		return fmt.Appendf(nil, `{"echo":1,"pad":"%s"}`, strings.Repeat("x", n-len(`{"echo":1,"pad":""}`)))
	}
	if res, got := invokeEcho(t, r, "one", string(big(MaxPayloadBytes))); res.FunctionError != "" || got.Echo != float64(1) {
		t.Errorf("a %d-byte payload: %s %s, want its echo", MaxPayloadBytes, res.FunctionError, res.Payload)
	}
	before, _ := r.Stats("one")
	if _, err := r.Invoke(context.Background(), "one", big(MaxPayloadBytes+1)); !errors.Is(err, ErrRequestTooLarge) {
		t.Errorf("Invoke of %d bytes = %v, want ErrRequestTooLarge", MaxPayloadBytes+1, err)
	}
	if after, _ := r.Stats("one"); after.Invocations != before.Invocations {
		t.Errorf("the refused payload was invoked: %d -> %d invocations", before.Invocations, after.Invocations)
	}
	if got := r.Functions(); strings.Join(got, ",") != "one,two" {
		t.Errorf("Functions() = %v", got)
	}
}

func TestFunctionEnvironment(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
	spec := echoSpec("envfn")
	spec.Env = map[string]string{"SLKC_CONNECTOR_CONFIG": `{"name":"x"}`, "TZ": ":UTC"}
	r, _ := startRunner(t, spec)
	keys := []string{"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
		"AWS_LAMBDA_LOG_GROUP_NAME", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "LAMBDA_TASK_ROOT",
		"_HANDLER", "TZ", "AWS_ENDPOINT_URL_DYNAMODB", "SLKC_CONNECTOR_CONFIG", "AWS_LAMBDA_LOG_STREAM_NAME"}
	payload, _ := json.Marshal(map[string]any{"env": keys})
	_, er := invokeEcho(t, r, "envfn", string(payload))
	want := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "envfn",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/envfn",
		"AWS_REGION":                      "eu-west-1",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"AWS_EXECUTION_ENV":               "AWS_Lambda_provided.al2023",
		"LAMBDA_TASK_ROOT":                filepath.Dir(echoBin),
		"_HANDLER":                        "bootstrap",
		"TZ":                              ":UTC",
		"AWS_ENDPOINT_URL_DYNAMODB":       "http://127.0.0.1:8000",
		"SLKC_CONNECTOR_CONFIG":           `{"name":"x"}`,
	}
	for k, v := range want {
		if er.Env[k] != v {
			t.Errorf("%s = %q, want %q", k, er.Env[k], v)
		}
	}
	if !strings.Contains(er.Env["AWS_LAMBDA_LOG_STREAM_NAME"], "/[$LATEST]") {
		t.Errorf("log stream name %q lacks /[$LATEST]", er.Env["AWS_LAMBDA_LOG_STREAM_NAME"])
	}
}

func errorDoc(t *testing.T, res Result) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(res.Payload, &e); err != nil {
		t.Fatalf("error payload %q: %v", res.Payload, err)
	}
	return e
}

func TestInvokeFailures(t *testing.T) {
	cases := []struct {
		name      string
		payload   string
		wantType  string
		wantMsg   string
		wantFresh bool // the next invoke runs in a new process
	}{
		{"function error keeps process", `{"fail":"boom"}`, "errorString", "boom", false},
		{"timeout kills process", `{"sleepMs":30000}`, "Sandbox.Timedout", "Task timed out after 1.00 seconds", true},
		{"crash restarts", `{"crash":true}`, "Runtime.ExitError", "exit status 3", true},
		{"panic restarts", `{"panic":true}`, "string", "echo panics on request", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := echoSpec("fail")
			spec.Timeout = time.Second
			r, _ := startRunner(t, spec)
			_, before := invokeEcho(t, r, "fail", `{}`)
			start := time.Now()
			res, _ := invokeEcho(t, r, "fail", tc.payload)
			if res.FunctionError != "Unhandled" || res.ErrorType != tc.wantType {
				t.Fatalf("result error %q type %q payload %s, want Unhandled %s", res.FunctionError, res.ErrorType, res.Payload, tc.wantType)
			}
			if e := errorDoc(t, res); e.ErrorType != tc.wantType || !strings.Contains(e.ErrorMessage, tc.wantMsg) {
				t.Errorf("error doc %+v, want type %s message containing %q", e, tc.wantType, tc.wantMsg)
			}
			// The function sleeps 30s; returning well before shows the kill at
			// the 1s timeout (the margin absorbs a loaded machine).
			if tc.wantType == "Sandbox.Timedout" && time.Since(start) > 10*time.Second {
				t.Errorf("timeout took %v, want about 1s", time.Since(start))
			}
			after, er := invokeEcho(t, r, "fail", `{"echo":"again"}`)
			if after.FunctionError != "" {
				t.Fatalf("invoke after failure failed: %s", after.Payload)
			}
			if fresh := er.PID != before.PID; fresh != tc.wantFresh {
				t.Errorf("next invoke in fresh process = %v (cold=%v), want %v", fresh, after.ColdStart, tc.wantFresh)
			}
			if tc.wantFresh && !after.ColdStart {
				t.Errorf("next invoke was not a cold start")
			}
		})
	}
}

// TestWarmProcessGoneBeforeInvoke: a warm process that exits after the
// invoke took it, before the event is handed over (aws-lambda-go exits
// after reporting a panic, and the next invoke can come first), is
// replaced by a fresh one, and the invoke succeeds as a cold start; the
// exit is not reported as an init failure. The hook holds each invoke
// until its warm process is gone; a choice between "ready" and "exited"
// that could go either way fails some of the rounds.
func TestWarmProcessGoneBeforeInvoke(t *testing.T) {
	r, _ := startRunner(t, echoSpec("gone"))
	var armed atomic.Bool
	var waited atomic.Int32
	testHookAcquired = func(in *instance, cold bool) {
		if armed.Swap(false) && !cold {
			select {
			case <-in.exited:
				waited.Add(1)
			case <-time.After(10 * time.Second):
			}
		}
	}
	t.Cleanup(func() { testHookAcquired = func(*instance, bool) {} })
	for round := range 8 {
		_, before := invokeEcho(t, r, "gone", `{}`)
		if res, _ := invokeEcho(t, r, "gone", `{"panic":true}`); res.FunctionError != "Unhandled" {
			t.Fatalf("round %d: the panic invoke returned %q: %s", round, res.FunctionError, res.Payload)
		}
		armed.Store(true)
		after, er := invokeEcho(t, r, "gone", `{"echo":"again"}`)
		if after.FunctionError != "" {
			t.Fatalf("round %d: invoke after the process exited failed: %s", round, after.Payload)
		}
		if er.PID == before.PID || !after.ColdStart {
			t.Fatalf("round %d: pid %d (was %d), cold start %v; want a fresh process", round, er.PID, before.PID, after.ColdStart)
		}
	}
	if waited.Load() == 0 {
		t.Fatal("no invoke took a warm process that then exited: the test did not test the case")
	}
}

func TestInitErrors(t *testing.T) {
	cases := []struct {
		name, mode, wantType, wantMsg string
	}{
		{"exit during init", "exit", "Runtime.InitError", "exit status 1"},
		{"posted init error", "post", "Config.Invalid", "bad config"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := echoSpec("initfail")
			spec.Env = map[string]string{"ECHO_INIT": tc.mode}
			r, _ := startRunner(t, spec)
			for i := range 2 { // every invoke retries init, like Lambda
				res, _ := invokeEcho(t, r, "initfail", `{}`)
				if res.FunctionError != "Unhandled" || res.ErrorType != tc.wantType {
					t.Fatalf("invoke %d: %q %q %s, want Unhandled %s", i, res.FunctionError, res.ErrorType, res.Payload, tc.wantType)
				}
				if e := errorDoc(t, res); !strings.Contains(e.ErrorMessage, tc.wantMsg) {
					t.Errorf("message %q lacks %q", e.ErrorMessage, tc.wantMsg)
				}
			}
		})
	}
}

func TestConcurrencyScalesToLimit(t *testing.T) {
	spec := echoSpec("wide")
	spec.Concurrency = 3
	r, _ := startRunner(t, spec)
	var wg sync.WaitGroup
	pids := make(chan int, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, er := invokeEcho(t, r, "wide", `{"sleepMs":300}`)
			pids <- er.PID
		}()
	}
	wg.Wait()
	close(pids)
	distinct := map[int]bool{}
	for p := range pids {
		distinct[p] = true
	}
	if len(distinct) < 2 || len(distinct) > 3 {
		t.Errorf("processes used = %d, want 2..3 (limit 3)", len(distinct))
	}
}

func lambdaClient(r *Runner) *lambda.Client {
	return lambda.New(lambda.Options{
		BaseEndpoint: aws.String(r.URL()),
		Region:       "us-east-1",
		Credentials:  aws.AnonymousCredentials{},
	})
}

func TestAWSSDKClient(t *testing.T) {
	r, _ := startRunner(t, echoSpec("sdk"))
	c := lambdaClient(r)
	ctx := context.Background()

	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), Payload: []byte(`{"echo":"hi","log":"tail me"}`), LogType: types.LogTypeTail})
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if out.StatusCode != 200 || out.FunctionError != nil || !bytes.Contains(out.Payload, []byte(`"echo":"hi"`)) {
		t.Errorf("Invoke = %d %v %s", out.StatusCode, out.FunctionError, out.Payload)
	}
	if tail, _ := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult)); !strings.Contains(string(tail), "tail me") {
		t.Errorf("log result %q lacks the function's line", tail)
	}

	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("arn:aws:lambda:us-east-1:000000000000:function:sdk"), Payload: []byte(`{"fail":"nope"}`)})
	if err != nil {
		t.Fatalf("Invoke by ARN: %v", err)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" || !bytes.Contains(out.Payload, []byte(`"errorMessage":"nope"`)) {
		t.Errorf("failing invoke = %v %s, want Unhandled with the error document", out.FunctionError, out.Payload)
	}

	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("sdk"), InvocationType: types.InvocationTypeDryRun})
	if err != nil || out.StatusCode != 204 {
		t.Errorf("DryRun = %v, %v; want 204", out, err)
	}

	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("missing"), Payload: []byte(`{}`)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown function error = %v, want ResourceNotFoundException", err)
	}
}

func TestEventInvocations(t *testing.T) {
	r, err := New(echoSpec("async"))
	if err != nil {
		t.Fatal(err)
	}
	r.Output = &syncBuffer{}
	r.EventRetryDelays = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	failures := make(chan EventFailure, 1)
	r.OnEventFailure = func(f EventFailure) { failures <- f }
	if err := r.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	c := lambdaClient(r)
	ctx := context.Background()

	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"echo":1}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("Event invoke = %v, %v; want 202", out, err)
	}
	out, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("async"), InvocationType: types.InvocationTypeEvent, Payload: []byte(`{"fail":"always"}`)})
	if err != nil || out.StatusCode != 202 {
		t.Fatalf("failing Event invoke = %v, %v; want 202", out, err)
	}
	select {
	case f := <-failures:
		if f.Attempts != 3 || string(f.Payload) != `{"fail":"always"}` || f.Last.ErrorType != "errorString" {
			t.Errorf("failure = attempts %d payload %s type %s, want 3 attempts of the failing payload", f.Attempts, f.Payload, f.Last.ErrorType)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no on-failure callback after retries")
	}
	s, _ := r.Stats("async")
	if s.Invocations != 4 || s.Errors != 3 {
		t.Errorf("stats invocations=%d errors=%d, want 4 and 3 (1 ok + 3 attempts)", s.Invocations, s.Errors)
	}

	resp, err := http.Get(r.URL() + "/2015-03-31/functions/async/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var hs Stats
	if err := json.NewDecoder(resp.Body).Decode(&hs); err != nil || hs.Invocations != 4 {
		t.Errorf("GET stats = %+v, %v; want 4 invocations", hs, err)
	}
}

func TestCloseStopsProcesses(t *testing.T) {
	r, out := startRunner(t, echoSpec("closeme"))
	r.KillGrace = 2 * time.Second
	_, er := invokeEcho(t, r, "closeme", `{}`)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "sigterm received") {
		t.Errorf("function's SIGTERM hook did not run on Close:\n%s", out.String())
	}
	if strings.Contains(out.String(), "Failed to register internal extension") {
		t.Errorf("aws-lambda-go could not register its SIGTERM extension:\n%s", out.String())
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%d", er.PID)); err == nil {
		// The zombie is reaped by Wait in the runner; /proc entry must be gone.
		t.Errorf("process %d still exists after Close", er.PID)
	}
	if _, err := r.Invoke(context.Background(), "closeme", []byte(`{}`)); err == nil {
		t.Error("Invoke after Close succeeded, want an error")
	}
}

// BenchmarkInvokeWarm measures the runner's overhead per warm invoke of a
// trivial function (Go API, no Invoke API HTTP hop).
func BenchmarkInvokeWarm(b *testing.B) {
	r, err := New(echoSpec("bench"))
	if err != nil {
		b.Fatal(err)
	}
	r.Output = &syncBuffer{}
	if err := r.Start(context.Background(), "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	payload := []byte(`{"echo":1}`)
	if _, err := r.Invoke(context.Background(), "bench", payload); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := r.Invoke(context.Background(), "bench", payload)
		if err != nil || res.FunctionError != "" {
			b.Fatalf("invoke: %v %s", err, res.Payload)
		}
	}
}

// BenchmarkInvokeAPIWarm measures a warm invoke through the HTTP Invoke API
// with the aws-sdk-go-v2 client, as the scheduler and bridge call it.
func BenchmarkInvokeAPIWarm(b *testing.B) {
	r, err := New(echoSpec("bench"))
	if err != nil {
		b.Fatal(err)
	}
	r.Output = &syncBuffer{}
	if err := r.Start(context.Background(), "127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	c := lambdaClient(r)
	in := &lambda.InvokeInput{FunctionName: aws.String("bench"), Payload: []byte(`{"echo":1}`)}
	if _, err := c.Invoke(context.Background(), in); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Invoke(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
