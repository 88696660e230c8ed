package sinktask

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/transform"
)

func TestWorkersFor(t *testing.T) {
	tests := []struct {
		name            string
		workers, min, n int
		want            int
	}{
		{name: "below the threshold", workers: 4, min: 100, n: 99, want: 1},
		{name: "at the threshold", workers: 4, min: 100, n: 100, want: 4},
		// The README and the package doc say 128.
		{name: "below the default threshold", workers: 3, n: 127, want: 1},
		{name: "at the default threshold", workers: 3, n: 128, want: 3},
		{name: "one worker", workers: 1, min: 1, n: 1000, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			task := &Task{workers: tt.workers, parallelMin: tt.min}
			if got := task.workersFor(tt.n); got != tt.want {
				t.Fatalf("workersFor(%d) = %d, want %d", tt.n, got, tt.want)
			}
		})
	}
	// W = min(GOMAXPROCS, 4), as the README says.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for procs, want := range map[int]int{1: 1, 2: 2, 4: 4, 6: 4} {
		runtime.GOMAXPROCS(procs)
		if got := (&Task{}).workersFor(1 << 20); got != want {
			t.Errorf("GOMAXPROCS %d: W = %d, want %d", procs, got, want)
		}
	}
}

// mixConv is the real JsonConverter (schemas.enable=false) except that
// data starting with "poison" fails permanently and "later" fails as a
// schema registry that cannot be reached does (retryable).
type mixConv struct{ json Converter }

func (c mixConv) ToConnect(topic string, data []byte) (*connect.Schema, any, error) {
	switch {
	case bytes.HasPrefix(data, []byte("poison")):
		return nil, nil, errors.New("unexpected character 'p'")
	case string(data) == "later":
		return nil, nil, errclass.Retryable(errors.New("registry: registry unavailable"))
	}
	return c.json.ToConnect(topic, data)
}

// mixHeaders is SimpleHeaderConverter failing header "badh".
type mixHeaders struct{ HeaderConverter }

func (h mixHeaders) ToConnectHeader(topic, key string, value []byte) (*connect.Schema, any, error) {
	if key == "badh" {
		return nil, nil, fmt.Errorf("cannot parse %q", value)
	}
	return h.HeaderConverter.ToConnectHeader(topic, key, value)
}

// mixTransforms is dropTransform ("drop" is filtered, "badxform" fails)
// followed by a real chain: Filter of records with header "skip", then
// InsertField$Value, which fails on a value that is not a map.
type mixTransforms struct{ chain transform.Chain }

func (m mixTransforms) Apply(r connect.Record) (connect.Record, bool, error) {
	r, keep, err := dropTransform{}.Apply(r)
	if err != nil || !keep {
		return r, keep, err
	}
	return m.chain.Apply(r)
}

// randomEvent builds n records over topics "a" and "b" (3 partitions
// each) and the foreign topic "x"; rate is the share of records that are
// bad in one of the ways the task handles.
func randomEvent(rng *rand.Rand, n int, rate float64) events.KafkaEvent {
	next := map[string]int64{}
	var recs []events.KafkaRecord
	for i := range n {
		topic := []string{"a", "b"}[rng.IntN(2)]
		if rng.Float64() < rate/10 {
			topic = "x"
		}
		part := int32(rng.IntN(3))
		k := fmt.Sprintf("%s-%d", topic, part)
		off := next[k]
		next[k] += 1 + int64(rng.IntN(3)) // offsets with gaps
		value := fmt.Sprintf(`{"id":%d,"name":"n%d"}`, i, i)
		r := rec(topic, part, off, value)
		if rng.Float64() < rate {
			switch rng.IntN(12) {
			case 0:
				bad := "!!not base64"
				r.Value = &bad
			case 1:
				bad := "a"
				r.Key = &bad
			case 2:
				r.Value = b64("poison" + value)
			case 3:
				r.Key = b64("poisonkey")
			case 4:
				r.Value = b64("later")
			case 5:
				r.Value = b64(`"drop"`)
			case 6:
				r.Value = b64(`"badxform"`)
			case 7:
				r.Value = b64(`12`) // InsertField needs a map
			case 8:
				r.Headers = append(r.Headers, events.KafkaHeaders{"skip": events.ByteArray("1")})
			case 9:
				r.Headers = append(r.Headers, events.KafkaHeaders{"badh": events.ByteArray("x")})
			case 10:
				r.ValueSchemaMetadata = &events.SchemaMetadata{DataFormat: "JSON", SchemaID: "5"}
			case 11:
				r.KeySchemaMetadata = &events.SchemaMetadata{DataFormat: "AVRO", SchemaID: "5"}
				r.Key = b64(`{"k":1}`)
			}
		}
		if rng.IntN(50) == 0 {
			r.Value = nil // tombstone
		}
		recs = append(recs, r)
	}
	return event(recs...)
}

// outcomeOf is everything a Handle call leaves behind.
type outcomeOf struct {
	Resp    events.KafkaBatchResponse
	Err     string
	Written [][]connect.Record
	DLQ     []string
	Status  string
	Metrics string
	Logs    string
}

// mixSinks are where a mixTask's results go.
type mixSinks struct {
	dest          *fakeDest
	dlq           *fakeDLQ
	status        *fakeStatus
	metrics, logs *bytes.Buffer
}

// mixTask builds a task of the given workers with the mix converters and
// transforms; with failWrites the destination fails every record whose id
// ends in 17, permanently.
func mixTask(t *testing.T, workers int, tolerance, format string, rbif, failWrites bool) (*Task, mixSinks) {
	t.Helper()
	jsonConv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := convert.NewHeader(convert.SimpleHeaderConverterClass, nil)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := transform.NewChain(config.Transforms{
		Aliases: []string{"skip", "insert"},
		Props: map[string]map[string]string{
			"skip":   {"type": "org.apache.kafka.connect.transforms.Filter", "predicate": "hasSkip"},
			"insert": {"type": "org.apache.kafka.connect.transforms.InsertField$Value", "static.field": "src", "static.value": "lambda"},
		},
		Predicates:     []string{"hasSkip"},
		PredicateProps: map[string]map[string]string{"hasSkip": {"type": "org.apache.kafka.connect.transforms.predicates.HasHeaderKey", "name": "skip"}},
		Kind:           config.Sink,
	})
	if err != nil {
		t.Fatal(err)
	}
	out := mixSinks{dlq: &fakeDLQ{}, status: &fakeStatus{}, metrics: &bytes.Buffer{}, logs: &bytes.Buffer{}}
	out.dest = &fakeDest{fail: func(batch []connect.Record) error {
		if !failWrites {
			return nil
		}
		be := connectors.NewBatchError()
		for i, r := range batch {
			if m, ok := r.Value.(map[string]any); ok && strings.HasSuffix(fmt.Sprint(m["id"]), "17") {
				be.Fail(i, errclass.Permanent(errors.New("data too long for column")))
			}
		}
		if len(be.Failed) == 0 {
			return nil
		}
		return be
	}}
	task := &Task{Name: "s", Topics: []string{"a", "b"}, Destination: out.dest,
		KeyConverter: mixConv{stringConv{}}, ValueConverter: mixConv{jsonConv}, HeaderConverter: mixHeaders{hc},
		KeyConverterClass: "K", ValueConverterClass: "V", HeaderConverterClass: "H", TransformClass: "T", ConnectorClass: "C",
		Transforms: mixTransforms{chain}, Tolerance: tolerance, DLQ: out.dlq, Status: out.status, ReportBatchItemFailures: rbif,
		EventRecordFormat: format, LogErrors: true, LogIncludeMessages: true, Metrics: out.metrics,
		Logger: slog.New(slog.NewTextHandler(out.logs, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}})),
		Now:     func() time.Time { return time.Unix(1700000000, 0) },
		workers: workers, parallelMin: 1}
	return task, out
}

// handleWith handles ev with a mixTask.
func handleWith(t *testing.T, workers int, ev events.KafkaEvent, tolerance, format string, rbif, failWrites bool) outcomeOf {
	t.Helper()
	task, sinks := mixTask(t, workers, tolerance, format, rbif, failWrites)
	resp, err := task.Handle(context.Background(), ev)
	out := outcomeOf{Resp: resp, Written: sinks.dest.calls, Metrics: sinks.metrics.String(), Logs: sinks.logs.String()}
	if err != nil {
		out.Err = err.Error() + " class " + errclass.Name(err)
	}
	out.DLQ = failedText(sinks.dlq.got)
	for _, s := range sinks.status.got {
		le := s.LastError
		s.LastError = nil
		out.Status += fmt.Sprintf("%+v last error %+v\n", s, le)
	}
	return out
}

func failedText(fs []dlq.Failed) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%+v stage=%s class=%s err=%s errclass=%s", f.Original, f.Stage, f.Class, f.Err, errclass.Name(f.Err)))
	}
	return out
}

// TestHandleParallelEqualsSequential runs random events mixing good
// records with every kind of failure through the task with one worker
// (the sequential path) and with four, and requires the same batch
// written, response, error, dead letters in order, status, metrics and
// logs.
func TestHandleParallelEqualsSequential(t *testing.T) {
	for seed := range uint64(24) {
		rate := []float64{0, 0.003, 0.02, 0.15}[seed%4]
		rng := rand.New(rand.NewPCG(seed, 16))
		ev := randomEvent(rng, 150+rng.IntN(400), rate)
		for _, tolerance := range []string{ToleranceNone, ToleranceAll} {
			for _, format := range []string{"", events.EventRecordFormatJSON} {
				rbif := seed%3 != 0
				t.Run(fmt.Sprintf("seed%d/%s/format%q/rbif%v", seed, tolerance, format, rbif), func(t *testing.T) {
					t.Parallel()
					seq := handleWith(t, 1, ev, tolerance, format, rbif, rate > 0)
					par := handleWith(t, 4, ev, tolerance, format, rbif, rate > 0)
					if !reflect.DeepEqual(seq, par) {
						diffOutcomes(t, seq, par)
					}
					if rate == 0 && (seq.Err != "" || len(seq.DLQ) > 0) {
						t.Fatalf("clean event failed: %s %v", seq.Err, seq.DLQ)
					}
				})
			}
		}
	}
}

func diffOutcomes(t *testing.T, seq, par outcomeOf) {
	t.Helper()
	if !reflect.DeepEqual(seq.Resp, par.Resp) {
		t.Errorf("response: sequential %+v, parallel %+v", seq.Resp, par.Resp)
	}
	if seq.Err != par.Err {
		t.Errorf("error: sequential %q, parallel %q", seq.Err, par.Err)
	}
	if !reflect.DeepEqual(seq.Written, par.Written) {
		t.Errorf("written batches differ: sequential %d calls, parallel %d", len(seq.Written), len(par.Written))
	}
	if !slices.Equal(seq.DLQ, par.DLQ) {
		t.Errorf("dead letters differ: sequential %d, parallel %d", len(seq.DLQ), len(par.DLQ))
	}
	for _, f := range []struct{ name, a, b string }{{"status", seq.Status, par.Status}, {"metrics", seq.Metrics, par.Metrics}, {"logs", seq.Logs, par.Logs}} {
		if f.a != f.b {
			at := 0
			for at < min(len(f.a), len(f.b)) && f.a[at] == f.b[at] {
				at++
			}
			t.Errorf("%s differ from byte %d: sequential %.300q, parallel %.300q", f.name, at, f.a[at:], f.b[at:])
		}
	}
}

// TestHandleParallelStopsConvertingAStoppedPartition: with a schema
// registry down, errors.tolerance=none, every record of a partition fails
// at once, and the workers must not go on converting (each conversion
// would wait for the registry's timeout) past the first failure by more
// than the records already in flight.
func TestHandleParallelStopsConvertingAStoppedPartition(t *testing.T) {
	var calls atomic.Int64
	conv := countingConv{calls: &calls}
	var recs []events.KafkaRecord
	for i := range 2000 {
		recs = append(recs, rec("t", 0, int64(i), "later"))
	}
	task := &Task{Name: "s", Destination: &fakeDest{}, KeyConverter: stringConv{}, ValueConverter: conv,
		ReportBatchItemFailures: true, workers: 4, parallelMin: 1}
	resp, err := task.Handle(context.Background(), event(recs...))
	if err != nil {
		t.Fatal(err)
	}
	if want := fails(id("t", 0, 0)); !reflect.DeepEqual(resp.BatchItemFailures, want) {
		t.Fatalf("failures %+v, want %+v", resp.BatchItemFailures, want)
	}
	// Chunks are handed out in ascending order, so after its first
	// failure a worker only meets records past a known stop: each of the
	// 4 workers converts at most one record.
	if n := calls.Load(); n > 4 {
		t.Fatalf("%d conversions for a partition that stops at its first record, want at most 4", n)
	}
}

// countingConv counts conversions and fails them all as an unreachable
// schema registry does.
type countingConv struct{ calls *atomic.Int64 }

func (c countingConv) ToConnect(string, []byte) (*connect.Schema, any, error) {
	c.calls.Add(1)
	return nil, nil, errclass.Retryable(errors.New("registry: registry unavailable"))
}

// referencePrepare is prepare as it was before the conversion ran on
// several goroutines, one partition at a time, kept verbatim as the
// oracle of TestPrepareMatchesReference.
func referencePrepare(t *Task, p *partState, r *run) {
	topicErr := t.checkTopic(p.topic)
	for i, raw := range p.raws {
		var consumeErr error
		switch {
		case topicErr != nil:
			consumeErr = fmt.Errorf("%s/%d@%d: %w", raw.Topic, raw.Partition, raw.Offset, topicErr)
		case p.bad != nil && p.bad[i] != nil:
			consumeErr = p.bad[i]
		}
		if consumeErr != nil {
			consumeErr = errclass.Data(consumeErr)
			if !t.tolerateAll() {
				p.stop(raw.Offset, dlq.StageKafkaConsume, fmt.Errorf("%s: %w", dlq.StageKafkaConsume, consumeErr))
				return
			}
			r.failed = append(r.failed, failure{part: p, f: dlq.Failed{Original: raw, Stage: dlq.StageKafkaConsume, Class: t.ConnectorClass, Err: consumeErr}})
			continue
		}
		rec, keep, stage, err := t.convert(raw, p.metaAt(i))
		if err != nil {
			if !t.tolerateAll() || errclass.IsRetryable(err) {
				p.stop(raw.Offset, stage, fmt.Errorf("%s: %w", stage, err))
				return
			}
			r.failed = append(r.failed, failure{part: p, f: dlq.Failed{Original: raw, Stage: stage, Class: t.stageClass(stage), Err: err}})
			continue
		}
		if !keep {
			r.filtered++
			continue
		}
		r.batch = append(r.batch, rec)
		r.owner = append(r.owner, p)
		r.origin = append(r.origin, raw)
	}
}

// preparedText is everything prepare leaves in r, as text.
func preparedText(r *run) string {
	var b strings.Builder
	fmt.Fprintf(&b, "filtered %d\n", r.filtered)
	for i, rec := range r.batch {
		fmt.Fprintf(&b, "batch %s %#v %#v %#v %v owner %s origin %+v\n", rec.Where(), rec.Key, rec.Value, rec.Headers, rec.Timestamp, r.owner[i].key, r.origin[i])
	}
	for _, f := range r.failed {
		fmt.Fprintf(&b, "failed %s %q\n", f.part.key, failedText([]dlq.Failed{f.f}))
	}
	for _, p := range r.parts {
		fmt.Fprintf(&b, "part %s stopped %v at %d stage %s err %v\n", p.key, p.stopped, p.stopAt, p.stopStage, p.stopErr)
	}
	return b.String()
}

// TestPrepareMatchesReference decodes and prepares random events with one
// and with four workers and compares the batch, the failures in order,
// the filtered count and every partition's stop with those of the
// pre-parallel prepare on the same decoded records.
func TestPrepareMatchesReference(t *testing.T) {
	for seed := range uint64(24) {
		rate := []float64{0.003, 0.02, 0.15}[seed%3]
		rng := rand.New(rand.NewPCG(seed, 61))
		ev := randomEvent(rng, 150+rng.IntN(400), rate)
		for _, tolerance := range []string{ToleranceNone, ToleranceAll} {
			for _, workers := range []int{1, 4} {
				t.Run(fmt.Sprintf("seed%d/%s/w%d", seed, tolerance, workers), func(t *testing.T) {
					task, _ := mixTask(t, workers, tolerance, events.EventRecordFormatJSON, true, false)
					prepared := func(prep func(r *run)) string {
						groups, err := decodeEvent(ev, task.workersFor)
						if err != nil {
							t.Fatal(err)
						}
						r := &run{}
						for _, g := range groups {
							r.parts = append(r.parts, &partState{group: g})
						}
						prep(r)
						return preparedText(r)
					}
					want := prepared(func(r *run) {
						for _, p := range r.parts {
							referencePrepare(task, p, r)
						}
					})
					if got := prepared(task.prepare); got != want {
						at := 0
						for at < min(len(got), len(want)) && got[at] == want[at] {
							at++
						}
						t.Fatalf("prepare differs from byte %d: got %.300q, want %.300q", at, got[at:], want[at:])
					}
				})
			}
		}
	}
}

// TestHandleParallelRegistryConverters runs records of the real schema
// registry converters (Avro, Protobuf, JSON Schema on franz-go's srfake
// registry) through Handle with four workers and converters whose caches
// are cold, so the schema fetches and cache fills race (run with -race),
// and compares the batch with the one of a single worker.
func TestHandleParallelRegistryConverters(t *testing.T) {
	reg := srfake.New()
	t.Cleanup(reg.Close)
	props := map[string]string{"schema.registry.url": reg.URL()}
	s := connect.NewStructSchema("shop.Order", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "item", Schema: connect.Primitive(connect.String)})
	for _, class := range []string{convert.AvroConverterClass, convert.ProtobufConverterClass, convert.JSONSchemaConverterClass} {
		t.Run(class, func(t *testing.T) {
			producer, err := convert.New(class, props, false)
			if err != nil {
				t.Fatal(err)
			}
			var recs []events.KafkaRecord
			for i := range 300 {
				v := connect.NewStruct(s)
				if err := errors.Join(v.Put("id", int64(i)), v.Put("item", fmt.Sprint("tea ", i))); err != nil {
					t.Fatal(err)
				}
				data, err := producer.FromConnect("t", s, v)
				if err != nil {
					t.Fatal(err)
				}
				r := rec("t", int32(i%3), int64(i), "x")
				r.Value = b64(string(data))
				recs = append(recs, r)
			}
			ev := event(recs...)
			written := func(workers int) []connect.Record {
				conv, err := convert.New(class, props, false) // cold caches
				if err != nil {
					t.Fatal(err)
				}
				dest := &fakeDest{}
				task := &Task{Name: "s", Destination: dest, KeyConverter: stringConv{}, ValueConverter: conv,
					workers: workers, parallelMin: 1}
				if _, err := task.Handle(context.Background(), ev); err != nil {
					t.Fatal(err)
				}
				return dest.calls[0]
			}
			want, got := written(1), written(4)
			if len(want) != len(recs) || !reflect.DeepEqual(got, want) {
				t.Fatalf("four workers wrote %d records, one %d of %d, or they differ", len(got), len(want), len(recs))
			}
		})
	}
}
