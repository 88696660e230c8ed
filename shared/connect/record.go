package connect

import (
	"fmt"
	"time"
)

// StructValue is the value of a struct schema: one value per field, in field
// order. Values follow the Go representation documented on Record.
type StructValue struct {
	Schema *Schema
	Values []any
}

// NewStruct returns an empty struct value for the schema.
func NewStruct(s *Schema) *StructValue {
	return &StructValue{Schema: s, Values: make([]any, len(s.Fields))}
}

// Get returns the value of the named field and whether the field exists.
func (s *StructValue) Get(name string) (any, bool) {
	f := s.Schema.Field(name)
	if f == nil {
		return nil, false
	}
	return s.Values[f.Index], true
}

// Put sets the named field; it fails when the schema has no such field.
func (s *StructValue) Put(name string, v any) error {
	f := s.Schema.Field(name)
	if f == nil {
		return fmt.Errorf("connect: struct %q has no field %q", s.Schema.Name, name)
	}
	s.Values[f.Index] = v
	return nil
}

// MapEntry is one entry of a map value; maps keep entry order so that encoding
// is deterministic.
type MapEntry struct {
	Key   any
	Value any
}

// Header is one Kafka record header. Value is its bytes as on Kafka. On a
// sink, Schema and Data are the value as the header.converter read it
// (nil for a null header, or when no header converter ran).
type Header struct {
	Key    string
	Value  []byte
	Schema *Schema
	Data   any
}

// Record is a Kafka Connect record (SourceRecord or SinkRecord).
//
// Values with a schema use these Go types: int8, int16, int32, int64,
// float32, float64, bool, string, []byte; Decimal for the Decimal logical type;
// time.Time for Date, Time and Timestamp; *StructValue for structs; []any for
// arrays; []MapEntry for maps; nil for null. Values without a schema
// (schemas.enable=false) are generic JSON: map[string]any, []any, string,
// json.Number, bool and nil.
//
// A nil Value with a nil ValueSchema is a tombstone.
type Record struct {
	Topic         string
	Partition     int32
	Offset        int64
	Timestamp     time.Time
	TimestampType string
	KeySchema     *Schema
	Key           any
	ValueSchema   *Schema
	Value         any
	Headers       []Header
}

// IsTombstone reports whether the record deletes its key.
func (r *Record) IsTombstone() bool { return r.Value == nil }

// Where names the record's position for error messages: "topic/partition@offset".
func (r *Record) Where() string {
	return fmt.Sprintf("%s/%d@%d", r.Topic, r.Partition, r.Offset)
}
