package convert

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/parser"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// The message types Confluent's ProtobufData maps Connect's logical types
// to, and the files that define them.
const (
	pbDecimalType   = "confluent.type.Decimal"
	pbDecimalFile   = "confluent/type/decimal.proto"
	pbDateType      = "google.type.Date"
	pbDateFile      = "google/type/date.proto"
	pbTimeType      = "google.type.TimeOfDay"
	pbTimeFile      = "google/type/timeofday.proto"
	pbTimestampType = "google.protobuf.Timestamp"
	pbTimestampFile = "google/protobuf/timestamp.proto"
	pbMetaFile      = "confluent/meta.proto"
	pbMetaField     = 1088 // the confluent.field_meta extension of FieldOptions
	pbDefaultName   = "ConnectDefault"
	pbMainFile      = "schema.proto"
)

// pbLogicalTypes are the message type and its file for each Connect
// logical type name.
var pbLogicalTypes = map[string]struct{ typ, file string }{
	connect.DecimalName:   {pbDecimalType, pbDecimalFile},
	connect.DateName:      {pbDateType, pbDateFile},
	connect.TimeName:      {pbTimeType, pbTimeFile},
	connect.TimestampName: {pbTimestampType, pbTimestampFile},
}

// pbKnownFiles are the non-google/protobuf files the generated schemas
// import, as Confluent's registry serves them (their field numbers and
// types are the wire contract). A registry that returns its own copy as a
// schema reference takes precedence.
var pbKnownFiles = map[string]string{
	pbMetaFile: `syntax = "proto3";
package confluent;
import "google/protobuf/descriptor.proto";
message Meta {
  string doc = 1;
  map<string, string> params = 2;
}
extend google.protobuf.FileOptions { Meta file_meta = 1088; }
extend google.protobuf.MessageOptions { Meta message_meta = 1088; }
extend google.protobuf.FieldOptions { Meta field_meta = 1088; }
extend google.protobuf.EnumOptions { Meta enum_meta = 1088; }
extend google.protobuf.EnumValueOptions { Meta enum_value_meta = 1088; }
`,
	pbDecimalFile: `syntax = "proto3";
package confluent.type;
message Decimal {
  bytes value = 1;
  uint32 precision = 2;
  int32 scale = 3;
}
`,
	pbDateFile: `syntax = "proto3";
package google.type;
message Date {
  int32 year = 1;
  int32 month = 2;
  int32 day = 3;
}
`,
	pbTimeFile: `syntax = "proto3";
package google.type;
message TimeOfDay {
  int32 hours = 1;
  int32 minutes = 2;
  int32 seconds = 3;
  int32 nanos = 4;
}
`,
}

// compileProto compiles main (with the named reference texts, then the
// known files and the google/protobuf well-known types as fallbacks) and
// returns its file descriptor. strict applies protoc's source checks, for
// the schemas we generate; schemas read from the registry are only linked,
// because other writers register text protoc would refuse (Apicurio's
// serializer prints map fields as explicit map_entry messages).
func compileProto(main string, refNames, refs []string, strict bool) (protoreflect.FileDescriptor, error) {
	srcs := map[string]string{pbMainFile: main}
	for name, text := range pbKnownFiles {
		srcs[name] = text
	}
	for i, name := range refNames {
		if i < len(refs) && name != pbMainFile {
			srcs[name] = refs[i]
		}
	}
	var r protocompile.Resolver = &protocompile.SourceResolver{Accessor: protocompile.SourceAccessorFromMap(srcs)}
	if !strict {
		r = protocompile.ResolverFunc(func(name string) (protocompile.SearchResult, error) {
			text, ok := srcs[name]
			if !ok {
				return protocompile.SearchResult{}, fs.ErrNotExist
			}
			h := reporter.NewHandler(nil)
			file, err := parser.Parse(name, strings.NewReader(text), h)
			if err != nil {
				return protocompile.SearchResult{}, err
			}
			res, err := parser.ResultFromAST(file, false, h)
			return protocompile.SearchResult{ParseResult: res}, err
		})
	}
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(r)}
	files, err := c.Compile(context.Background(), pbMainFile)
	if err != nil {
		return nil, fmt.Errorf("schema is not valid Protobuf: %w", err)
	}
	return files[0], nil
}

var pbIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pbGen writes the .proto text of a Connect struct schema as Confluent's
// ProtobufData.fromConnectSchema does: one message named by the connect
// name (its namespace is the package), fields numbered by position,
// structs as messages: top-level after it when their connect name is in
// the same package (so the name reads back unchanged), nested in it
// otherwise (unnamed ones ConnectDefault2, 3, …), each defined once,
// arrays as repeated fields, maps with integer, boolean or string keys as
// map fields (other key types are refused), the logical
// types as confluent.type.Decimal, google.type.Date, google.type.TimeOfDay
// and google.protobuf.Timestamp, and optional primitives with proto3's
// optional (explicit presence, so null reads back as null).
type pbGen struct {
	imports   map[string]bool
	nameIndex int
	pkg       string
	nested    strings.Builder   // messages nested in the root message
	top       strings.Builder   // top-level messages after the root
	defined   map[string]string // type names by connect name
}

// pbSchemaText returns the .proto text for s, the full name of its message
// and the files it imports (sorted).
func pbSchemaText(s *connect.Schema) (text, fullName string, imports []string, err error) {
	if s == nil {
		return "", "", nil, errors.New("ProtobufConverter needs a schema; schemaless values are not supported")
	}
	if s.Type != connect.Struct {
		return "", "", nil, fmt.Errorf("ProtobufConverter writes structs; a top-level %s schema is not supported", s.Type)
	}
	g := &pbGen{imports: map[string]bool{}, defined: map[string]string{}}
	pkg, name := "", pbDefaultName+"1"
	g.nameIndex = 1
	if s.Name != "" {
		if i := strings.LastIndexByte(s.Name, '.'); i >= 0 {
			pkg, name = s.Name[:i], s.Name[i+1:]
		} else {
			name = s.Name
		}
	}
	if !pbIdent.MatchString(name) {
		return "", "", nil, fmt.Errorf("connect name %q does not end in a Protobuf message name", s.Name)
	}
	for _, part := range strings.Split(pkg, ".") {
		if pkg != "" && !pbIdent.MatchString(part) {
			return "", "", nil, fmt.Errorf("connect name %q is not a Protobuf package and message name", s.Name)
		}
	}
	g.pkg = pkg
	if s.Name != "" {
		g.defined[s.Name] = name
	}
	fields, err := g.fields(s, "")
	if err != nil {
		return "", "", nil, err
	}
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\n")
	if pkg != "" {
		b.WriteString("package " + pkg + ";\n")
	}
	imports = slices.Sorted(func(yield func(string) bool) {
		for k := range g.imports {
			if !yield(k) {
				return
			}
		}
	})
	if len(imports) > 0 {
		b.WriteByte('\n')
	}
	for _, imp := range imports {
		b.WriteString("import \"" + imp + "\";\n")
	}
	b.WriteString("\nmessage " + name + " {\n" + fields + g.nested.String() + "}\n" + g.top.String())
	fullName = name
	if pkg != "" {
		fullName = pkg + "." + name
	}
	return b.String(), fullName, imports, nil
}

// fields writes the field lines of struct s at indent.
func (g *pbGen) fields(s *connect.Schema, indent string) (string, error) {
	var b strings.Builder
	for i, f := range s.Fields {
		if !pbIdent.MatchString(f.Name) {
			return "", inField(errors.New("field name is not a Protobuf identifier"), f.Name)
		}
		typ, label, err := g.fieldType(f.Name, f.Schema)
		if err != nil {
			return "", inField(err, f.Name)
		}
		if label != "" {
			label += " "
		}
		fmt.Fprintf(&b, "%s  %s%s %s = %d%s;\n", indent, label, typ, f.Name, i+1, g.fieldMeta(f.Schema))
	}
	return b.String(), nil
}

// fieldMeta is the confluent.field_meta option carrying what the
// Protobuf type cannot say, as ProtobufData writes it: connect.type for
// int8 and int16 (written as int32) and the Decimal parameters (scale,
// connect.decimal.precision).
func (g *pbGen) fieldMeta(s *connect.Schema) string {
	if s.Type == connect.Array && s.Items != nil {
		s = s.Items
	}
	params := map[string]string{}
	switch {
	case s.Name == connect.DecimalName:
		for k, v := range s.Parameters {
			params[k] = v
		}
	case s.Name == "" && (s.Type == connect.Int8 || s.Type == connect.Int16):
		params[jsPropConnectType] = string(s.Type)
	}
	if len(params) == 0 {
		return ""
	}
	g.imports[pbMetaFile] = true
	var b strings.Builder
	b.WriteString(" [(confluent.field_meta) = { params: [")
	for i, k := range parameterOrder(params) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "{ key: %s, value: %s }", strconv.Quote(k), strconv.Quote(params[k]))
	}
	b.WriteString("] }]")
	return b.String()
}

// fieldType returns the Protobuf type of a field of schema s and its label
// (optional, repeated or none), defining any message it needs.
func (g *pbGen) fieldType(field string, s *connect.Schema) (typ, label string, err error) {
	switch s.Type {
	case connect.Array:
		if s.Items == nil {
			return "", "", errors.New("array schema without items")
		}
		if s.Items.Type == connect.Array || s.Items.Type == connect.Map {
			return "", "", fmt.Errorf("arrays of %ss are not supported (Protobuf has no repeated repeated fields)", s.Items.Type)
		}
		t, err := g.singular(s.Items)
		return t, "repeated", err
	case connect.Map:
		if s.Keys == nil || s.Values == nil {
			return "", "", errors.New("map schema without keys or values")
		}
		if s.Values.Type == connect.Array || s.Values.Type == connect.Map {
			return "", "", fmt.Errorf("maps of %ss are not supported", s.Values.Type)
		}
		switch s.Keys.Type {
		case connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Boolean, connect.String:
			if s.Keys.Name == "" {
				kt, _ := g.singular(s.Keys)
				vt, err := g.singular(s.Values)
				return "map<" + kt + ", " + vt + ">", "", err
			}
		}
		return "", "", fmt.Errorf("map keys of type %s are not supported (Protobuf map keys are integers, booleans or strings)", connect.Type(strings.TrimSpace(string(s.Keys.Type)+" "+s.Keys.Name)))
	}
	t, err := g.singular(s)
	if err != nil {
		return "", "", err
	}
	if s.Optional && !strings.Contains(t, ".") && s.Type != connect.Struct {
		return t, "optional", nil
	}
	return t, "", nil
}

// singular is the type of one value of s (not repeated).
func (g *pbGen) singular(s *connect.Schema) (string, error) {
	if l, ok := pbLogicalTypes[s.Name]; ok {
		g.imports[l.file] = true
		return "." + l.typ, nil
	}
	switch s.Type {
	case connect.Int8, connect.Int16, connect.Int32:
		return "int32", nil
	case connect.Int64:
		return "int64", nil
	case connect.Float32:
		return "float", nil
	case connect.Float64:
		return "double", nil
	case connect.Boolean:
		return "bool", nil
	case connect.String:
		return "string", nil
	case connect.Bytes:
		return "bytes", nil
	case connect.Struct:
		if ref, ok := g.defined[s.Name]; ok && s.Name != "" {
			return ref, nil
		}
		ns, name := "", s.Name
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			ns, name = name[:i], name[i+1:]
		}
		if name == "" {
			g.nameIndex++
			name = pbDefaultName + strconv.Itoa(g.nameIndex)
		}
		if !pbIdent.MatchString(name) {
			return "", fmt.Errorf("struct name %q does not end in a Protobuf message name", s.Name)
		}
		if s.Name != "" {
			g.defined[s.Name] = name
		}
		indent, dst := "  ", &g.nested
		if s.Name != "" && ns == g.pkg {
			indent, dst = "", &g.top
		}
		fields, err := g.fields(s, indent)
		if err != nil {
			return "", err
		}
		if dst == &g.top {
			dst.WriteString("\n")
		}
		dst.WriteString(indent + "message " + name + " {\n" + fields + indent + "}\n")
		return name, nil
	}
	return "", fmt.Errorf("unsupported Connect type %q", s.Type)
}

// pbToConnect maps a message descriptor to a Connect struct schema the way
// ProtobufData.toConnectSchema does: named by the message's full name,
// fields in declaration order; integer types to int32/int64 (unsigned 32
// bit and all 64 bit types to int64), float/double, bool, string, bytes,
// enums to strings, messages to structs, the logical types back, the
// google.protobuf wrappers to optional primitives, repeated fields to
// arrays and map fields to maps. A field with presence (proto3 optional,
// a message, a oneof member) is optional.
func pbToConnect(md protoreflect.MessageDescriptor, depth int) (*connect.Schema, error) {
	if depth > jsMaxDepth {
		return nil, fmt.Errorf("message %s nests deeper than %d (recursive messages are not supported)", md.FullName(), jsMaxDepth)
	}
	s := &connect.Schema{Type: connect.Struct, Name: string(md.FullName())}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		fs, err := pbFieldSchema(fd, depth)
		if err != nil {
			return nil, inField(err, string(fd.Name()))
		}
		s.Fields = append(s.Fields, connect.Field{Name: string(fd.Name()), Index: i, Schema: fs})
	}
	return s, nil
}

func pbFieldSchema(fd protoreflect.FieldDescriptor, depth int) (*connect.Schema, error) {
	if fd.IsMap() {
		k, err := pbSingularSchema(fd.MapKey(), depth)
		if err != nil {
			return nil, err
		}
		v, err := pbSingularSchema(fd.MapValue(), depth)
		if err != nil {
			return nil, err
		}
		return &connect.Schema{Type: connect.Map, Keys: k, Values: v}, nil
	}
	s, err := pbSingularSchema(fd, depth)
	if err != nil {
		return nil, err
	}
	params, err := pbFieldParams(fd)
	if err != nil {
		return nil, err
	}
	switch {
	case s.Name == connect.DecimalName:
		if _, ok := params[connect.DecimalScaleParam]; !ok {
			return nil, fmt.Errorf("%s field without a %q parameter in its (confluent.field_meta) option", pbDecimalType, connect.DecimalScaleParam)
		}
		s.Parameters = params
	case s.Type == connect.Int32 && (params[jsPropConnectType] == "int8" || params[jsPropConnectType] == "int16"):
		s.Type = connect.Type(params[jsPropConnectType])
	}
	if fd.IsList() {
		return &connect.Schema{Type: connect.Array, Items: s}, nil
	}
	if fd.HasPresence() {
		s.Optional = true
	}
	return s, nil
}

// pbWrappers are the google.protobuf wrapper messages, read as optional
// primitives.
var pbWrappers = map[protoreflect.FullName]connect.Type{
	"google.protobuf.DoubleValue": connect.Float64, "google.protobuf.FloatValue": connect.Float32,
	"google.protobuf.Int64Value": connect.Int64, "google.protobuf.UInt64Value": connect.Int64,
	"google.protobuf.Int32Value": connect.Int32, "google.protobuf.UInt32Value": connect.Int64,
	"google.protobuf.BoolValue": connect.Boolean, "google.protobuf.StringValue": connect.String,
	"google.protobuf.BytesValue": connect.Bytes,
}

func pbSingularSchema(fd protoreflect.FieldDescriptor, depth int) (*connect.Schema, error) {
	switch fd.Kind() {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return connect.Primitive(connect.Int32), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind,
		protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return connect.Primitive(connect.Int64), nil
	case protoreflect.FloatKind:
		return connect.Primitive(connect.Float32), nil
	case protoreflect.DoubleKind:
		return connect.Primitive(connect.Float64), nil
	case protoreflect.BoolKind:
		return connect.Primitive(connect.Boolean), nil
	case protoreflect.StringKind, protoreflect.EnumKind:
		return connect.Primitive(connect.String), nil
	case protoreflect.BytesKind:
		return connect.Primitive(connect.Bytes), nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		md := fd.Message()
		switch md.FullName() {
		case pbDecimalType:
			return pbDecimalSchema(fd), nil
		case pbDateType:
			return connect.DateSchema(), nil
		case pbTimeType:
			return connect.TimeSchema(), nil
		case pbTimestampType:
			return connect.TimestampSchema(), nil
		}
		if t, ok := pbWrappers[md.FullName()]; ok {
			return &connect.Schema{Type: t, Optional: true}, nil
		}
		return pbToConnect(md, depth+1)
	}
	return nil, fmt.Errorf("unsupported Protobuf kind %s", fd.Kind())
}

// pbDecimalSchema is the Connect Decimal a confluent.type.Decimal field
// reads as; its parameters (the scale) come from the field's
// (confluent.field_meta) option.
func pbDecimalSchema(protoreflect.FieldDescriptor) *connect.Schema {
	return &connect.Schema{Type: connect.Bytes, Name: connect.DecimalName, Version: 1}
}

// pbFieldParams reads the params map of a field's (confluent.field_meta)
// option from the option's wire bytes, whether the compiler kept it as a
// known extension or as unknown fields.
func pbFieldParams(fd protoreflect.FieldDescriptor) (map[string]string, error) {
	opts := fd.Options()
	if opts == nil {
		return nil, nil
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(opts)
	if err != nil {
		return nil, err
	}
	var params map[string]string
	err = pbEachBytes(raw, pbMetaField, func(meta []byte) error {
		return pbEachBytes(meta, 2, func(entry []byte) error { // Meta.params
			var kv [2]string
			for i := range kv {
				err := pbEachBytes(entry, protowire.Number(i+1), func(b []byte) error { kv[i] = string(b); return nil })
				if err != nil {
					return err
				}
			}
			if params == nil {
				params = map[string]string{}
			}
			params[kv[0]] = kv[1]
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("malformed (confluent.field_meta) option: %w", err)
	}
	return params, nil
}

// pbEachBytes calls fn with the value of every length-delimited field num
// of the message bytes b, skipping the other fields.
func pbEachBytes(b []byte, num protowire.Number, fn func([]byte) error) error {
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if n != num || typ != protowire.BytesType {
			if l = protowire.ConsumeFieldValue(n, typ, b); l < 0 {
				return protowire.ParseError(l)
			}
			b = b[l:]
			continue
		}
		v, l := protowire.ConsumeBytes(b)
		if l < 0 {
			return protowire.ParseError(l)
		}
		b = b[l:]
		if err := fn(v); err != nil {
			return err
		}
	}
	return nil
}

// pbMessageAt returns the message a Confluent message index path names:
// the first index into the file's top-level messages, each later one into
// the previous message's nested messages.
func pbMessageAt(fd protoreflect.FileDescriptor, path []int) (protoreflect.MessageDescriptor, error) {
	if len(path) == 0 {
		path = []int{0}
	}
	msgs := fd.Messages()
	var md protoreflect.MessageDescriptor
	for depth, i := range path {
		if i < 0 || i >= msgs.Len() {
			return nil, fmt.Errorf("message index %d at depth %d is out of range (%d messages)", i, depth, msgs.Len())
		}
		md = msgs.Get(i)
		msgs = md.Messages()
	}
	return md, nil
}

// pbIndexesOf is the message index path of md within its file.
func pbIndexesOf(md protoreflect.MessageDescriptor) []int {
	var path []int
	for d := protoreflect.Descriptor(md); ; {
		path = append(path, d.Index())
		p := d.Parent()
		if _, ok := p.(protoreflect.MessageDescriptor); !ok {
			break
		}
		d = p
	}
	slices.Reverse(path)
	return path
}

// sortEntries orders map entries by key (numbers by value, false before
// true) so reading is deterministic: Protobuf maps have no order.
func sortEntries(es []connect.MapEntry) {
	less := func(a, b any) bool {
		switch x := a.(type) {
		case string:
			return x < b.(string)
		case bool:
			return !x && b.(bool)
		}
		na, _ := toInt(a, math.MinInt64, math.MaxInt64)
		nb, _ := toInt(b, math.MinInt64, math.MaxInt64)
		return na < nb
	}
	sort.SliceStable(es, func(a, b int) bool { return less(es[a].Key, es[b].Key) })
}
