package transform

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// fuzzVectors makes n random vectors: a random struct schema (primitives,
// logical types, arrays, maps, nested structs, optional or not), random
// values with nulls, and a chain of one to three random transforms whose
// field names mostly exist in the schema.
func fuzzVectors(rng *rand.Rand, n int) []vector {
	js, _ := convert.New(convert.JSONConverterClass, nil, false)
	var out []vector
	for i := 0; i < n; i++ {
		s, ks := randSchema(rng, 0), randSchema(rng, 1)
		schemas := rng.Intn(4) != 0
		v := vector{ID: fmt.Sprintf("fuzz-%03d", i), Schemas: schemas, Config: randChain(rng, s)}
		for j := 0; j < 3; j++ {
			row := randStruct(rng, s)
			var value json.RawMessage
			switch {
			case rng.Intn(10) == 0:
				value = json.RawMessage("null")
			case schemas:
				b, err := js.FromConnect("t", s, row)
				if err != nil {
					panic(err)
				}
				value = b
			default:
				value = schemalessJSON(row)
			}
			ts := rng.Int63n(4000000000000) - 1000000000000
			r := vrecord{Topic: []string{"orders", "inventory.items", "x"}[rng.Intn(3)], Partition: int32(rng.Intn(4)), Offset: rng.Int63n(1000),
				Timestamp: &ts, Key: json.RawMessage("null"), Value: value, Headers: [][2]*string{}}
			if rng.Intn(5) == 0 {
				r.Timestamp = nil
			}
			if rng.Intn(2) == 0 {
				k, val := "h"+fmt.Sprint(rng.Intn(3)), fmt.Sprint(rng.Intn(100))
				r.Headers = append(r.Headers, [2]*string{&k, &val})
			}
			switch k := rng.Intn(3); {
			case k == 1 && schemas:
				r.Key, _ = js.FromConnect("t", connect.Primitive(connect.String), fmt.Sprint("k", rng.Intn(100)))
			case k == 2 && schemas:
				r.Key, _ = js.FromConnect("t", ks, randStruct(rng, ks))
			case k == 2:
				r.Key = schemalessJSON(randStruct(rng, ks))
			}
			v.Records = append(v.Records, r)
		}
		out = append(out, v)
	}
	return out
}

var fuzzNames = []string{"a", "b", "c", "d", "e", "f", "g"}

func randSchema(rng *rand.Rand, depth int) *connect.Schema {
	nf := 2 + rng.Intn(4)
	var fields []connect.Field
	for i := 0; i < nf; i++ {
		fields = append(fields, connect.Field{Name: fuzzNames[i], Schema: randFieldSchema(rng, depth)})
	}
	return connect.NewStructSchema(fmt.Sprintf("fz.S%d", depth), fields...)
}

func randFieldSchema(rng *rand.Rand, depth int) *connect.Schema {
	var s *connect.Schema
	switch k := rng.Intn(19); {
	case k < 8:
		s = connect.Primitive([]connect.Type{connect.Int8, connect.Int16, connect.Int32, connect.Int64, connect.Float32, connect.Float64, connect.Boolean, connect.String}[k])
	case k == 8:
		s = connect.DecimalSchema(rng.Intn(4), 0)
	case k == 9:
		s = connect.DateSchema()
	case k == 10:
		s = connect.TimeSchema()
	case k == 11:
		s = connect.TimestampSchema()
	case k == 12:
		s = &connect.Schema{Type: connect.Array, Items: connect.Primitive(connect.Int32)}
	case k == 13:
		s = &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.String)}
	case k == 14 && depth < 2:
		s = randSchema(rng, depth+1)
	case k == 15 && depth < 2:
		s = &connect.Schema{Type: connect.Array, Items: randSchema(rng, depth+1)}
	case k == 16:
		s = &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.Int32), Values: connect.Primitive(connect.Float64).Optionally()}
	case k == 17:
		s = &connect.Schema{Type: connect.Array, Items: connect.TimestampSchema()}
	default:
		s = connect.Primitive(connect.String)
	}
	if rng.Intn(3) != 0 {
		s = s.Optionally()
	}
	return s
}

func randStruct(rng *rand.Rand, s *connect.Schema) *connect.StructValue {
	v := connect.NewStruct(s)
	for i, f := range s.Fields {
		if f.Schema.Optional && rng.Intn(5) == 0 {
			continue
		}
		v.Values[i] = randValue(rng, f.Schema)
	}
	return v
}

func randValue(rng *rand.Rand, s *connect.Schema) any {
	switch {
	case s.IsLogical(connect.DecimalName):
		return dec(rng.Int63n(2000000)-1000000, int32(s.Parameters["scale"][0]-'0'))
	case s.IsLogical(connect.DateName):
		return ms((rng.Int63n(40000) - 10000) * millisPerDay)
	case s.IsLogical(connect.TimeName):
		return ms(rng.Int63n(millisPerDay))
	case s.IsLogical(connect.TimestampName):
		return ms(rng.Int63n(4000000000000) - 1000000000000)
	}
	switch s.Type {
	case connect.Int8:
		return int8(rng.Intn(256) - 128)
	case connect.Int16:
		return int16(rng.Intn(65536) - 32768)
	case connect.Int32:
		return int32(rng.Uint32())
	case connect.Int64:
		if rng.Intn(2) == 0 {
			return rng.Int63n(4000000000000) - 1000000000000
		}
		return int64(rng.Uint64())
	case connect.Float32:
		return float32(rng.NormFloat64() * 1000)
	case connect.Float64:
		return rng.NormFloat64() * 1e6
	case connect.Boolean:
		return rng.Intn(2) == 0
	case connect.String:
		return []string{"", "x", "42", "-3", "true", "1.5", "2024-05-06 07:08:09", "héllo \"w\"",
			"2024-5-6 7:8:9", "2024-13-45 25:61:61", "1969-12-31 23:59:59", "2024-05-06 07:08:09 tail", "2024-05-06",
			"0001-01-01 00:00:00", "12024-01-01 00:00:00"}[rng.Intn(15)]
	case connect.Array:
		n := rng.Intn(3)
		out := make([]any, n)
		for i := range out {
			out[i] = randValue(rng, s.Items)
		}
		return out
	case connect.Map:
		var out []connect.MapEntry
		for i := 0; i < rng.Intn(3); i++ {
			if s.Keys.Type == connect.Int32 {
				var v any
				if rng.Intn(3) > 0 {
					v = rng.NormFloat64()
				}
				out = append(out, connect.MapEntry{Key: int32(i * 7), Value: v})
				continue
			}
			out = append(out, connect.MapEntry{Key: fuzzNames[i], Value: fmt.Sprint(rng.Intn(9))})
		}
		return out
	case connect.Struct:
		return randStruct(rng, s)
	}
	return nil
}

func randField(rng *rand.Rand, s *connect.Schema) string {
	if rng.Intn(8) == 0 {
		return "zz"
	}
	return s.Fields[rng.Intn(len(s.Fields))].Name
}

func randChain(rng *rand.Rand, s *connect.Schema) map[string]string {
	n := 1 + rng.Intn(3)
	cfg := map[string]string{}
	var aliases, preds []string
	for i := 0; i < n; i++ {
		alias := fmt.Sprintf("t%d", i)
		aliases = append(aliases, alias)
		p := "transforms." + alias + "."
		kinds := []string{"Cast", "ExtractField", "Flatten", "HeaderFrom", "HoistField", "InsertField", "MaskField", "ReplaceField",
			"SetSchemaMetadata", "TimestampConverter", "ValueToKey", "DropHeaders", "InsertHeader", "TimestampRouter", "RegexRouter", "Filter"}
		kind := kinds[rng.Intn(len(kinds))]
		typ := tt + kind
		switch kind {
		case "ValueToKey", "DropHeaders", "InsertHeader", "TimestampRouter", "RegexRouter", "Filter":
		default:
			typ += []string{"$Value", "$Value", "$Key"}[rng.Intn(3)]
		}
		cfg[p+"type"] = typ
		f := randField(rng, s)
		switch kind {
		case "Cast":
			cfg[p+"spec"] = f + ":" + []string{"int8", "int16", "int32", "int64", "float32", "float64", "boolean", "string"}[rng.Intn(8)]
		case "ExtractField", "HoistField":
			cfg[p+"field"] = f
		case "Flatten":
			cfg[p+"delimiter"] = []string{".", "_"}[rng.Intn(2)]
		case "HeaderFrom":
			cfg[p+"fields"], cfg[p+"headers"], cfg[p+"operation"] = f, "hf", []string{"copy", "move"}[rng.Intn(2)]
		case "InsertField":
			cfg[p+[]string{"topic.field", "partition.field", "offset.field", "timestamp.field"}[rng.Intn(4)]] = "ins" + []string{"", "!", "?"}[rng.Intn(3)]
		case "MaskField":
			cfg[p+"fields"] = f
			if rng.Intn(2) == 0 {
				cfg[p+"replacement"] = []string{"0", "x", "1.5", "-2"}[rng.Intn(4)]
			}
		case "ReplaceField":
			cfg[p+[]string{"exclude", "include", "renames"}[rng.Intn(3)]] = map[bool]string{true: f + ":renamed", false: f}[rng.Intn(3) == 0]
			if strings.Contains(cfg[p+"exclude"]+cfg[p+"include"], ":") {
				delete(cfg, p+"exclude")
				delete(cfg, p+"include")
				cfg[p+"renames"] = f + ":renamed"
			}
		case "SetSchemaMetadata":
			cfg[p+"schema.name"] = "fz.Renamed"
		case "TimestampConverter":
			cfg[p+"field"] = f
			cfg[p+"target.type"] = []string{"string", "unix", "Date", "Time", "Timestamp"}[rng.Intn(5)]
			cfg[p+"format"] = "yyyy-MM-dd HH:mm:ss"
		case "ValueToKey":
			cfg[p+"fields"] = f
		case "DropHeaders":
			cfg[p+"headers"] = "h" + fmt.Sprint(rng.Intn(3))
		case "InsertHeader":
			cfg[p+"header"], cfg[p+"value.literal"] = "ih", []string{"v", "12", "2.5", "false"}[rng.Intn(4)]
		case "TimestampRouter":
		case "RegexRouter":
			cfg[p+"regex"], cfg[p+"replacement"] = "(.*)s", "$1"
		case "Filter":
			pa := "p" + alias
			preds = append(preds, pa)
			pp := "predicates." + pa + "."
			cfg[pp+"type"] = pre + []string{"TopicNameMatches", "HasHeaderKey", "RecordIsTombstone"}[rng.Intn(3)]
			switch {
			case strings.HasSuffix(cfg[pp+"type"], "TopicNameMatches"):
				cfg[pp+"pattern"] = "orders|x"
			case strings.HasSuffix(cfg[pp+"type"], "HasHeaderKey"):
				cfg[pp+"name"] = "h1"
			}
			cfg[p+"predicate"] = pa
			if rng.Intn(2) == 0 {
				cfg[p+"negate"] = "true"
			}
		}
	}
	if len(preds) > 0 {
		cfg["predicates"] = strings.Join(preds, ",")
	}
	cfg["transforms"] = strings.Join(aliases, ",")
	return cfg
}
