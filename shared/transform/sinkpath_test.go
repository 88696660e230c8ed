package transform_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	connconfig "github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/transform"

	"github.com/serverless-kafka-connect/slkc/events"
)

type memDest struct{ got []connect.Record }

func (d *memDest) Write(_ context.Context, rs []connect.Record) error {
	d.got = append(d.got, rs...)
	return nil
}
func (d *memDest) Close() error { return nil }

type memProducer struct{ got []*kgo.Record }

func (p *memProducer) ProduceSync(_ context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	var res kgo.ProduceResults
	for _, r := range rs {
		p.got = append(p.got, r)
		res = append(res, kgo.ProduceResult{Record: r})
	}
	return res
}

type nopStatus struct{}

func (nopStatus) Put(context.Context, state.Status) error { return nil }

// TestSinkPathTransformFailure runs a real chain in the sink task: a record
// the chain cannot handle goes to the dead-letter topic with the context
// headers naming the transform alias and field (errors.tolerance=all), or
// fails the invocation (none); the good record is transformed and written.
func TestSinkPathTransformFailure(t *testing.T) {
	const typ = "org.apache.kafka.connect.transforms.MaskField$Value"
	chain, err := transform.NewChain(connconfig.Transforms{Aliases: []string{"mask"},
		Props: map[string]map[string]string{"mask": {"type": typ, "fields": "secret"}}})
	if err != nil {
		t.Fatal(err)
	}
	plain := map[string]string{"schemas.enable": "false"}
	kc, _ := convert.New(convert.JSONConverterClass, plain, true)
	vc, _ := convert.New(convert.JSONConverterClass, plain, false)
	b64 := func(s string) *string { e := base64.StdEncoding.EncodeToString([]byte(s)); return &e }
	ev := events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: map[string][]events.KafkaRecord{"t-0": {
		{Topic: "t", Partition: 0, Offset: 1, Timestamp: 1700000000000, TimestampType: "CREATE_TIME", Key: b64(`1`), Value: b64(`{"id":1,"secret":"s3"}`), Headers: []events.KafkaHeaders{}},
		{Topic: "t", Partition: 0, Offset: 2, Timestamp: 1700000000000, TimestampType: "CREATE_TIME", Key: b64(`2`), Value: b64(`"not an object"`), Headers: []events.KafkaHeaders{}},
	}}}
	for _, tolerance := range []string{sinktask.ToleranceAll, sinktask.ToleranceNone} {
		t.Run(tolerance, func(t *testing.T) {
			dest, prod := &memDest{}, &memProducer{}
			quiet := slog.New(slog.NewJSONHandler(io.Discard, nil))
			task := &sinktask.Task{Name: "s", Destination: dest, KeyConverter: kc, ValueConverter: vc,
				Transforms: chain, TransformClass: typ, Tolerance: tolerance, Status: nopStatus{},
				DLQ:    &dlq.Reporter{Client: prod, Topic: "s.dlq", Connector: "s", ContextHeaders: true, Logger: quiet},
				Logger: quiet, Metrics: io.Discard}
			_, err := task.Handle(context.Background(), ev)
			if tolerance == sinktask.ToleranceNone {
				if err == nil || !strings.Contains(err.Error(), `transform "mask"`) {
					t.Fatalf("Handle error = %v, want one naming the transform", err)
				}
				if len(prod.got) != 0 {
					t.Fatalf("dead-lettered %d with errors.tolerance=none", len(prod.got))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(dest.got) != 1 || dest.got[0].Value.(map[string]any)["secret"] != "" {
				t.Fatalf("written %+v, want record 1 with secret masked", dest.got)
			}
			if len(prod.got) != 1 {
				t.Fatalf("%d dead letters, want 1", len(prod.got))
			}
			h := map[string]string{}
			for _, x := range prod.got[0].Headers {
				h[x.Key] = string(x.Value)
			}
			if h[dlq.HeaderStage] != dlq.StageTransformation || h[dlq.HeaderClassName] != typ || h[dlq.HeaderOffset] != "2" ||
				!strings.Contains(h[dlq.HeaderExceptionMessage], `transform "mask" on t/0@2`) {
				t.Fatalf("dead letter headers %v", h)
			}
		})
	}
}
