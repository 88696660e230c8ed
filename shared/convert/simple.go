package convert

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

var (
	optionalString  = connect.Primitive(connect.String).Optionally()
	optionalBytes   = connect.Primitive(connect.Bytes).Optionally()
	optionalInt32   = connect.Primitive(connect.Int32).Optionally()
	optionalInt64   = connect.Primitive(connect.Int64).Optionally()
	optionalFloat64 = connect.Primitive(connect.Float64).Optionally()
)

// stringConverter is org.apache.kafka.connect.storage.StringConverter: the
// value's text in UTF-8; ToConnect returns an optional string schema.
type stringConverter struct{}

func (stringConverter) FromConnect(_ string, _ *connect.Schema, value any) ([]byte, error) {
	switch v := value.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(v), nil
	case []byte:
		return nil, fmt.Errorf("convert: StringConverter: bytes value has no text form; use ByteArrayConverter")
	}
	s, ok := scalarText(value)
	if !ok {
		return nil, fmt.Errorf("convert: StringConverter: cannot write %T as text", value)
	}
	return []byte(s), nil
}

func (stringConverter) ToConnect(_ string, data []byte) (*connect.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	return optionalString, string(data), nil
}

// scalarText formats a scalar the way Java's toString does for the boxed type.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		return string(v), true
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return fmt.Sprint(v), true
	case float32:
		return string(appendJavaFloat(nil, float64(v), 32)), true
	case float64:
		return string(appendJavaFloat(nil, v, 64)), true
	case connect.Decimal:
		return v.String(), true
	}
	return "", false
}

// byteArrayConverter is org.apache.kafka.connect.converters.ByteArrayConverter:
// bytes pass through unchanged (not copied).
type byteArrayConverter struct{}

func (byteArrayConverter) FromConnect(_ string, schema *connect.Schema, value any) ([]byte, error) {
	if schema != nil && schema.Type != connect.Bytes {
		return nil, fmt.Errorf("convert: ByteArrayConverter: invalid schema type %s, want bytes", schema.Type)
	}
	switch v := value.(type) {
	case nil:
		return nil, nil
	case []byte:
		return v, nil
	}
	return nil, fmt.Errorf("convert: ByteArrayConverter: value is %T, want []byte", value)
}

func (byteArrayConverter) ToConnect(_ string, data []byte) (*connect.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	return optionalBytes, data, nil
}

// numberConverter is IntegerConverter (int32, 4 bytes big-endian), LongConverter
// (int64, 8 bytes) or DoubleConverter (IEEE 754 float64, 8 bytes), like
// Kafka's IntegerSerializer/LongSerializer/DoubleSerializer.
type numberConverter struct{ kind connect.Type }

func (c numberConverter) FromConnect(_ string, schema *connect.Schema, value any) ([]byte, error) {
	if value == nil {
		return nil, nil
	}
	if schema != nil && schema.Type != c.kind {
		return nil, fmt.Errorf("convert: %s converter: invalid schema type %s", c.kind, schema.Type)
	}
	switch c.kind {
	case connect.Int32:
		n, err := toInt(value, math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, fmt.Errorf("convert: IntegerConverter: %w", err)
		}
		return binary.BigEndian.AppendUint32(nil, uint32(int32(n))), nil
	case connect.Int64:
		n, err := toInt(value, math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, fmt.Errorf("convert: LongConverter: %w", err)
		}
		return binary.BigEndian.AppendUint64(nil, uint64(n)), nil
	default:
		f, err := toFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("convert: DoubleConverter: %w", err)
		}
		return binary.BigEndian.AppendUint64(nil, math.Float64bits(f)), nil
	}
}

func (c numberConverter) ToConnect(_ string, data []byte) (*connect.Schema, any, error) {
	if data == nil {
		return nil, nil, nil
	}
	switch c.kind {
	case connect.Int32:
		if len(data) != 4 {
			return nil, nil, fmt.Errorf("convert: IntegerConverter: size of data received is %d, want 4", len(data))
		}
		return optionalInt32, int32(binary.BigEndian.Uint32(data)), nil
	case connect.Int64:
		if len(data) != 8 {
			return nil, nil, fmt.Errorf("convert: LongConverter: size of data received is %d, want 8", len(data))
		}
		return optionalInt64, int64(binary.BigEndian.Uint64(data)), nil
	default:
		if len(data) != 8 {
			return nil, nil, fmt.Errorf("convert: DoubleConverter: size of data received is %d, want 8", len(data))
		}
		return optionalFloat64, math.Float64frombits(binary.BigEndian.Uint64(data)), nil
	}
}
