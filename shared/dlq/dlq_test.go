package dlq

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

func headerMap(hs []kgo.RecordHeader) map[string]string {
	m := map[string]string{}
	for _, h := range hs {
		m[h.Key] = string(h.Value)
	}
	return m
}

func TestRecord(t *testing.T) {
	ts := time.UnixMilli(1700000000123)
	orig := Raw{
		Topic: "orders", Partition: 3, Offset: 42, Timestamp: ts,
		Key: []byte(`{"id":1}`), Value: []byte(`not json`),
		Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}},
	}
	cause := errclass.Data(fmt.Errorf("convert value: %w", errors.New("unexpected token")))
	tests := []struct {
		name        string
		contextHdrs bool
		failed      Failed
		want        map[string]string
		wantCount   int
	}{
		{
			name:      "original only without context headers",
			failed:    Failed{Original: orig, Stage: StageValueConverter, Class: "org.apache.kafka.connect.json.JsonConverter", Err: cause},
			want:      map[string]string{"trace": "abc"},
			wantCount: 1,
		},
		{
			name:        "context headers",
			contextHdrs: true,
			failed:      Failed{Original: orig, Stage: StageValueConverter, Class: "org.apache.kafka.connect.json.JsonConverter", Err: cause},
			want: map[string]string{
				"trace":                  "abc",
				HeaderTopic:              "orders",
				HeaderPartition:          "3",
				HeaderOffset:             "42",
				HeaderConnectorName:      "orders-sink",
				HeaderTaskID:             "0",
				HeaderStage:              "VALUE_CONVERTER",
				HeaderClassName:          "org.apache.kafka.connect.json.JsonConverter",
				HeaderExceptionClassName: "org.apache.kafka.connect.errors.DataException",
				HeaderExceptionMessage:   "convert value: unexpected token",
				HeaderExceptionTrace: "org.apache.kafka.connect.errors.DataException: convert value: unexpected token\n" +
					"Caused by: *fmt.wrapError: convert value: unexpected token\n" +
					"Caused by: *errors.errorString: unexpected token",
			},
			wantCount: 11,
		},
		{
			name:        "context headers of an earlier failure are replaced, not kept or duplicated",
			contextHdrs: true,
			failed: Failed{
				Original: Raw{Topic: "t", Partition: 0, Offset: 7, Headers: []kgo.RecordHeader{
					{Key: "trace", Value: []byte("abc")},
					{Key: HeaderTopic, Value: []byte("upstream")},
					{Key: HeaderExceptionMessage, Value: []byte("old failure")},
					{Key: HeaderPrefix + "custom", Value: []byte("stale")},
				}},
				Stage: StageTaskPut, Class: "io.slkc.connect.mysql.MySqlSinkConnector", Err: errclass.Permanent(errors.New("row too long")),
			},
			want: map[string]string{
				"trace":                  "abc",
				HeaderTopic:              "t",
				HeaderOffset:             "7",
				HeaderStage:              "TASK_PUT",
				HeaderExceptionMessage:   "row too long",
				HeaderExceptionClassName: "org.apache.kafka.connect.errors.ConnectException",
				HeaderPrefix + "custom":  "",
			},
			wantCount: 11,
		},
		{
			name: "without context headers earlier ones stay as they are",
			failed: Failed{
				Original: Raw{Topic: "t", Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("abc")}, {Key: HeaderTopic, Value: []byte("upstream")}}},
				Stage:    StageTaskPut, Err: errors.New("x"),
			},
			want:      map[string]string{HeaderTopic: "upstream"},
			wantCount: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Reporter{Topic: "dlq", Connector: "orders-sink", ContextHeaders: tt.contextHdrs}
			rec := r.Record(tt.failed)
			if rec.Topic != "dlq" {
				t.Errorf("topic = %q, want dlq", rec.Topic)
			}
			if string(rec.Key) != string(tt.failed.Original.Key) || string(rec.Value) != string(tt.failed.Original.Value) {
				t.Errorf("key/value = %q/%q, want the original bytes", rec.Key, rec.Value)
			}
			if !rec.Timestamp.Equal(tt.failed.Original.Timestamp) {
				t.Errorf("timestamp = %v, want %v", rec.Timestamp, tt.failed.Original.Timestamp)
			}
			if len(rec.Headers) != tt.wantCount {
				t.Errorf("%d headers, want %d: %v", len(rec.Headers), tt.wantCount, headerMap(rec.Headers))
			}
			got := headerMap(rec.Headers)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("header %s = %q, want %q", k, got[k], v)
				}
			}
			if tt.contextHdrs && rec.Headers[0].Key != tt.failed.Original.Headers[0].Key {
				t.Errorf("first header = %q, want the original headers first", rec.Headers[0].Key)
			}
		})
	}
}

func TestRecordKeepsOriginalHeadersUntouched(t *testing.T) {
	hs := make([]kgo.RecordHeader, 1, 10)
	hs[0] = kgo.RecordHeader{Key: "a", Value: []byte("1")}
	r := &Reporter{Topic: "dlq", ContextHeaders: true}
	_ = r.Record(Failed{Original: Raw{Topic: "t", Headers: hs}, Stage: StageTaskPut, Err: errors.New("x")})
	if got := hs[:cap(hs)][1].Key; got != "" {
		t.Fatalf("Record wrote into the caller's header array (%q)", got)
	}
}

type failingProducer struct{ failAt map[int]error }

func (p failingProducer) ProduceSync(_ context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	out := make(kgo.ProduceResults, len(rs))
	for i, r := range rs {
		out[i] = kgo.ProduceResult{Record: r, Err: p.failAt[i]}
	}
	return out
}

// explainingProducer adds its Explain to failingProducer, as shared/kafka's
// Producer explains a batch refused as too large.
type explainingProducer struct{ failingProducer }

func (explainingProducer) Explain(topic string, err error) error {
	return fmt.Errorf("explained for %s: %w", topic, err)
}

func TestReportErrors(t *testing.T) {
	fs := []Failed{
		{Original: Raw{Topic: "orders", Partition: 1, Offset: 10}, Stage: StageTaskPut, Err: errors.New("a")},
		{Original: Raw{Topic: "orders", Partition: 2, Offset: 20}, Stage: StageTaskPut, Err: errors.New("b")},
	}
	tests := []struct {
		name    string
		r       Reporter
		fs      []Failed
		wantErr []string
	}{
		{name: "nothing to report", r: Reporter{Client: failingProducer{}}, fs: nil},
		{name: "all acknowledged", r: Reporter{Client: failingProducer{}, Topic: "dlq"}, fs: fs},
		{name: "no topic", r: Reporter{Client: failingProducer{}}, fs: fs, wantErr: []string{"errors.deadletterqueue.topic.name"}},
		{name: "one failure names the record", r: Reporter{Client: failingProducer{failAt: map[int]error{1: errors.New("broker down")}}, Topic: "dlq"}, fs: fs,
			wantErr: []string{`orders/2@20 to dead letter queue topic "dlq": broker down`}},
		{name: "the producer explains its error", r: Reporter{Client: explainingProducer{failingProducer{failAt: map[int]error{1: errors.New("too large")}}}, Topic: "dlq"}, fs: fs,
			wantErr: []string{`orders/2@20 to dead letter queue topic "dlq": explained for dlq: too large`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.r.Report(context.Background(), tt.fs)
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Report() = %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Report() = nil, want error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Report() = %q, want it to contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "orders/1@10") {
				t.Errorf("Report() = %q names a record that was written", err)
			}
		})
	}
}

// TestReportKfake produces through a real client to kfake, creating the
// topic with EnsureTopic, and reads the dead-letter records back.
func TestReportKfake(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := &Reporter{Client: cl, Topic: "connect-dlq", Connector: "sink", ContextHeaders: true}
	if err := r.EnsureTopic(ctx, kadm.NewClient(cl), 1); err != nil {
		t.Fatal(err)
	}
	fs := []Failed{
		{Original: Raw{Topic: "orders", Partition: 0, Offset: 5, Key: []byte("k1"), Value: []byte("v1")}, Stage: StageValueConverter, Err: errors.New("bad json")},
		{Original: Raw{Topic: "orders", Partition: 1, Offset: 6, Key: []byte("k2"), Value: nil}, Stage: StageTaskPut, Err: errors.New("too long")},
	}
	if err := r.Report(ctx, fs); err != nil {
		t.Fatal(err)
	}
	consumer, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("connect-dlq"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	var got []*kgo.Record
	for len(got) < 2 && ctx.Err() == nil {
		consumer.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got = append(got, r) })
	}
	if len(got) != 2 {
		t.Fatalf("read %d dead-letter records, want 2", len(got))
	}
	for i, rec := range got {
		h := headerMap(rec.Headers)
		if string(rec.Key) != string(fs[i].Original.Key) || h[HeaderOffset] != fmt.Sprint(fs[i].Original.Offset) || h[HeaderStage] != fs[i].Stage {
			t.Errorf("record %d: key %q offset header %q stage %q, want %q %d %s", i, rec.Key, h[HeaderOffset], h[HeaderStage], fs[i].Original.Key, fs[i].Original.Offset, fs[i].Stage)
		}
	}
	if got[1].Value != nil {
		t.Errorf("tombstone value = %q, want null", got[1].Value)
	}
}
