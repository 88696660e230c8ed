package convert_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/big"
	"net"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/events"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/dlq"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

func avroConv(t *testing.T, url string, props map[string]string) convert.Converter {
	t.Helper()
	p := map[string]string{"schema.registry.url": url}
	for k, v := range props {
		p[k] = v
	}
	c, err := convert.New(convert.AvroConverterClass, p, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func itemSchema(extra ...connect.Field) *connect.Schema {
	fields := append([]connect.Field{
		{Name: "id", Schema: connect.Primitive(connect.Int64)},
		{Name: "price", Schema: connect.DecimalSchema(2, 10)},
	}, extra...)
	return connect.NewStructSchema("shop.Item", fields...)
}

func TestAvroOnRealRegistry(t *testing.T) {
	url := testenv.SchemaRegistry(t)
	topic := testenv.UniqueName(t, "avro", 100)
	c := avroConv(t, url, nil)
	ctx := context.Background()
	client, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	subject := topic + "-value"
	if res := client.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatBackward}, subject); res[0].Err != nil {
		t.Fatalf("setting BACKWARD compatibility on %s: %v", subject, res[0].Err)
	}

	s1 := itemSchema()
	v1 := &connect.StructValue{Schema: s1, Values: []any{int64(1), connect.Decimal{Unscaled: bigInt(1999), Scale: 2}}}
	b1, err := c.FromConnect(topic, s1, v1)
	if err != nil {
		t.Fatal(err)
	}
	id1 := int(binary.BigEndian.Uint32(b1[1:5]))
	t.Run("registered and read back", func(t *testing.T) {
		got, err := client.SchemaByID(ctx, id1)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(got.Schema, `"connect.name":"shop.Item"`) || !strings.Contains(got.Schema, `"logicalType":"decimal"`) {
			t.Errorf("registry holds %s", got.Schema)
		}
		// A fresh converter knows nothing: it fetches the schema by id.
		s, v, err := avroConv(t, url, nil).ToConnect(topic, b1)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := jsonEnvelope(t, s, v), jsonEnvelope(t, s1, v1); got != want {
			t.Errorf("read back\n got %s\nwant %s", got, want)
		}
	})
	t.Run("compatible evolution gets a new id", func(t *testing.T) {
		s2 := itemSchema(connect.Field{Name: "note", Schema: connect.Primitive(connect.String).Optionally()})
		b2, err := c.FromConnect(topic, s2, &connect.StructValue{Schema: s2, Values: []any{int64(2), connect.Decimal{Unscaled: bigInt(5), Scale: 2}, "n"}})
		if err != nil {
			t.Fatal(err)
		}
		if id2 := int(binary.BigEndian.Uint32(b2[1:5])); id2 == id1 {
			t.Errorf("evolved schema has the old id %d", id1)
		}
	})
	t.Run("incompatible evolution is a permanent error", func(t *testing.T) {
		s3 := itemSchema(connect.Field{Name: "required", Schema: connect.Primitive(connect.String)})
		_, err := c.FromConnect(topic, s3, &connect.StructValue{Schema: s3, Values: []any{int64(3), connect.Decimal{Unscaled: bigInt(5), Scale: 2}, "r"}})
		if err == nil || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 409") || !strings.Contains(err.Error(), subject) {
			t.Fatalf("got %v, want a permanent HTTP 409 error naming %s", err, subject)
		}
	})
	t.Run("unknown id is a permanent error", func(t *testing.T) {
		bad := binary.BigEndian.AppendUint32([]byte{0}, 987654321)
		_, _, err := c.ToConnect(topic, append(bad, b1[5:]...))
		if err == nil || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), "schema id 987654321") {
			t.Fatalf("got %v, want a permanent error naming the id", err)
		}
	})
}

func bigInt(n int64) *big.Int { return big.NewInt(n) }

var jsonEnvelope = convert.AvroTestEnvelope

// TestRegistrySinkErrorsFollowTolerance runs records through the sink
// task with the real registry, for each registry converter: bad records
// are named by topic/partition@offset and go to the dead-letter queue
// (errors.tolerance=all) or stop the partition (none); an unreachable
// registry is retried, never dead-lettered.
func TestRegistrySinkErrorsFollowTolerance(t *testing.T) {
	url := testenv.SchemaRegistry(t)
	for _, class := range []string{convert.AvroConverterClass, convert.JSONSchemaConverterClass, convert.ProtobufConverterClass} {
		t.Run(class[strings.LastIndex(class, ".")+1:], func(t *testing.T) {
			topic := testenv.UniqueName(t, "sink", 100)
			c := registryConv(t, class, url)
			s := itemSchema()
			good, err := c.FromConnect(topic, s, &connect.StructValue{Schema: s, Values: []any{int64(1), connect.Decimal{Unscaled: bigInt(100), Scale: 2}}})
			if err != nil {
				t.Fatal(err)
			}
			unknown := append(binary.BigEndian.AppendUint32([]byte{0}, 987654320), good[5:]...)
			ev := kafkaEvent(topic, good, []byte(`{"id":1}`), unknown, good)

			t.Run("tolerance all dead-letters bad records", func(t *testing.T) {
				dest, q := &memDest{}, &memDLQ{}
				task := &sinktask.Task{Name: "n", Destination: dest, KeyConverter: c, ValueConverter: c, Tolerance: sinktask.ToleranceAll, DLQ: q, ReportBatchItemFailures: true}
				resp, err := task.Handle(context.Background(), ev)
				if err != nil || len(resp.BatchItemFailures) != 0 {
					t.Fatalf("Handle = %+v, %v", resp, err)
				}
				if dest.n != 2 || len(q.got) != 2 {
					t.Fatalf("wrote %d, dead-lettered %d; want 2 and 2", dest.n, len(q.got))
				}
				for i, want := range []string{topic + "/0@1", topic + "/0@2"} {
					if msg := q.got[i].Err.Error(); !strings.Contains(msg, want) {
						t.Errorf("dead letter %d: %q does not name %s", i, msg, want)
					}
				}
				if msg := q.got[0].Err.Error(); !strings.Contains(msg, "magic byte") {
					t.Errorf("no-magic error: %q", msg)
				}
				if msg := q.got[1].Err.Error(); !strings.Contains(msg, "987654320") {
					t.Errorf("unknown-id error: %q", msg)
				}
			})
			t.Run("tolerance none stops at the first bad record", func(t *testing.T) {
				task := &sinktask.Task{Name: "n", Destination: &memDest{}, KeyConverter: c, ValueConverter: c, ReportBatchItemFailures: true}
				resp, err := task.Handle(context.Background(), ev)
				if err != nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier.Offset != 1 {
					t.Fatalf("Handle = %+v, %v; want a failure at offset 1", resp, err)
				}
			})
			t.Run("registry down is retried, not dead-lettered", func(t *testing.T) {
				down := registryConv(t, class, "http://"+closedAddr(t))
				q := &memDLQ{}
				task := &sinktask.Task{Name: "n", Destination: &memDest{}, KeyConverter: down, ValueConverter: down, Tolerance: sinktask.ToleranceAll, DLQ: q}
				_, err := task.Handle(context.Background(), ev)
				if err == nil || !strings.Contains(err.Error(), topic+"/0@0") || !strings.Contains(err.Error(), "registry unavailable") || len(q.got) != 0 {
					t.Fatalf("got %v with %d dead letters; want the invocation to fail naming %s/0@0", err, len(q.got), topic)
				}
			})
		})
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func kafkaEvent(topic string, values ...[]byte) events.KafkaEvent {
	var recs []events.KafkaRecord
	for i, v := range values {
		enc := base64.StdEncoding.EncodeToString(v)
		recs = append(recs, events.KafkaRecord{Topic: topic, Partition: 0, Offset: int64(i), Timestamp: 1700000000000,
			TimestampType: "CREATE_TIME", Value: &enc})
	}
	return events.KafkaEvent{EventSource: events.SourceSelfManaged, Records: map[string][]events.KafkaRecord{fmt.Sprintf("%s-0", topic): recs}}
}

type memDest struct {
	connectors.Destination
	n int
}

func (d *memDest) Write(_ context.Context, recs []connect.Record) error { d.n += len(recs); return nil }

type memDLQ struct{ got []dlq.Failed }

func (q *memDLQ) Report(_ context.Context, fs []dlq.Failed) error {
	q.got = append(q.got, fs...)
	return nil
}
