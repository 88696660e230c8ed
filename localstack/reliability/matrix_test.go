package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// runBody is one randomized run of a matrix case. It returns the run's
// Duplicates and DeadLettered; Runs and Passes are filled by the caller.
type runBody func(t *testing.T, rng *rand.Rand) Figures

// runMatrix runs body n times as subtests run00, run01, ..., run i with the
// generator of seed+i (so SLKC_SEED replays every run), and adds each run's
// figures to case name in the tally.
func runMatrix(t *testing.T, name string, n int, body runBody) {
	t.Helper()
	seed := testSeed(t)
	for run := 0; run < n; run++ {
		runCase(t, name, fmt.Sprintf("run%02d", run), NewRand(seed+uint64(run)), body)
	}
}

// runCase runs body once as subtest sub and adds its figures to case name:
// one run, passed or not. A run that stops with Fatal counts no duplicates
// or dead letters, since what it saw is not trusted.
func runCase(t *testing.T, name, sub string, rng *rand.Rand, body runBody) {
	t.Helper()
	var f Figures
	ok := t.Run(sub, func(t *testing.T) { f = body(t, rng) })
	f.Runs, f.Passes = 1, b2i(ok)
	tally.Add(name, f)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// jsonConverters returns the key and value JsonConverters
// (schemas.enable=true) the source and sink tasks use.
func jsonConverters(t *testing.T) (key, value convert.Converter) {
	t.Helper()
	key, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, true)
	if err != nil {
		t.Fatal(err)
	}
	value, err = convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	return key, value
}

// newProxy starts a Proxy to target, closed at t's cleanup.
func newProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	px, err := NewProxy(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = px.Close() })
	return px
}

// dynamoVia is a DynamoDB client that reaches DynamoDB Local through px and
// makes at most attempts attempts per request, so a cut shows quickly.
func dynamoVia(t *testing.T, env *testenv.Env, px *Proxy, attempts int) *dynamodb.Client {
	t.Helper()
	return dynamodb.NewFromConfig(env.AWSConfig(t), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String("http://" + px.Addr())
		o.RetryMaxAttempts = attempts
	})
}

// mustHandle delivers recs to task in one invocation and stops the test
// unless every record was written; what names the delivery in the failure.
func mustHandle(t *testing.T, task *sinktask.Task, recs []*kgo.Record, what string) {
	t.Helper()
	resp, err := task.Handle(context.Background(), kafkaEvent(recs))
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("%s: %+v, %v", what, resp.BatchItemFailures, err)
	}
}

// deliverAll runs e over recs and stops the test when records are still
// undelivered after e.maxCalls invocations.
func (e *esm) deliverAll(t *testing.T, recs []*kgo.Record) {
	t.Helper()
	if pending := e.deliver(t, recs); len(pending) > 0 {
		t.Fatalf("records never delivered: %v (errors %v)", pending, e.errs)
	}
}

// deliverThroughOutage delivers recs to task as the event source mapping
// does (batches of 5 to 34) while px is cut from the first invocation until
// one of invocations 2 to 4, so service is away for 1 to 3 invocations.
// It asserts every record arrives, no failure is classified permanent, and
// at least one invocation failed (error or partial batch response) while
// service was cut.
func deliverThroughOutage(t *testing.T, rng *rand.Rand, task *sinktask.Task, px *Proxy, recs []*kgo.Record, service string) {
	t.Helper()
	cutFrom, cutTo := 1, 2+rng.IntN(3)
	e := &esm{task: task, batch: 5 + rng.IntN(30), maxCalls: 200, beforeCall: func(call int) {
		switch call {
		case cutFrom:
			px.Cut()
		case cutTo:
			px.Restore()
		}
	}}
	e.deliverAll(t, recs)
	px.Restore()
	for _, err := range e.errs {
		if errclass.IsPermanent(err) {
			t.Errorf("outage failure classified permanent: %v", err)
		}
	}
	if cutFrom <= e.calls && len(e.errs)+len(e.failures) == 0 {
		t.Errorf("no invocation failed while %s was cut (calls %d..%d of %d)", service, cutFrom, cutTo, e.calls)
	}
}

// checkDigest compares a target's digest (see tableDigest) with want.
func checkDigest(t *testing.T, target string, got, want []string) {
	t.Helper()
	if !equalStrings(got, want) {
		t.Errorf("%s has %d rows, want %d; first differences: %v", target, len(got), len(want), firstDiff(got, want))
	}
}

// onPage is a produce hook that sends every record and calls f first when
// the source produces page (the 1-based ProduceSync call).
func onPage(page int, f func()) func(call, n int) (int, error) {
	return func(call, n int) (int, error) {
		if call == page {
			f()
		}
		return n, nil
	}
}

// failedRetryably stops the test when a run under fault succeeded and
// flags a failure classified permanent: an outage must be retried.
func failedRetryably(t *testing.T, err error, fault string) {
	t.Helper()
	if err == nil {
		t.Fatalf("run with %s succeeded", fault)
	}
	if errclass.IsPermanent(err) {
		t.Errorf("%s classified permanent: %v", fault, err)
	}
}
