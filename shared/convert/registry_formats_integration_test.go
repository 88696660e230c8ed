package convert_test

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestSchemaFormatsOnRealRegistry: the JSON Schema and Protobuf converters
// on the real registry: the schemas they make are accepted (Protobuf with
// its imports registered as references), a fresh converter reads the
// record back by id, and an incompatible change is a permanent 409 error
// naming the subject.
func TestSchemaFormatsOnRealRegistry(t *testing.T) {
	url := testenv.SchemaRegistry(t)
	client, err := sr.NewClient(sr.URLs(url))
	if err != nil {
		t.Fatal(err)
	}
	orders, full := convert.AvroTestOrders()
	for _, class := range []string{convert.JSONSchemaConverterClass, convert.ProtobufConverterClass} {
		short := class[strings.LastIndex(class, ".")+1:]
		t.Run(short, func(t *testing.T) {
			conv := func() convert.Converter {
				c, err := convert.New(class, map[string]string{"schema.registry.url": url}, false)
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			c := conv()
			topic := testenv.UniqueName(t, strings.ToLower(short), 100)
			subject := topic + "-value"
			if res := client.SetCompatibility(context.Background(), sr.SetCompatibility{Level: sr.CompatBackward}, subject); res[0].Err != nil {
				t.Fatalf("setting BACKWARD compatibility on %s: %v", subject, res[0].Err)
			}
			b, err := c.FromConnect(topic, orders, full)
			if err != nil {
				t.Fatal(err)
			}
			s1, v1, err := c.ToConnect(topic, b)
			if err != nil {
				t.Fatal(err)
			}
			s2, v2, err := conv().ToConnect(topic, b)
			if err != nil {
				t.Fatalf("a fresh converter reading by id: %v", err)
			}
			if got, want := jsonEnvelope(t, s2, v2), jsonEnvelope(t, s1, v1); got != want {
				t.Errorf("fresh converter read\n got %s\nwant %s", got, want)
			}
			id := int(binary.BigEndian.Uint32(b[1:5]))
			got, err := client.SchemaByVersion(context.Background(), subject, -1)
			if err != nil || got.ID != id || got.Type.String() == "AVRO" {
				t.Errorf("registered schema id %d type %v: %v", got.ID, got.Type, err)
			}
			if class == convert.ProtobufConverterClass {
				var refs []string
				for _, r := range got.References {
					refs = append(refs, r.Name+"="+r.Subject)
				}
				want := "confluent/meta.proto=confluent/meta.proto confluent/type/decimal.proto=confluent/type/decimal.proto google/type/date.proto=google/type/date.proto google/type/timeofday.proto=google/type/timeofday.proto"
				if strings.Join(refs, " ") != want {
					t.Errorf("references %v, want the imports registered under their path: %s", refs, want)
				}
			}

			changed := connect.NewStructSchema("db.orders", connect.Field{Name: "id", Schema: connect.Primitive(connect.String)})
			_, err = c.FromConnect(topic, changed, &connect.StructValue{Schema: changed, Values: []any{"x"}})
			if err == nil || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 409") || !strings.Contains(err.Error(), subject) {
				t.Fatalf("incompatible change: got %v, want a permanent HTTP 409 error naming %s", err, subject)
			}
		})
	}
}
