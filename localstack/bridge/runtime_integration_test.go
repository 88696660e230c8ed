package bridge

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/serverless-kafka-connect/slkc/localstack/runtime"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestSinkCrashMidBatchIsRetried runs the bridge against the real local
// runner, through the Invoke API and in process (RunnerInvoker, what
// slkc-local uses): the function process dies in the middle of the first
// batch; the runner reports Runtime.ExitError, the bridge retries the same
// batch in a fresh process, and every record is committed exactly after
// success.
func TestSinkCrashMidBatchIsRetried(t *testing.T) {
	env := testenv.New(t)
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", bin, "../runtime/testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build echo: %v\n%s", err, out)
	}
	for _, inProcess := range []bool{false, true} {
		t.Run(map[bool]string{false: "invoke API", true: "in process"}[inProcess], func(t *testing.T) {
			testSinkCrashMidBatch(t, env, bin, inProcess)
		})
	}
}

func testSinkCrashMidBatch(t *testing.T, env *testenv.Env, bin string, inProcess bool) {
	topic := env.Topic(t, 1)
	produce(t, env.Kafka(t), topic, 10, small)
	marker := filepath.Join(t.TempDir(), "crashed")
	r, client := startRunner(t, runtime.FunctionSpec{Name: "sink", Bootstrap: bin, Timeout: 5 * time.Second,
		Env: map[string]string{"ECHO_CRASH_ONCE": marker}})
	var inv Invoker = client
	if inProcess {
		inv = RunnerInvoker{Runner: r}
	}

	m := baseMapping(env, t, topic)
	m.ReportBatchItemFailures = true
	b, _ := runBridge(t, m, inv)
	waitFor(t, "commit of 10", func() bool { return committed(t, env.KafkaAdmin(t), m.ConsumerGroup, topic) == 10 })

	if _, err := os.Stat(marker); err != nil {
		t.Fatalf("the function never crashed: %v", err)
	}
	s, _ := r.Stats("sink")
	if s.Crashes != 1 || s.ColdStarts != 2 {
		t.Errorf("runner stats = crashes %d cold starts %d, want 1 and 2", s.Crashes, s.ColdStarts)
	}
	bs := b.Stats()
	if bs.Delivered != 10 || bs.Retries != 1 || bs.Failed != 0 {
		t.Errorf("bridge stats = %+v, want 10 delivered after 1 retry", bs)
	}
}

// startRunner serves spec on the local runtime (closed at cleanup) and
// returns it with a Lambda client pointed at it.
func startRunner(t *testing.T, spec runtime.FunctionSpec) (*runtime.Runner, LambdaInvoker) {
	t.Helper()
	r, err := runtime.New(spec)
	if err != nil {
		t.Fatal(err)
	}
	r.Output = io.Discard
	if err := r.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, LambdaInvoker{Client: lambda.New(lambda.Options{BaseEndpoint: aws.String(r.URL()), Region: "us-east-1", Credentials: aws.AnonymousCredentials{}})}
}
