package sinktask

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// streamDest is a fakeDest that also takes batches streamed: it reads
// every part, then records and judges the whole batch as Write does.
type streamDest struct {
	*fakeDest
	mu sync.Mutex
	// parts are the lengths of the parts of each WriteStream call.
	parts [][]int
	// firstPart, when not nil, is closed once the first part has arrived.
	firstPart chan struct{}
	// ended is the error Next ended the last stream with.
	ended error
}

func (d *streamDest) WriteStream(ctx context.Context, s *connectors.Stream) error {
	var lens []int
	defer func() {
		d.mu.Lock()
		d.parts = append(d.parts, lens)
		d.mu.Unlock()
	}()
	for {
		part, from, err := s.Next(ctx)
		if err != nil {
			d.mu.Lock()
			d.ended = err
			d.mu.Unlock()
			if !errors.Is(err, io.EOF) {
				return err
			}
			return d.Write(ctx, s.Taken())
		}
		if from != sum(lens) {
			return fmt.Errorf("part at batch index %d, want %d", from, sum(lens))
		}
		if len(lens) == 0 && d.firstPart != nil {
			close(d.firstPart)
		}
		lens = append(lens, len(part))
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// TestHandleStreamedEqualsWrite runs random events big enough to be
// streamed, mixing good records with every kind of failure, through a
// destination that takes streams and one that does not, and requires the
// same outcome: batch written, response, error, dead letters, status,
// metrics and logs.
func TestHandleStreamedEqualsWrite(t *testing.T) {
	for seed := range uint64(8) {
		rate := []float64{0, 0.002, 0.02, 0.1}[seed%4]
		rng := rand.New(rand.NewPCG(seed, 99))
		ev := randomEvent(rng, 2*streamFirst+1+rng.IntN(2000), rate)
		for _, tolerance := range []string{ToleranceNone, ToleranceAll} {
			rbif := seed%3 != 0
			t.Run(fmt.Sprintf("seed%d/%s/rbif%v", seed, tolerance, rbif), func(t *testing.T) {
				t.Parallel()
				plain := handleWith(t, 4, ev, tolerance, events.EventRecordFormatJSON, rbif, rate > 0)
				task, sinks := mixTask(t, 4, tolerance, events.EventRecordFormatJSON, rbif, rate > 0)
				sd := &streamDest{fakeDest: sinks.dest}
				task.Destination = sd
				streamed := handleInto(task, sinks, ev)
				if !reflect.DeepEqual(plain, streamed) {
					diffOutcomes(t, plain, streamed)
				}
				if len(sd.parts) != 1 {
					t.Fatalf("%d streams, want 1 (the first attempt)", len(sd.parts))
				}
				if sum(sd.parts[0]) != len(plain.Written[0]) {
					t.Errorf("parts %v hold %d records, the batch %d", sd.parts[0], sum(sd.parts[0]), len(plain.Written[0]))
				}
			})
		}
	}
}

// TestHandleStreamOverlapsConversion checks that the write starts while
// records are still being converted: the conversion of a record past the
// first segment waits until the destination has the first part, which
// would never happen (the test would time out) if the batch were handed
// over only once converted.
func TestHandleStreamOverlapsConversion(t *testing.T) {
	first := make(chan struct{})
	sd := &streamDest{fakeDest: &fakeDest{}, firstPart: first}
	var waited time.Duration
	gate := fmt.Sprint("v", 2*streamFirst+10)
	task := &Task{Name: "s", Destination: sd, KeyConverter: stringConv{}, ValueConverter: hookConv{at: gate, hook: func() error {
		start := time.Now()
		defer func() { waited = time.Since(start) }()
		select {
		case <-first:
			return nil
		case <-time.After(10 * time.Second):
			return errors.New("the destination never got the first part while records were converted")
		}
	}}}
	var recs []events.KafkaRecord
	for i := range 3 * streamFirst {
		recs = append(recs, rec("t", 0, int64(i), fmt.Sprint("v", i)))
	}
	resp, err := task.Handle(context.Background(), event(recs...))
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("Handle: %v %+v", err, resp)
	}
	if len(sd.calls) != 1 || len(sd.calls[0]) != len(recs) {
		t.Fatalf("written %d batches", len(sd.calls))
	}
	if len(sd.parts[0]) < 2 || sd.parts[0][0] > streamFirst {
		t.Errorf("parts %v: want a first part of at most %d records and more parts after it", sd.parts[0], streamFirst)
	}
	t.Logf("record %s waited %v for the first part; parts %v", gate, waited, sd.parts[0])
}

// TestHandleStreamAbortedOnPanic: a conversion that panics aborts the
// stream, so the destination commits nothing, and Handle waits for it.
func TestHandleStreamAbortedOnPanic(t *testing.T) {
	sd := &streamDest{fakeDest: &fakeDest{}}
	task := &Task{Name: "s", Destination: sd, KeyConverter: stringConv{}, ValueConverter: hookConv{at: fmt.Sprint("v", 2*streamFirst+100), hook: func() error {
		panic("converter bug")
	}}}
	var recs []events.KafkaRecord
	for i := range 3 * streamFirst {
		recs = append(recs, rec("t", 0, int64(i), fmt.Sprint("v", i)))
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Handle did not panic")
			}
		}()
		_, _ = task.Handle(context.Background(), event(recs...))
	}()
	if !errors.Is(sd.ended, connectors.ErrStreamAborted) {
		t.Errorf("stream ended with %v, want ErrStreamAborted", sd.ended)
	}
	if len(sd.calls) != 0 {
		t.Errorf("the destination wrote %d batches of an aborted stream", len(sd.calls))
	}
}

// TestHandleStreamedRetry: a retriable failure reported by the streamed
// first attempt is retried with Write, from the partition's stop.
func TestHandleStreamedRetry(t *testing.T) {
	var recs []events.KafkaRecord
	for i := range 3 * streamFirst {
		recs = append(recs, rec("t", int32(i%2), int64(i/2), fmt.Sprint("v", i)))
	}
	attempts := 0
	sd := &streamDest{fakeDest: &fakeDest{fail: func(batch []connect.Record) error {
		attempts++
		if attempts > 1 {
			return nil
		}
		return failAt(map[string]error{"v901": errclass.Retryable(errors.New("lock wait timeout"))})(batch)
	}}}
	task := &Task{Name: "s", Destination: sd, KeyConverter: stringConv{}, ValueConverter: stringConv{}, ReportBatchItemFailures: true,
		Retry: Retry{MaxRetries: 1, Sleep: func(context.Context, time.Duration) error { return nil }}}
	resp, err := task.Handle(context.Background(), event(recs...))
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("Handle: %v %+v", err, resp)
	}
	if len(sd.parts) != 1 || len(sd.calls) != 2 {
		t.Fatalf("%d streams and %d writes, want 1 stream then 1 write", len(sd.parts), len(sd.calls))
	}
	// v901 is partition 1, offset 450: the retry writes partition 1 from
	// there, 318 records.
	retried := values(sd.calls[1])
	if len(retried) != 318 || retried[0] != "t/1@450=v901" {
		t.Errorf("retry wrote %d records from %q, want 318 from v901", len(retried), retried[0])
	}
}

// hookConv is stringConv that calls hook before converting the value at.
type hookConv struct {
	at   string
	hook func() error
}

func (c hookConv) ToConnect(topic string, data []byte) (*connect.Schema, any, error) {
	if string(data) == c.at {
		if err := c.hook(); err != nil {
			return nil, nil, err
		}
	}
	return stringConv{}.ToConnect(topic, data)
}

// panicStream is a StreamWriter with a bug.
type panicStream struct{ *fakeDest }

func (panicStream) WriteStream(context.Context, *connectors.Stream) error { panic("writer bug") }

// TestHandleStreamWriterPanicRaisedOnHandle: a panic in WriteStream, which
// runs on its own goroutine, is raised again by Handle, as one in Write
// would be, instead of ending the process.
func TestHandleStreamWriterPanicRaisedOnHandle(t *testing.T) {
	task := &Task{Name: "s", Destination: panicStream{&fakeDest{}}, KeyConverter: stringConv{}, ValueConverter: stringConv{}}
	var recs []events.KafkaRecord
	for i := range 3 * streamFirst {
		recs = append(recs, rec("t", 0, int64(i), fmt.Sprint("v", i)))
	}
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "writer bug") {
			t.Errorf("Handle raised %v, want the writer's panic", v)
		}
	}()
	_, _ = task.Handle(context.Background(), event(recs...))
	t.Error("Handle returned after a panic in WriteStream")
}
