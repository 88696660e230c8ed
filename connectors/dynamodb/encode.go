package dynamodb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Encode maps a Connect value (Go representation documented on
// connect.Record) to a DynamoDB attribute value:
//
//	int8..int64, float32/64, json.Number  N
//	Decimal                               N (exact decimal string)
//	string                                S
//	[]byte                                B
//	bool                                  BOOL
//	nil                                   NULL
//	*StructValue, []MapEntry, map[string]any  M
//	[]any                                 L
//	Timestamp (time.Time)                 N, epoch milliseconds
//	Date (time.Time)                      N, epoch milliseconds of midnight UTC
//	Time (time.Time)                      N, milliseconds since midnight
//
// Times are numbers (not ISO strings) because that is their Kafka Connect
// wire form and DynamoDB TTL attributes need epoch numbers. s may be nil
// for schemaless values. NaN and infinities are errors (DynamoDB has no
// such numbers).
func Encode(v any, s *connect.Schema) (types.AttributeValue, error) {
	switch x := v.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case []byte:
		return &types.AttributeValueMemberB{Value: x}, nil
	case int8:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int16:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int32:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return num(strconv.FormatInt(x, 10)), nil
	case int:
		return num(strconv.Itoa(x)), nil
	case float32:
		return floatNum(float64(x), 32)
	case float64:
		return floatNum(x, 64)
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("%q is not a number", string(x))
		}
		return num(string(x)), nil
	case connect.Decimal:
		return num(x.String()), nil
	case time.Time:
		if s.IsLogical(connect.TimeName) {
			midnight := time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, x.Location())
			return num(strconv.FormatInt(x.Sub(midnight).Milliseconds(), 10)), nil
		}
		return num(strconv.FormatInt(x.UnixMilli(), 10)), nil
	case *connect.StructValue:
		m := make(map[string]types.AttributeValue, len(x.Values))
		for _, f := range x.Schema.Fields {
			av, err := Encode(x.Values[f.Index], f.Schema)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			m[f.Name] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case map[string]any:
		m := make(map[string]types.AttributeValue, len(x))
		for k, e := range x {
			av, err := Encode(e, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case []connect.MapEntry:
		var vs *connect.Schema
		if s != nil {
			vs = s.Values
		}
		m := make(map[string]types.AttributeValue, len(x))
		for _, e := range x {
			k, err := mapKey(e.Key)
			if err != nil {
				return nil, err
			}
			av, err := Encode(e.Value, vs)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[k] = av
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case []any:
		var is *connect.Schema
		if s != nil {
			is = s.Items
		}
		l := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := Encode(e, is)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			l[i] = av
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	}
	return nil, fmt.Errorf("unsupported value type %T", v)
}

func num(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

func floatNum(f float64, bits int) (types.AttributeValue, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("%v cannot be stored in DynamoDB", f)
	}
	// Plain notation, as the AWS SDK's attributevalue encoder writes it.
	return num(strconv.FormatFloat(f, 'f', -1, bits)), nil
}

// mapKey turns a Connect map key into an attribute name.
func mapKey(k any) (string, error) {
	switch x := k.(type) {
	case string:
		return x, nil
	case int8, int16, int32, int64, int, bool, json.Number:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("map key of type %T cannot be a DynamoDB attribute name", k)
}

// encodeItem maps a record value (struct or JSON object) to item
// attributes.
func encodeItem(v any) (map[string]types.AttributeValue, error) {
	switch v.(type) {
	case *connect.StructValue, map[string]any:
	default:
		return nil, fmt.Errorf("record value must be a struct or a JSON object to become an item, got %T", v)
	}
	av, err := Encode(v, nil)
	if err != nil {
		return nil, err
	}
	return av.(*types.AttributeValueMemberM).Value, nil
}

// Source is where a key reference reads from.
type Source string

// Key reference sources, as in Confluent's DynamoDB sink.
const (
	SourcePartition Source = "partition"
	SourceOffset    Source = "offset"
	SourceKey       Source = "key"
	SourceValue     Source = "value"
)

// KeyRef is a parsed aws.dynamodb.pk.hash / aws.dynamodb.pk.sort value:
// a record reference (partition, offset, key[.path], value[.path]) and the
// attribute name it is stored under.
type KeyRef struct {
	Source Source
	// Path is the dot-separated field path inside the key or value; empty
	// means the key or value itself.
	Path []string
	// Attribute is the alias after ':' or, by default, the last path
	// element or the source name.
	Attribute string
}

// ParseKeyRef parses "partition", "offset", "key", "key.a.b", "value.a.b",
// each optionally followed by ":attribute".
func ParseKeyRef(s string) (KeyRef, error) {
	ref, alias, hasAlias := strings.Cut(s, ":")
	parts := strings.Split(ref, ".")
	r := KeyRef{Source: Source(parts[0]), Path: parts[1:]}
	switch r.Source {
	case SourcePartition, SourceOffset:
		if len(r.Path) > 0 {
			return KeyRef{}, fmt.Errorf("%s takes no field path", r.Source)
		}
	case SourceKey, SourceValue:
	default:
		return KeyRef{}, fmt.Errorf("unknown record reference %q", parts[0])
	}
	for _, p := range r.Path {
		if p == "" {
			return KeyRef{}, fmt.Errorf("empty field name in %q", ref)
		}
	}
	r.Attribute = string(r.Source)
	if len(r.Path) > 0 {
		r.Attribute = r.Path[len(r.Path)-1]
	}
	if hasAlias {
		if alias == "" {
			return KeyRef{}, fmt.Errorf("empty attribute name after ':'")
		}
		r.Attribute = alias
	}
	if len(r.Attribute) > 255 {
		return KeyRef{}, fmt.Errorf("key attribute name longer than 255 bytes")
	}
	return r, nil
}

// String formats the reference as it is configured.
func (r KeyRef) String() string {
	s := strings.Join(append([]string{string(r.Source)}, r.Path...), ".")
	def := string(r.Source)
	if len(r.Path) > 0 {
		def = r.Path[len(r.Path)-1]
	}
	if r.Attribute != def {
		s += ":" + r.Attribute
	}
	return s
}

// resolve returns the key attribute for the record; key attributes must be
// non-empty strings, numbers or binary.
func (r KeyRef) resolve(rec *connect.Record) (types.AttributeValue, error) {
	var v any
	var s *connect.Schema
	switch r.Source {
	case SourcePartition:
		v = int64(rec.Partition)
	case SourceOffset:
		v = rec.Offset
	case SourceKey:
		v, s = rec.Key, rec.KeySchema
	case SourceValue:
		v, s = rec.Value, rec.ValueSchema
	}
	for _, p := range r.Path {
		var ok bool
		switch x := v.(type) {
		case *connect.StructValue:
			f := x.Schema.Field(p)
			if ok = f != nil; ok {
				v, s = x.Values[f.Index], f.Schema
			}
		case map[string]any:
			v, ok = x[p]
			s = nil
		case []connect.MapEntry:
			for _, e := range x {
				if k, err := mapKey(e.Key); err == nil && k == p {
					v, ok = e.Value, true
					break
				}
			}
			if s != nil {
				s = s.Values
			}
		}
		if !ok {
			return nil, fmt.Errorf("key reference %s: no field %q in the record %s", r, p, r.Source)
		}
	}
	if v == nil {
		return nil, fmt.Errorf("key reference %s: the value is null", r)
	}
	av, err := Encode(v, s)
	if err != nil {
		return nil, fmt.Errorf("key reference %s: %w", r, err)
	}
	switch a := av.(type) {
	case *types.AttributeValueMemberN:
		return a, nil
	case *types.AttributeValueMemberS:
		if a.Value == "" {
			return nil, fmt.Errorf("key reference %s: empty string cannot be a key", r)
		}
		return a, nil
	case *types.AttributeValueMemberB:
		if len(a.Value) == 0 {
			return nil, fmt.Errorf("key reference %s: empty binary cannot be a key", r)
		}
		return a, nil
	}
	return nil, fmt.Errorf("key reference %s: a %T cannot be a key; keys must be strings, numbers or bytes", r, v)
}
