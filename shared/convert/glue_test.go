package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// fakeGlue serves the four Glue Schema Registry calls the converter makes
// over Glue's JSON protocol (X-Amz-Target AWSGlue.<Operation>).
type fakeGlue struct {
	*httptest.Server
	mu       sync.Mutex
	schemas  map[string][]string // schema name -> version ids, in order
	versions map[string]fakeVersion
	refuse   bool // new versions fail Glue's compatibility check
	calls    map[string]int
}

type fakeVersion struct{ name, def, status string }

func newFakeGlue(t *testing.T) *fakeGlue {
	f := &fakeGlue{schemas: map[string][]string{}, versions: map[string]fakeVersion{}, calls: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	t.Setenv("AWS_REGION", "us-east-1")
	return f
}

func (f *fakeGlue) add(name, vid, def, status string) {
	f.schemas[name] = append(f.schemas[name], vid)
	f.versions[vid] = fakeVersion{name, def, status}
}

func (f *fakeGlue) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AWSGlue.")
	f.calls[op]++
	var in struct {
		SchemaId         struct{ SchemaName string }
		SchemaName       string
		SchemaDefinition string
		SchemaVersionId  string
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(v)
	}
	notFound := func(msg string) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "EntityNotFoundException", "Message": msg})
	}
	newID := func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", len(f.versions)+1) }
	switch op {
	case "GetSchemaByDefinition":
		for _, vid := range f.schemas[in.SchemaId.SchemaName] {
			if v := f.versions[vid]; v.def == in.SchemaDefinition && v.status == "AVAILABLE" {
				reply(map[string]string{"SchemaVersionId": vid, "Status": "AVAILABLE", "DataFormat": "AVRO"})
				return
			}
		}
		notFound("Schema is not found.")
	case "RegisterSchemaVersion":
		if _, ok := f.schemas[in.SchemaId.SchemaName]; !ok {
			notFound("Schema is not found.")
			return
		}
		vid, status := newID(), "AVAILABLE"
		if f.refuse {
			status = "FAILURE"
		}
		f.add(in.SchemaId.SchemaName, vid, in.SchemaDefinition, status)
		reply(map[string]any{"SchemaVersionId": vid, "VersionNumber": len(f.schemas[in.SchemaId.SchemaName]), "Status": "PENDING"})
	case "CreateSchema":
		vid := newID()
		f.add(in.SchemaName, vid, in.SchemaDefinition, "AVAILABLE")
		reply(map[string]any{"SchemaName": in.SchemaName, "SchemaVersionId": vid, "SchemaVersionStatus": "AVAILABLE", "DataFormat": "AVRO"})
	case "GetSchemaVersion":
		v, ok := f.versions[in.SchemaVersionId]
		if !ok {
			notFound("Schema version is not found.")
			return
		}
		reply(map[string]any{"SchemaVersionId": in.SchemaVersionId, "SchemaDefinition": v.def, "DataFormat": "AVRO", "Status": v.status,
			"SchemaArn": "arn:aws:glue:us-east-1:000000000000:schema/default-registry/" + v.name})
	default:
		http.Error(w, "unexpected "+op, http.StatusNotImplemented)
	}
}

func newGlueConv(t *testing.T, f *fakeGlue, props map[string]string) Converter {
	t.Helper()
	p := map[string]string{"endpoint": f.URL, "region": "us-east-1"}
	for k, v := range props {
		p[k] = v
	}
	c, err := New(GlueAvroConverterClass, p, false)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGlueWireFormat checks the bytes against Glue's wire format: header
// version 3, compression byte 0, the schema version UUID, then the same
// Avro binary AvroConverter writes.
func TestGlueWireFormat(t *testing.T) {
	f := newFakeGlue(t)
	s := avroOrdersSchema()
	v := avroOrdersValue(s)
	ws, err := newAvroWriteSchema(s)
	if err != nil {
		t.Fatal(err)
	}
	f.add("orders", "b7b4a7f0-0e8e-4a3c-9c8e-1f2a3b4c5d6e", ws.text, "AVAILABLE")
	b, err := newGlueConv(t, f, nil).FromConnect("orders", s, v)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{3, 0, 0xb7, 0xb4, 0xa7, 0xf0, 0x0e, 0x8e, 0x4a, 0x3c, 0x9c, 0x8e, 0x1f, 0x2a, 0x3b, 0x4c, 0x5d, 0x6e}
	if !bytes.Equal(b[:18], want) {
		t.Errorf("header % x, want % x", b[:18], want)
	}
	confluent, _ := newFakeAvro(t, nil, false)
	cb, err := confluent.FromConnect("orders", s, v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[18:], cb[5:]) {
		t.Errorf("Avro body differs from AvroConverter's\n Glue:      % x\n Confluent: % x", b[18:], cb[5:])
	}
}

func TestGlueRoundTrip(t *testing.T) {
	for _, compression := range []string{"NONE", "ZLIB"} {
		t.Run(compression, func(t *testing.T) {
			f := newFakeGlue(t)
			c := newGlueConv(t, f, map[string]string{"schemaAutoRegistrationEnabled": "true", "compression": compression})
			s := avroOrdersSchema()
			v := avroOrdersValue(s)
			b, err := c.FromConnect("orders", s, v)
			if err != nil {
				t.Fatal(err)
			}
			if b[0] != 3 || (compression == "ZLIB") != (b[1] == 5) {
				t.Fatalf("header % x", b[:2])
			}
			if _, err := c.FromConnect("orders", s, v); err != nil {
				t.Fatal(err)
			}
			if f.calls["CreateSchema"] != 1 || f.calls["GetSchemaByDefinition"] != 1 {
				t.Errorf("Glue calls %v: want the schema created once and cached", f.calls)
			}
			if len(f.schemas["orders"]) != 1 {
				t.Errorf("schema name: %v, want the topic", f.schemas)
			}
			reader := newGlueConv(t, f, nil)
			rs, rv, err := reader.ToConnect("orders", b)
			if err != nil {
				t.Fatal(err)
			}
			before := f.calls["GetSchemaVersion"]
			if _, _, err := reader.ToConnect("orders", b); err != nil || f.calls["GetSchemaVersion"] != before {
				t.Errorf("second read: %v, %d more GetSchemaVersion calls; want the schema cached", err, f.calls["GetSchemaVersion"]-before)
			}
			if got, want := envelope(t, rs, rv), envelope(t, s, v); got != want {
				t.Errorf("read back\n got %s\nwant %s", got, want)
			}
			// A second schema in the same Glue schema is a new version.
			s2 := connect.NewStructSchema("db.orders", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)})
			if _, err := c.FromConnect("orders", s2, &connect.StructValue{Schema: s2, Values: []any{int64(1)}}); err != nil {
				t.Fatal(err)
			}
			if len(f.schemas["orders"]) != 2 || f.calls["RegisterSchemaVersion"] != 2 { // the first found no schema, which was then created
				t.Errorf("versions %v, calls %v: want a second version registered", f.schemas, f.calls)
			}
		})
	}
}

func TestGlueErrors(t *testing.T) {
	f := newFakeGlue(t)
	s := avroOrdersSchema()
	v := avroOrdersValue(s)
	auto := newGlueConv(t, f, map[string]string{"schemaAutoRegistrationEnabled": "true", "schemaName": "fixed"})
	good, err := auto.FromConnect("orders", s, v)
	if err != nil {
		t.Fatal(err)
	}
	unknown := append([]byte{3, 0}, bytes.Repeat([]byte{0xab}, 16)...)
	cases := []struct {
		name      string
		run       func() error
		retryable bool
		want      string
	}{
		{"not registered, auto registration off", func() error {
			_, err := newGlueConv(t, f, nil).FromConnect("other", s, v)
			return err
		}, false, "schemaAutoRegistrationEnabled is false"},
		{"refused version", func() error {
			f.mu.Lock()
			f.refuse = true
			f.mu.Unlock()
			defer func() { f.mu.Lock(); f.refuse = false; f.mu.Unlock() }()
			s2 := connect.NewStructSchema("x", connect.Field{Name: "a", Schema: connect.Primitive(connect.String)})
			_, err := auto.FromConnect("orders", s2, &connect.StructValue{Schema: s2, Values: []any{"a"}})
			return err
		}, false, "Glue refused the schema for default-registry/fixed"},
		{"Confluent bytes", func() error {
			_, _, err := auto.ToConnect("orders", append([]byte{0, 0, 0, 0, 1}, good[18:]...))
			return err
		}, false, "not in AWS Glue Schema Registry's wire format"},
		{"unknown version", func() error { _, _, err := auto.ToConnect("orders", append(unknown, 2)); return err }, false, "abababab-abab-abab-abab-abababababab"},
		{"Glue unreachable", func() error {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close()
			c, err := New(GlueAvroConverterClass, map[string]string{"endpoint": "http://" + addr, "region": "us-east-1"}, false)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.ToConnect("orders", good)
			return err
		}, true, "fetching schema version"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) || errclass.IsRetryable(err) != tc.retryable {
				t.Fatalf("got %v (retryable %v), want an error containing %q, retryable %v", err, errclass.IsRetryable(err), tc.want, tc.retryable)
			}
		})
	}
}

func TestGlueConfigErrors(t *testing.T) {
	cases := []struct{ key, value string }{
		{"compression", "GZIP"},
		{"dataFormat", "JSON"},
		{"avroRecordType", "SPECIFIC_RECORD"},
		{"compatibility", "SOMETIMES"},
		{"schemaAutoRegistrationEnabled", "yes"},
		{"schema.registry.url", "http://x"},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			_, err := New(GlueAvroConverterClass, map[string]string{tc.key: tc.value}, false)
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Fatalf("got %v, want an error naming %s", err, tc.key)
			}
		})
	}
}
