package convert

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/sr"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/registry"
)

// ProtobufConverterClass is Confluent's Protobuf converter, backed by a
// schema registry that speaks Confluent's REST API.
const ProtobufConverterClass = "io.confluent.connect.protobuf.ProtobufConverter"

// pbMaxIndexes bounds the message index path read from the wire.
const pbMaxIndexes = 64

// protobufConverter is io.confluent.connect.protobuf.ProtobufConverter:
// the Connect schema as a proto3 file in the registry, the value as the
// Protobuf binary of its message after Confluent's header and the message
// index path.
type protobufConverter struct {
	*srBase
	writes srCache[*connect.Schema, *pbWrite]
	reads  srCache[pbReadKey, *pbRead]
	files  srCache[int, protoreflect.FileDescriptor]
}

// pbWrite is a Connect schema translated to a .proto file.
type pbWrite struct {
	text, name string
	imports    []string
	md         protoreflect.MessageDescriptor
	indexes    []byte                               // the message index path as written after the id
	refs       atomic.Pointer[[]sr.SchemaReference] // the imports' references, once registered
}

type pbReadKey struct {
	id      int
	indexes string
}

// pbRead is one message of a registered schema mapped to Connect.
type pbRead struct {
	md     protoreflect.MessageDescriptor
	schema *connect.Schema
}

func newProtobuf(props map[string]string, isKey bool) (*protobufConverter, error) {
	base, err := newSRBase("ProtobufConverter", sr.TypeProtobuf, props, isKey)
	if err != nil {
		return nil, err
	}
	return &protobufConverter{srBase: base}, nil
}

// FromConnect writes value as the Protobuf binary of the schema's message,
// after Confluent's header and the message index path (the single byte 0
// for the file's first message). The imported files other than
// google/protobuf's are registered first under their import path and
// referenced, as Confluent's serializer does.
func (c *protobufConverter) FromConnect(topic string, schema *connect.Schema, value any) ([]byte, error) {
	if writesNull(schema, value) {
		return nil, nil
	}
	w, err := c.writeSchema(schema)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("ProtobufConverter: %w", err))
	}
	if value == nil {
		value = schema.Default
	}
	msg := dynamicpb.NewMessage(w.md)
	if err := pbSetMessage(msg, schema, value); err != nil {
		return nil, errclass.Data(fmt.Errorf("ProtobufConverter: topic %q: %w", topic, err))
	}
	subject := c.subject(topic, w.name)
	id, err := c.protoID(subject, w)
	if err != nil {
		return nil, fmt.Errorf("ProtobufConverter: %w", err)
	}
	out := append(appendHeader(nil, id), w.indexes...)
	out, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(out, msg)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("ProtobufConverter: topic %q: %w", topic, err))
	}
	return out, nil
}

// protoID registers (or looks up) the schema's imports and then the schema.
func (c *protobufConverter) protoID(subject string, w *pbWrite) (int, error) {
	if refs := w.refs.Load(); refs != nil {
		return c.protoWriteID(subject, w, *refs)
	}
	refs := []sr.SchemaReference{}
	for _, imp := range w.imports {
		if strings.HasPrefix(imp, "google/protobuf/") {
			continue
		}
		ref, err := c.reference(imp, pbKnownFiles[imp])
		if err != nil {
			return 0, fmt.Errorf("schema reference %q: %w", imp, err)
		}
		refs = append(refs, ref)
	}
	w.refs.Store(&refs)
	return c.protoWriteID(subject, w, refs)
}

// protoWriteID is the id to write w's message with. With
// use.latest.version the subject's latest schema must be this record's
// own: a message of another schema is not rewritten (unlike Avro records),
// so that is a permanent error rather than bytes the id does not describe.
func (c *protobufConverter) protoWriteID(subject string, w *pbWrite, refs []sr.SchemaReference) (int, error) {
	id, latest, same, err := c.writeID(subject, w.text, refs...)
	if err != nil {
		return 0, err
	}
	if !same {
		return 0, errclass.Data(fmt.Errorf("use.latest.version: the latest schema (id %d) of subject %q is not this record's schema; ProtobufConverter writes a message only under its own schema", latest.ID, subject))
	}
	return id, nil
}

func (c *protobufConverter) writeSchema(s *connect.Schema) (*pbWrite, error) {
	if w, ok := c.writes.get(s); ok {
		return w, nil
	}
	text, name, imports, err := pbSchemaText(s)
	if err != nil {
		return nil, err
	}
	fd, err := compileProto(text, nil, nil, true)
	if err != nil {
		return nil, fmt.Errorf("generated schema does not compile: %w", err)
	}
	md := fd.Messages().ByName(protoreflect.Name(name[strings.LastIndexByte(name, '.')+1:]))
	if md == nil {
		return nil, fmt.Errorf("generated schema has no message %s", name)
	}
	w := &pbWrite{text: text, name: name, imports: imports, md: md, indexes: pbAppendIndexes(nil, pbIndexesOf(md))}
	c.writes.put(s, w)
	return w, nil
}

// pbAppendIndexes appends Confluent's message index path: the count then
// each index as zigzag varints, or the single byte 0 for [0].
func pbAppendIndexes(b []byte, path []int) []byte {
	if len(path) == 1 && path[0] == 0 {
		return append(b, 0)
	}
	b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(len(path))))
	for _, i := range path {
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(i)))
	}
	return b
}

// pbReadIndexes reads the message index path at the start of data and
// returns it with the rest.
func pbReadIndexes(data []byte) ([]int, []byte, error) {
	v, n := protowire.ConsumeVarint(data)
	if n < 0 {
		return nil, nil, errors.New("truncated message index count")
	}
	data = data[n:]
	count := protowire.DecodeZigZag(v)
	if count == 0 {
		return []int{0}, data, nil
	}
	if count < 0 || count > pbMaxIndexes {
		return nil, nil, fmt.Errorf("message index count %d out of range [0, %d]", count, pbMaxIndexes)
	}
	path := make([]int, count)
	for i := range path {
		v, n := protowire.ConsumeVarint(data)
		if n < 0 {
			return nil, nil, errors.New("truncated message index")
		}
		data = data[n:]
		path[i] = int(protowire.DecodeZigZag(v))
	}
	return path, data, nil
}

// ToConnect reads Confluent's Protobuf wire format: the schema is fetched
// by id (once) with its references and compiled, the message index path
// picks the message, and the message is mapped to Connect as ProtobufData
// does. Data without the magic byte, an unknown id, a bad index path or
// bytes that are not the message are permanent errors; an unreachable
// registry is retryable.
func (c *protobufConverter) ToConnect(topic string, data []byte) (*connect.Schema, any, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	id, body, err := c.splitWire(topic, data)
	if err != nil {
		return nil, nil, err
	}
	fd, err := c.file(id)
	if err != nil {
		return nil, nil, fmt.Errorf("ProtobufConverter: topic %q: %w", topic, err)
	}
	path, body, err := pbReadIndexes(body)
	if err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("ProtobufConverter: topic %q: schema id %d: %w", topic, id, err))
	}
	r, err := c.readSchema(id, fd, path)
	if err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("ProtobufConverter: topic %q: %w", topic, err))
	}
	msg := dynamicpb.NewMessage(r.md)
	if err := proto.Unmarshal(body, msg); err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("ProtobufConverter: topic %q: data does not fit schema id %d (message %s): %w", topic, id, r.md.FullName(), err))
	}
	v, err := pbMessageValue(r.schema, msg)
	if err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("ProtobufConverter: topic %q: schema id %d: %w", topic, id, err))
	}
	return r.schema, v, nil
}

// file is the compiled schema with id, fetched with its references once.
func (c *protobufConverter) file(id int) (protoreflect.FileDescriptor, error) {
	return readByID(c.srBase, &c.files, id, func(got registry.Schema) (protoreflect.FileDescriptor, error) {
		return compileProto(got.Text, got.RefNames, got.Refs, false)
	})
}

// readSchema is the message at path in schema id, mapped to Connect once.
func (c *protobufConverter) readSchema(id int, fd protoreflect.FileDescriptor, path []int) (*pbRead, error) {
	key := pbReadKey{id, fmt.Sprint(path)}
	if r, ok := c.reads.get(key); ok {
		return r, nil
	}
	md, err := pbMessageAt(fd, path)
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	s, err := pbToConnect(md, 0)
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	r := &pbRead{md: md, schema: s}
	c.reads.put(key, r)
	return r, nil
}

// pbSetMessage fills msg from a Connect struct value of schema s.
func pbSetMessage(msg *dynamicpb.Message, s *connect.Schema, v any) error {
	sv, err := structOf(s, v)
	if err != nil {
		return err
	}
	fields := msg.Descriptor().Fields()
	for i, f := range s.Fields {
		fd := fields.ByName(protoreflect.Name(f.Name))
		val := sv.Values[i]
		if val == nil {
			val = f.Schema.Default
		}
		if val == nil {
			if !f.Schema.Optional {
				return inField(&FieldError{Err: errors.New("null value for a required field")}, f.Name)
			}
			continue
		}
		if err := pbSetField(msg, fd, f.Schema, val); err != nil {
			return inField(err, f.Name)
		}
	}
	return nil
}

func pbSetField(msg *dynamicpb.Message, fd protoreflect.FieldDescriptor, s *connect.Schema, v any) error {
	switch {
	case fd.IsList():
		items, ok := v.([]any)
		if !ok {
			return wrongType(s, v, "[]any")
		}
		list := msg.Mutable(fd).List()
		for i, it := range items {
			if it == nil {
				return inIndex(&FieldError{Err: errors.New("null array element (Protobuf repeated fields hold no nulls)")}, strconv.Itoa(i))
			}
			pv, err := pbValue(list.NewElement, fd, s.Items, it)
			if err != nil {
				return inIndex(err, strconv.Itoa(i))
			}
			list.Append(pv)
		}
		return nil
	case fd.IsMap():
		entries, err := mapEntries(v)
		if err != nil {
			return &FieldError{Err: err}
		}
		m := msg.Mutable(fd).Map()
		for _, e := range entries {
			if e.Value == nil {
				return inIndex(&FieldError{Err: errors.New("null map value (Protobuf map values hold no nulls)")}, fmt.Sprint(e.Key))
			}
			kv, err := pbValue(nil, fd.MapKey(), s.Keys, e.Key)
			if err != nil {
				return inIndex(err, fmt.Sprint(e.Key))
			}
			vv, err := pbValue(m.NewValue, fd.MapValue(), s.Values, e.Value)
			if err != nil {
				return inIndex(err, fmt.Sprint(e.Key))
			}
			m.Set(kv.MapKey(), vv)
		}
		return nil
	}
	pv, err := pbValue(func() protoreflect.Value { return msg.NewField(fd) }, fd, s, v)
	if err != nil {
		return err
	}
	msg.Set(fd, pv)
	return nil
}

// pbValue converts one Connect value (not a list or map) to a Protobuf
// value of fd's kind; newMsg makes the message for message kinds.
func pbValue(newMsg func() protoreflect.Value, fd protoreflect.FieldDescriptor, s *connect.Schema, v any) (protoreflect.Value, error) {
	fail := func(err error) (protoreflect.Value, error) { return protoreflect.Value{}, &FieldError{Err: err} }
	switch fd.Kind() {
	case protoreflect.Int32Kind:
		r := intRanges[s.Type]
		if s.Name == connect.DateName || s.Name == connect.TimeName {
			r = intRanges[connect.Int32]
		}
		n, err := toInt(v, r[0], r[1])
		if err != nil {
			return fail(err)
		}
		return protoreflect.ValueOfInt32(int32(n)), nil
	case protoreflect.Int64Kind:
		n, err := toInt(v, math.MinInt64, math.MaxInt64)
		if err != nil {
			return fail(err)
		}
		return protoreflect.ValueOfInt64(n), nil
	case protoreflect.FloatKind:
		f, err := toFloat(v, 32)
		if err != nil {
			return fail(err)
		}
		return protoreflect.ValueOfFloat32(float32(f)), nil
	case protoreflect.DoubleKind:
		f, err := toFloat(v, 64)
		if err != nil {
			return fail(err)
		}
		return protoreflect.ValueOfFloat64(f), nil
	case protoreflect.BoolKind:
		b, ok := v.(bool)
		if !ok {
			return fail(fmt.Errorf("got Go type %T, want bool", v))
		}
		return protoreflect.ValueOfBool(b), nil
	case protoreflect.StringKind:
		str, ok := v.(string)
		if !ok {
			return fail(fmt.Errorf("got Go type %T, want string", v))
		}
		return protoreflect.ValueOfString(str), nil
	case protoreflect.BytesKind:
		b, ok := v.([]byte)
		if !ok {
			return fail(fmt.Errorf("got Go type %T, want []byte", v))
		}
		return protoreflect.ValueOfBytes(b), nil
	case protoreflect.MessageKind:
		pv := newMsg()
		m := pv.Message()
		md := m.Descriptor()
		f := md.Fields()
		switch md.FullName() {
		case pbDecimalType:
			scale, err := decimalScale(s)
			if err != nil {
				return fail(err)
			}
			u, err := toDecimal(v, scale)
			if err != nil {
				return fail(err)
			}
			m.Set(f.ByName("value"), protoreflect.ValueOfBytes(appendTwosComplement(nil, u)))
			if p, err := strconv.ParseUint(s.Parameters[connect.DecimalPrecisionParam], 10, 32); err == nil {
				m.Set(f.ByName("precision"), protoreflect.ValueOfUint32(uint32(p)))
			}
			m.Set(f.ByName("scale"), protoreflect.ValueOfInt32(scale))
		case pbDateType:
			days, err := logicalDays(v)
			if err != nil {
				return fail(err)
			}
			t := time.Unix(days*86400, 0).UTC()
			m.Set(f.ByName("year"), protoreflect.ValueOfInt32(int32(t.Year())))
			m.Set(f.ByName("month"), protoreflect.ValueOfInt32(int32(t.Month())))
			m.Set(f.ByName("day"), protoreflect.ValueOfInt32(int32(t.Day())))
		case pbTimeType:
			ms, err := logicalTimeMillis(v)
			if err != nil {
				return fail(err)
			}
			m.Set(f.ByName("hours"), protoreflect.ValueOfInt32(int32(ms/3600000)))
			m.Set(f.ByName("minutes"), protoreflect.ValueOfInt32(int32(ms/60000%60)))
			m.Set(f.ByName("seconds"), protoreflect.ValueOfInt32(int32(ms/1000%60)))
			m.Set(f.ByName("nanos"), protoreflect.ValueOfInt32(int32(ms%1000*1e6)))
		case pbTimestampType:
			ms, err := logicalTimestampMillis(v)
			if err != nil {
				return fail(err)
			}
			m.Set(f.ByName("seconds"), protoreflect.ValueOfInt64(floorDiv(ms, 1000)))
			m.Set(f.ByName("nanos"), protoreflect.ValueOfInt32(int32((ms-floorDiv(ms, 1000)*1000)*1e6)))
		default:
			if err := pbSetMessage(m.(*dynamicpb.Message), s, v); err != nil {
				return protoreflect.Value{}, err
			}
		}
		return pv, nil
	}
	return fail(fmt.Errorf("unsupported Protobuf kind %s", fd.Kind()))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// pbMessageValue maps a message to a Connect struct value of schema s
// (made by pbToConnect from the message's descriptor).
func pbMessageValue(s *connect.Schema, m protoreflect.Message) (*connect.StructValue, error) {
	sv := connect.NewStruct(s)
	fields := m.Descriptor().Fields()
	for i, f := range s.Fields {
		fd := fields.ByName(protoreflect.Name(f.Name))
		if f.Schema.Optional && !m.Has(fd) {
			continue
		}
		v, err := pbFieldValue(f.Schema, fd, m.Get(fd))
		if err != nil {
			return nil, inField(err, f.Name)
		}
		sv.Values[i] = v
	}
	return sv, nil
}

func pbFieldValue(s *connect.Schema, fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	switch {
	case fd.IsList():
		l := v.List()
		out := make([]any, l.Len())
		for i := range out {
			x, err := pbSingularValue(s.Items, fd, l.Get(i))
			if err != nil {
				return nil, inIndex(err, strconv.Itoa(i))
			}
			out[i] = x
		}
		return out, nil
	case fd.IsMap():
		out := []connect.MapEntry{}
		var err error
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			var kv, vv any
			if kv, err = pbSingularValue(s.Keys, fd.MapKey(), k.Value()); err != nil {
				return false
			}
			if vv, err = pbSingularValue(s.Values, fd.MapValue(), mv); err != nil {
				err = inIndex(err, fmt.Sprint(kv))
				return false
			}
			out = append(out, connect.MapEntry{Key: kv, Value: vv})
			return true
		})
		if err != nil {
			return nil, err
		}
		sortEntries(out)
		return out, nil
	}
	return pbSingularValue(s, fd, v)
}

func pbSingularValue(s *connect.Schema, fd protoreflect.FieldDescriptor, v protoreflect.Value) (any, error) {
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		switch s.Type {
		case connect.Int8:
			if n := v.Int(); n < math.MinInt8 || n > math.MaxInt8 {
				return nil, &FieldError{Err: fmt.Errorf("value %d out of int8 range", n)}
			}
			return int8(v.Int()), nil
		case connect.Int16:
			if n := v.Int(); n < math.MinInt16 || n > math.MaxInt16 {
				return nil, &FieldError{Err: fmt.Errorf("value %d out of int16 range", n)}
			}
			return int16(v.Int()), nil
		}
		return int32(v.Int()), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int(), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return int64(v.Uint()), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return int64(v.Uint()), nil // as ProtobufData: the bits, as Java's long
	case protoreflect.FloatKind:
		return float32(v.Float()), nil
	case protoreflect.DoubleKind:
		return v.Float(), nil
	case protoreflect.BoolKind:
		return v.Bool(), nil
	case protoreflect.StringKind:
		return v.String(), nil
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name()), nil
		}
		return strconv.Itoa(int(v.Enum())), nil
	case protoreflect.BytesKind:
		return append([]byte{}, v.Bytes()...), nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		m := v.Message()
		f := m.Descriptor().Fields()
		get := func(name string) protoreflect.Value { return m.Get(f.ByName(protoreflect.Name(name))) }
		switch m.Descriptor().FullName() {
		case pbDecimalType:
			u, err := fromTwosComplement(get("value").Bytes())
			if err != nil {
				return nil, &FieldError{Err: fmt.Errorf("invalid Decimal value: %w", err)}
			}
			scale, err := decimalScale(s)
			if err != nil {
				return nil, &FieldError{Err: err}
			}
			d := connect.Decimal{Unscaled: u, Scale: int32(get("scale").Int())}
			if d.Scale != scale {
				w, err := toDecimal(d, scale)
				if err != nil {
					return nil, &FieldError{Err: err}
				}
				d = connect.Decimal{Unscaled: w, Scale: scale}
			}
			return d, nil
		case pbDateType:
			return time.Date(int(get("year").Int()), time.Month(get("month").Int()), int(get("day").Int()), 0, 0, 0, 0, time.UTC), nil
		case pbTimeType:
			ms := get("hours").Int()*3600000 + get("minutes").Int()*60000 + get("seconds").Int()*1000 + get("nanos").Int()/1e6
			return time.UnixMilli(ms).UTC(), nil
		case pbTimestampType:
			return time.Unix(get("seconds").Int(), get("nanos").Int()).UTC().Truncate(time.Millisecond), nil
		}
		if _, ok := pbWrappers[m.Descriptor().FullName()]; ok {
			return pbSingularValue(s, f.ByName("value"), get("value"))
		}
		return pbMessageValue(s, m)
	}
	return nil, &FieldError{Err: fmt.Errorf("unsupported Protobuf kind %s", fd.Kind())}
}
