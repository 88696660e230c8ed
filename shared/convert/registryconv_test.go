package convert

import (
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// registryClasses are the converters built on srBase; the tests in this
// file hold for each of them.
var registryClasses = []string{AvroConverterClass, JSONSchemaConverterClass, ProtobufConverterClass}

func newFakeRegistryConv(t *testing.T, class string, props map[string]string, isKey bool) (Converter, *srfake.Registry) {
	t.Helper()
	reg := srfake.New()
	t.Cleanup(reg.Close)
	p := map[string]string{"schema.registry.url": reg.URL()}
	for k, v := range props {
		p[k] = v
	}
	c, err := New(class, p, isKey)
	if err != nil {
		t.Fatal(err)
	}
	return c, reg
}

func orderSchema() (*connect.Schema, *connect.StructValue) {
	s := connect.NewStructSchema("com.acme.Order", connect.Field{Name: "a", Schema: connect.Primitive(connect.Int32)})
	return s, &connect.StructValue{Schema: s, Values: []any{int32(1)}}
}

func TestRegistryConvertersSubjectStrategies(t *testing.T) {
	cases := []struct {
		name  string
		props map[string]string
		isKey bool
		want  string
	}{
		{"topic value", nil, false, "orders-value"},
		{"topic key", nil, true, "orders-key"},
		{"record", map[string]string{"value.subject.name.strategy": RecordNameStrategy}, false, "com.acme.Order"},
		{"topic record key", map[string]string{"key.subject.name.strategy": TopicRecordNameStrategy}, true, "orders-com.acme.Order"},
		{"key strategy does not apply to values", map[string]string{"key.subject.name.strategy": RecordNameStrategy}, false, "orders-value"},
	}
	for _, class := range registryClasses {
		for _, tc := range cases {
			t.Run(class[strings.LastIndex(class, ".")+1:]+"/"+tc.name, func(t *testing.T) {
				c, reg := newFakeRegistryConv(t, class, tc.props, tc.isKey)
				s, v := orderSchema()
				if _, err := c.FromConnect("orders", s, v); err != nil {
					t.Fatal(err)
				}
				if !reg.SubjectExists(tc.want) {
					t.Errorf("subject %q not registered", tc.want)
				}
			})
		}
	}
}

// TestRegistryConvertersBadInput: each kind of bad input is an error whose
// class decides errors.tolerance's handling (the sink task adds the
// topic/partition@offset, see avro_integration_test.go).
func TestRegistryConvertersBadInput(t *testing.T) {
	for _, class := range registryClasses {
		short := class[strings.LastIndex(class, ".")+1:]
		t.Run(short, func(t *testing.T) {
			c, reg := newFakeRegistryConv(t, class, nil, false)
			s, v := orderSchema()
			good, err := c.FromConnect("orders", s, v)
			if err != nil {
				t.Fatal(err)
			}
			unknownID := append([]byte{0, 0, 0, 3, 231}, good[5:]...)
			cases := []struct {
				name      string
				data      []byte
				retryable bool
				want      string
			}{
				{"no magic byte", []byte(`{"a":1}`), false, "unknown magic byte 123"},
				{"too short", []byte{0, 0, 1}, false, "unknown magic byte 0"},
				{"unknown id", unknownID, false, "schema id 999"},
			}
			for _, tc := range cases {
				_, _, err := c.ToConnect("orders", tc.data)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), short) || !strings.Contains(err.Error(), `"orders"`) {
					t.Fatalf("%s: error %v, want it to name %s, the topic and contain %q", tc.name, err, short, tc.want)
				}
				if errclass.IsRetryable(err) != tc.retryable {
					t.Errorf("%s: retryable = %v, want %v (%v)", tc.name, errclass.IsRetryable(err), tc.retryable, err)
				}
			}

			reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPost {
					return false
				}
				w.WriteHeader(http.StatusConflict)
				_, _ = w.Write([]byte(`{"error_code":409,"message":"Schema being registered is incompatible with an earlier schema"}`))
				return true
			})
			v2 := connect.NewStructSchema("r", connect.Field{Name: "b", Schema: connect.Primitive(connect.String)})
			_, err = c.FromConnect("t", v2, &connect.StructValue{Schema: v2, Values: []any{"x"}})
			if err == nil || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), `subject "t-value"`) || !strings.Contains(err.Error(), "409") {
				t.Fatalf("incompatible: got %v, want a permanent 409 error naming the subject", err)
			}

			fresh, err := New(class, map[string]string{"schema.registry.url": reg.URL()}, false)
			if err != nil {
				t.Fatal(err)
			}
			reg.Close()
			_, _, err = fresh.ToConnect("orders", good)
			if err == nil || !errclass.IsRetryable(err) || !strings.Contains(err.Error(), "registry unavailable") {
				t.Fatalf("registry down: got %v, want a retryable registry unavailable error", err)
			}
			if _, err = fresh.FromConnect("orders", s, v); err == nil || !errclass.IsRetryable(err) {
				t.Fatalf("registry down: FromConnect got %v, want a retryable error", err)
			}
		})
	}
}

// TestRegistryConvertersRefuseOtherFormats: an id that names a schema of
// another format is a permanent error naming both formats.
func TestRegistryConvertersRefuseOtherFormats(t *testing.T) {
	for _, writer := range registryClasses {
		for _, reader := range registryClasses {
			if writer == reader {
				continue
			}
			t.Run(writer[strings.LastIndex(writer, ".")+1:]+" read by "+reader[strings.LastIndex(reader, ".")+1:], func(t *testing.T) {
				w, reg := newFakeRegistryConv(t, writer, nil, false)
				r, err := New(reader, map[string]string{"schema.registry.url": reg.URL()}, false)
				if err != nil {
					t.Fatal(err)
				}
				s, v := orderSchema()
				b, err := w.FromConnect("orders", s, v)
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = r.ToConnect("orders", b)
				if err == nil || errclass.IsRetryable(err) || !strings.Contains(err.Error(), ", not ") {
					t.Fatalf("got %v, want a permanent error naming the schema's format", err)
				}
			})
		}
	}
}
