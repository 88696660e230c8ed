package transform

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// generateVectors makes the differential test's vectors: hand-picked
// configs of every transform and predicate, each run on a corpus of
// schema'd and schemaless records, then a fuzzed set from a seeded RNG.
// The output must be deterministic (it is compared with the fixture).
func generateVectors() []vector {
	var out []vector
	schemaRecs, schemalessRecs := corpus()
	// Header text of a nested struct; schema'd only, as Kafka writes a
	// schemaless map in HashMap order (see headerText).
	out = append(out, vector{ID: "curated-struct-header", Schemas: true, Records: schemaRecs,
		Config: one(tt+"HeaderFrom$Value", "fields", "addr", "headers", "haddr", "operation", "move")})
	out = append(out, stringVectors()...)
	for i, cfg := range curatedConfigs() {
		id := fmt.Sprintf("curated-%03d", i)
		out = append(out,
			vector{ID: id + "-schema", Schemas: true, Config: cfg, Records: schemaRecs},
			vector{ID: id + "-schemaless", Schemas: false, Config: cfg, Records: schemalessRecs})
	}
	return append(out, fuzzVectors(rand.New(rand.NewSource(13)), 400)...)
}

const (
	tt  = "org.apache.kafka.connect.transforms."
	pre = "org.apache.kafka.connect.transforms.predicates."
)

// one is a chain of a single transform "a" with the given keys.
func one(typ string, kv ...string) map[string]string {
	m := map[string]string{"transforms": "a", "transforms.a.type": typ}
	for i := 0; i+1 < len(kv); i += 2 {
		m["transforms.a."+kv[i]] = kv[i+1]
	}
	return m
}

// with adds keys to a config.
func with(m map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func curatedConfigs() []map[string]string {
	cfgs := []map[string]string{
		// Cast
		one(tt+"Cast$Value", "spec", "id:int64,name:string"),
		one(tt+"Cast$Value", "spec", "id:string,active:int32,small:boolean"),
		one(tt+"Cast$Value", "spec", "price:float64,score:int8,ratio:int64"),
		one(tt+"Cast$Value", "spec", "price:string,created:string,day:string,tod:string"),
		one(tt+"Cast$Value", "spec", "price:int32,created:int64,day:int32,tod:int32"),
		one(tt+"Cast$Value", "spec", "epoch:float64,mid:int8,qty:int16,small:float32"),
		one(tt+"Cast$Value", "spec", "when:int64"),
		one(tt+"Cast$Value", "spec", "name:float64"),
		one(tt+"Cast$Value", "spec", "blob:string"),
		one(tt+"Cast$Value", "spec", "tags:string"),
		one(tt+"Cast$Value", "spec", "score:string,ratio:string,active:string"),
		one(tt+"Cast$Value", "spec", "qty:string,active:float32"),
		one(tt+"Cast$Value", "spec", "string"),
		one(tt+"Cast$Value", "spec", "id:int32", "replace.null.with.default", "false"),
		one(tt+"Cast$Key", "spec", "int32"),
		one(tt+"Cast$Key", "spec", "id:string"),
		one(tt+"Cast$Value", "spec", "id:bytes"),
		// DropHeaders
		one(tt+"DropHeaders", "headers", "h1"),
		one(tt+"DropHeaders", "headers", "h1,trace,missing"),
		// ExtractField
		one(tt+"ExtractField$Value", "field", "id"),
		one(tt+"ExtractField$Value", "field", "addr"),
		one(tt+"ExtractField$Value", "field", "tags"),
		one(tt+"ExtractField$Value", "field", "qty"),
		one(tt+"ExtractField$Value", "field", "qty", "replace.null.with.default", "false"),
		one(tt+"ExtractField$Value", "field", "missing"),
		one(tt+"ExtractField$Key", "field", "id"),
		// Filter with each predicate, negated or not
		with(one(tt+"Filter", "predicate", "p"), "predicates", "p", "predicates.p.type", pre+"TopicNameMatches", "predicates.p.pattern", "orders.*"),
		with(one(tt+"Filter", "predicate", "p", "negate", "true"), "predicates", "p", "predicates.p.type", pre+"TopicNameMatches", "predicates.p.pattern", "cust[a-z]+\\.v\\d"),
		with(one(tt+"Filter", "predicate", "p"), "predicates", "p", "predicates.p.type", pre+"HasHeaderKey", "predicates.p.name", "trace"),
		with(one(tt+"Filter", "predicate", "p", "negate", "true"), "predicates", "p", "predicates.p.type", pre+"HasHeaderKey", "predicates.p.name", "h1"),
		with(one(tt+"Filter", "predicate", "p"), "predicates", "p", "predicates.p.type", pre+"RecordIsTombstone"),
		with(one(tt+"Filter", "predicate", "p", "negate", "true"), "predicates", "p", "predicates.p.type", pre+"RecordIsTombstone"),
		one(tt + "Filter"),
		// Flatten
		one(tt + "Flatten$Value"),
		one(tt+"Flatten$Value", "delimiter", "_"),
		one(tt + "Flatten$Key"),
		// HeaderFrom
		one(tt+"HeaderFrom$Value", "fields", "id,name", "headers", "hid,hname", "operation", "copy"),
		one(tt+"HeaderFrom$Value", "fields", "id,email", "headers", "hid,hemail", "operation", "move"),
		one(tt+"HeaderFrom$Value", "fields", "tags,name", "headers", "htags,hname", "operation", "copy"),
		one(tt+"HeaderFrom$Value", "fields", "price,created,day,tod,blob,score,ratio,active", "headers", "a,b,c,d,e,f,g,h", "operation", "copy"),
		one(tt+"HeaderFrom$Value", "fields", "qty", "headers", "hq", "operation", "move"),
		one(tt+"HeaderFrom$Value", "fields", "missing", "headers", "hm", "operation", "copy"),
		one(tt+"HeaderFrom$Key", "fields", "id", "headers", "kid", "operation", "copy"),
		// HoistField
		one(tt+"HoistField$Value", "field", "wrapped"),
		one(tt+"HoistField$Key", "field", "k"),
		// InsertField
		one(tt+"InsertField$Value", "topic.field", "topic", "partition.field", "part", "offset.field", "off", "timestamp.field", "ts", "static.field", "src", "static.value", "db"),
		one(tt+"InsertField$Value", "topic.field", "topic!", "partition.field", "part?", "timestamp.field", "ts!"),
		one(tt+"InsertField$Value", "static.field", "src"),
		one(tt+"InsertField$Value", "offset.field", "id"),
		one(tt+"InsertField$Key", "topic.field", "topic", "offset.field", "off!"),
		// InsertHeader
		one(tt+"InsertHeader", "header", "x", "value.literal", "hello"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "42"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "1.50"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "-7"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "1e3"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "007"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "true"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "hello world"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "2024-01-02"),
		one(tt+"InsertHeader", "header", "h1", "value.literal", "12345678901234567890"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "1.0"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "1e30"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "0.1"),
		one(tt+"InsertHeader", "header", "x", "value.literal", ""),
		one(tt+"InsertHeader", "header", "x", "value.literal", "FALSE"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "2024-01-02T03:04:05.123Z"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "12:34:56.789Z"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "+7"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "0.5e-3"),
		one(tt+"InsertHeader", "header", "x", "value.literal", ".5"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "1,2"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "a b"),
		one(tt+"InsertHeader", "header", "x", "value.literal", " padded "),
		one(tt+"InsertHeader", "header", "x", "value.literal", "1."),
		one(tt+"InsertHeader", "header", "x", "value.literal", "1:30"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "2024-01-02T00:00:00.000Z"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "\"quoted\""),
		one(tt+"InsertHeader", "header", "x", "value.literal", "-x"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "null,1"),
		one(tt+"InsertHeader", "header", "x", "value.literal", "true}"),
		one(tt+"InsertField$Value", "static.field", "src", "static.value", " db "),
		one(tt+"Flatten$Value", "delimiter", " _ "),
		one(tt+"RegexRouter", "regex", "(.*)", "replacement", " x$1 "),
		one(tt+"TimestampRouter", "topic.format", " ${topic}-${timestamp} ", "timestamp.format", " yyyy "),
		// MaskField
		one(tt+"MaskField$Value", "fields", "name,email"),
		one(tt+"MaskField$Value", "fields", "id,score,ratio,active,created,day,tod,price,tags,attrs,small,mid,qty,epoch"),
		one(tt+"MaskField$Value", "fields", "name,email", "replacement", "***"),
		one(tt+"MaskField$Value", "fields", "id,qty,small,mid", "replacement", "9"),
		one(tt+"MaskField$Value", "fields", "score,ratio", "replacement", "1.25"),
		one(tt+"MaskField$Value", "fields", "price", "replacement", "9.99"),
		one(tt+"MaskField$Value", "fields", "id", "replacement", "x"),
		one(tt+"MaskField$Value", "fields", "blob"),
		one(tt+"MaskField$Value", "fields", "addr"),
		one(tt+"MaskField$Value", "fields", "active", "replacement", "true"),
		one(tt+"MaskField$Value", "fields", "created", "replacement", "0"),
		one(tt+"MaskField$Key", "fields", "id"),
		// RegexRouter
		one(tt+"RegexRouter", "regex", "orders(.*)", "replacement", "db_$1"),
		one(tt+"RegexRouter", "regex", "(\\w+)\\.(v\\d)", "replacement", "$2-$1"),
		// ReplaceField
		one(tt+"ReplaceField$Value", "exclude", "email,blob"),
		one(tt+"ReplaceField$Value", "include", "id,name,missing"),
		one(tt+"ReplaceField$Value", "renames", "id:order_id,name:customer"),
		one(tt+"ReplaceField$Value", "exclude", "id", "renames", "name:id"),
		one(tt+"ReplaceField$Key", "renames", "id:pk"),
		// SetSchemaMetadata
		one(tt+"SetSchemaMetadata$Value", "schema.name", "shop.OrderV2"),
		one(tt+"SetSchemaMetadata$Value", "schema.version", "3"),
		one(tt+"SetSchemaMetadata$Value", "schema.name", "x.Y", "schema.version", "7"),
		one(tt+"SetSchemaMetadata$Key", "schema.name", "shop.Key"),
		// TimestampConverter
		one(tt+"TimestampConverter$Value", "field", "created", "target.type", "string", "format", "yyyy-MM-dd HH:mm:ss"),
		one(tt+"TimestampConverter$Value", "field", "created", "target.type", "unix"),
		one(tt+"TimestampConverter$Value", "field", "created", "target.type", "Date"),
		one(tt+"TimestampConverter$Value", "field", "created", "target.type", "Time"),
		one(tt+"TimestampConverter$Value", "field", "epoch", "target.type", "Timestamp"),
		one(tt+"TimestampConverter$Value", "field", "epoch", "target.type", "string", "format", "yyyyMMdd'T'HHmmss.SSS"),
		one(tt+"TimestampConverter$Value", "field", "epoch", "target.type", "unix", "unix.precision", "seconds"),
		one(tt+"TimestampConverter$Value", "field", "epoch", "target.type", "Timestamp", "unix.precision", "microseconds"),
		one(tt+"TimestampConverter$Value", "field", "created", "target.type", "unix", "unix.precision", "nanoseconds"),
		one(tt+"TimestampConverter$Value", "field", "when", "target.type", "Timestamp", "format", "yyyy-MM-dd HH:mm:ss"),
		one(tt+"TimestampConverter$Value", "field", "when", "target.type", "unix", "format", "yyyy-MM-dd HH:mm:ss"),
		one(tt+"TimestampConverter$Value", "field", "day", "target.type", "Timestamp"),
		one(tt+"TimestampConverter$Value", "field", "tod", "target.type", "unix"),
		one(tt+"TimestampConverter$Value", "field", "name", "target.type", "unix"),
		one(tt+"TimestampConverter$Value", "target.type", "unix"),
		one(tt+"TimestampConverter$Key", "field", "id", "target.type", "Timestamp"),
		// TimestampRouter
		one(tt + "TimestampRouter"),
		one(tt+"TimestampRouter", "topic.format", "${topic}_${timestamp}", "timestamp.format", "yyyy-MM-dd"),
		// ValueToKey
		one(tt+"ValueToKey", "fields", "id"),
		one(tt+"ValueToKey", "fields", "id,name,addr"),
		one(tt+"ValueToKey", "fields", "qty"),
		one(tt+"ValueToKey", "fields", "missing"),
		// Chains
		{"transforms": "createKey,extractInt", "transforms.createKey.type": tt + "ValueToKey", "transforms.createKey.fields": "id",
			"transforms.extractInt.type": tt + "ExtractField$Key", "transforms.extractInt.field": "id"},
		{"transforms": "flat,cast", "transforms.flat.type": tt + "Flatten$Value", "transforms.cast.type": tt + "Cast$Value",
			"transforms.cast.spec": "addr.geo.lat:string,id:int64"},
		{"transforms": "mask,drop,route", "predicates": "isOrders,tomb",
			"transforms.mask.type": tt + "MaskField$Value", "transforms.mask.fields": "email", "transforms.mask.replacement": "redacted",
			"transforms.mask.predicate": "isOrders",
			"transforms.drop.type":      tt + "ReplaceField$Value", "transforms.drop.exclude": "blob,attrs",
			"transforms.drop.predicate": "tomb", "transforms.drop.negate": "true",
			"transforms.route.type": tt + "TimestampRouter", "transforms.route.predicate": "isOrders",
			"predicates.isOrders.type": pre + "TopicNameMatches", "predicates.isOrders.pattern": "orders",
			"predicates.tomb.type": pre + "RecordIsTombstone"},
		// Config errors both sides must refuse
		one(tt+"Cast$Value", "spec", "id:decimal"),
		one(tt+"Cast$Value", "spec", "int32,id:int64"),
		one(tt+"HeaderFrom$Value", "fields", "a,b", "headers", "x", "operation", "copy"),
		one(tt+"HeaderFrom$Value", "fields", "a", "headers", "x", "operation", "steal"),
		one(tt+"TimestampConverter$Value", "field", "x", "target.type", "string"),
		one(tt+"TimestampConverter$Value", "field", "x", "target.type", "epoch"),
		one(tt + "SetSchemaMetadata$Value"),
		one(tt + "ExtractField$Value"),
		one(tt + "HoistField$Value"),
		one(tt + "MaskField$Value"),
		one(tt + "ValueToKey"),
		one(tt + "DropHeaders"),
		one(tt+"InsertHeader", "header", "x"),
		one(tt+"TimestampConverter$Value", "field", "x", "target.type", "unix", "unix.precision", "days"),
		with(one(tt+"Filter"), "predicates", "p", "predicates.p.type", pre+"TopicNameMatches"),
		with(one(tt+"Filter"), "predicates", "p", "predicates.p.type", pre+"HasHeaderKey"),
	}
	return cfgs
}

// stringVectors run the transforms that parse text (Cast from string,
// TimestampConverter from string, MaskField replacement) on awkward strings,
// one schemaless record each.
func stringVectors() []vector {
	texts := []string{"", "0", "12", "-128", "128", "+5", " 7", "7 ", "007", "1e3", "1.5", "-1.5e-3", "0x10", "NaN", "Infinity",
		"-Infinity", "inf", "1_000", "true", "TRUE", "yes", "9223372036854775808", "3.4028236e38", "1.0E-50",
		"2024-05-06 07:08:09", "2024-5-6 7:8:9", "2024-13-45 25:61:61", "1969-12-31 23:59:59", "2024-05-06 07:08:09 tail",
		"2024-05-06", "0001-01-01 00:00:00", "12024-01-01 00:00:00", "-2024-01-01 00:00:00"}
	var recs []vrecord
	ts := int64(1700000000000)
	for i, s := range texts {
		b, _ := json.Marshal(map[string]any{"s": s, "i": i, "f": json.Number("1.5")})
		recs = append(recs, vrecord{Topic: "t", Partition: 0, Offset: int64(i), Timestamp: &ts, Key: json.RawMessage("null"), Value: b, Headers: [][2]*string{}})
	}
	var out []vector
	configs := []map[string]string{
		one(tt+"Cast$Value", "spec", "s:int8"), one(tt+"Cast$Value", "spec", "s:int64"), one(tt+"Cast$Value", "spec", "s:float32"),
		one(tt+"Cast$Value", "spec", "s:float64"), one(tt+"Cast$Value", "spec", "s:boolean"),
		one(tt+"TimestampConverter$Value", "field", "s", "target.type", "unix", "format", "yyyy-MM-dd HH:mm:ss"),
		one(tt+"TimestampConverter$Value", "field", "s", "target.type", "string", "format", "yyyy-MM-dd HH:mm:ss"),
		one(tt+"TimestampConverter$Value", "field", "s", "target.type", "unix", "format", "yyyy-MM-dd"),
	}
	for _, repl := range []string{"1e3", "+5", " 7", "NaN", "3.4028236e38", "9223372036854775808", "-0"} {
		configs = append(configs, one(tt+"MaskField$Value", "fields", "i,f,s", "replacement", repl))
	}
	for i, cfg := range configs {
		out = append(out, vector{ID: fmt.Sprintf("strings-%02d", i), Schemas: false, Config: cfg, Records: recs})
	}
	return out
}

// ---- the corpus ----

var (
	geoSchema = connect.NewStructSchema("shop.Geo",
		connect.Field{Name: "lat", Schema: connect.Primitive(connect.Float64)},
		connect.Field{Name: "lon", Schema: connect.Primitive(connect.Float64)}).Optionally()
	addrSchema = connect.NewStructSchema("shop.Address",
		connect.Field{Name: "street", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "city", Schema: connect.Primitive(connect.String).Optionally()},
		connect.Field{Name: "geo", Schema: geoSchema}).Optionally()
	qtySchema = &connect.Schema{Type: connect.Int64, Optional: true, Default: int64(1)}
	// orderSchema is a row of every kind the transforms meet.
	orderSchema = func() *connect.Schema {
		s := connect.NewStructSchema("shop.Order",
			connect.Field{Name: "id", Schema: connect.Primitive(connect.Int32)},
			connect.Field{Name: "name", Schema: connect.Primitive(connect.String).Optionally()},
			connect.Field{Name: "email", Schema: connect.Primitive(connect.String).Optionally()},
			connect.Field{Name: "price", Schema: connect.DecimalSchema(2, 10).Optionally()},
			connect.Field{Name: "created", Schema: connect.TimestampSchema().Optionally()},
			connect.Field{Name: "day", Schema: connect.DateSchema().Optionally()},
			connect.Field{Name: "tod", Schema: connect.TimeSchema().Optionally()},
			connect.Field{Name: "active", Schema: connect.Primitive(connect.Boolean)},
			connect.Field{Name: "score", Schema: connect.Primitive(connect.Float64).Optionally()},
			connect.Field{Name: "ratio", Schema: connect.Primitive(connect.Float32).Optionally()},
			connect.Field{Name: "small", Schema: connect.Primitive(connect.Int8).Optionally()},
			connect.Field{Name: "mid", Schema: connect.Primitive(connect.Int16).Optionally()},
			connect.Field{Name: "qty", Schema: qtySchema},
			connect.Field{Name: "epoch", Schema: connect.Primitive(connect.Int64).Optionally()},
			connect.Field{Name: "when", Schema: connect.Primitive(connect.String).Optionally()},
			connect.Field{Name: "tags", Schema: (&connect.Schema{Type: connect.Array, Items: connect.Primitive(connect.String)}).Optionally()},
			connect.Field{Name: "attrs", Schema: (&connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.Int32)}).Optionally()},
			connect.Field{Name: "addr", Schema: addrSchema},
			connect.Field{Name: "blob", Schema: connect.Primitive(connect.Bytes).Optionally()})
		s.Version = 2
		return s
	}()
	keySchema = connect.NewStructSchema("shop.OrderKey", connect.Field{Name: "id", Schema: connect.Primitive(connect.Int32)})
)

func dec(unscaled int64, scale int32) connect.Decimal {
	return connect.Decimal{Unscaled: big.NewInt(unscaled), Scale: scale}
}

func structOf(s *connect.Schema, vals ...any) *connect.StructValue {
	v := connect.NewStruct(s)
	copy(v.Values, vals)
	return v
}

func ms(n int64) time.Time { return time.UnixMilli(n).UTC() }

// orderRows are the schema'd values; schemaless rows are the same data as
// plain JSON.
func orderRows() []*connect.StructValue {
	full := structOf(orderSchema, int32(1001), "Ada", "ada@example.com", dec(1250, 2), ms(1700000000123), ms(19675*millisPerDay),
		ms(45296789), true, 3.5, float32(0.25), int8(-3), int16(300), int64(5), int64(1700000000123), "2024-01-02 03:04:05",
		[]any{"a", "b"}, []connect.MapEntry{{Key: "zeta", Value: int32(1)}, {Key: "alpha", Value: int32(2)}},
		structOf(addrSchema, "1 Main St", "Springfield", structOf(geoSchema, 51.5, -0.12)), []byte("hi"))
	sparse := structOf(orderSchema, int32(-7), nil, nil, nil, nil, nil, nil, false, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
	edge := structOf(orderSchema, int32(2147483647), "Ünïcode \"q\"", "x@y", dec(-99999, 2), ms(-86400001), ms(0),
		ms(0), true, -1e300, float32(3.4e38), int8(127), int16(-32768), int64(-9), int64(-1500), "1999-12-31 23:59:59",
		[]any{}, []connect.MapEntry{}, structOf(addrSchema, "", nil, nil), []byte{})
	return []*connect.StructValue{full, sparse, edge}
}

func corpus() (schemaRecs, schemalessRecs []vrecord) {
	js, _ := convert.New(convert.JSONConverterClass, nil, false)
	jsKey, _ := convert.New(convert.JSONConverterClass, nil, true)
	plain, _ := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	enc := func(c convert.Converter, s *connect.Schema, v any) json.RawMessage {
		b, err := c.FromConnect("t", s, v)
		if err != nil {
			panic(err)
		}
		if b == nil {
			return json.RawMessage("null")
		}
		return b
	}
	ts := int64(1700000000123)
	h := func(kv ...string) [][2]*string {
		out := [][2]*string{}
		for i := 0; i+1 < len(kv); i += 2 {
			k, v := kv[i], kv[i+1]
			if v == "<null>" {
				out = append(out, [2]*string{&k, nil})
			} else {
				out = append(out, [2]*string{&k, &v})
			}
		}
		return out
	}
	topics := []string{"orders", "customers.v1", "orders"}
	headers := [][][2]*string{h("h1", "v1", "trace", "abc"), h(), h("h1", "<null>", "h1", "again")}
	for i, row := range orderRows() {
		key := structOf(keySchema, row.Values[0])
		r := vrecord{Topic: topics[i], Partition: int32(i), Offset: int64(100 + i), Key: enc(jsKey, keySchema, key), Value: enc(js, orderSchema, row), Headers: headers[i]}
		if i != 1 {
			r.Timestamp = &ts
		}
		schemaRecs = append(schemaRecs, r)
		pr := r
		pr.Key = enc(plain, nil, map[string]any{"id": json.Number(fmt.Sprint(row.Values[0]))})
		pr.Value = schemalessJSON(row)
		schemalessRecs = append(schemalessRecs, pr)
	}
	// a tombstone, a primitive value and a null-keyed record
	tomb := vrecord{Topic: "orders", Partition: 0, Offset: 200, Timestamp: &ts, Key: enc(jsKey, keySchema, structOf(keySchema, int32(9))), Value: json.RawMessage("null"), Headers: h("trace", "t")}
	prim := vrecord{Topic: "orders", Partition: 1, Offset: 201, Timestamp: &ts, Key: json.RawMessage("null"), Value: enc(js, connect.Primitive(connect.Int64), int64(1700000000123)), Headers: h()}
	schemaRecs = append(schemaRecs, tomb, prim)
	ptomb := tomb
	ptomb.Key = json.RawMessage(`{"id":9}`)
	pprim := prim
	pprim.Value = json.RawMessage(`1700000000123`)
	pstr := vrecord{Topic: "customers.v1", Partition: 2, Offset: 202, Timestamp: nil, Key: json.RawMessage(`"k"`), Value: json.RawMessage(`"2024-01-02 03:04:05"`), Headers: h("h1", "x")}
	schemalessRecs = append(schemalessRecs, ptomb, pprim, pstr)
	return schemaRecs, schemalessRecs
}

// javaNumber64 writes a float as Kafka's JsonConverter does (Double.toString),
// so the schemaless input is already in the form both sides write back.
func javaNumber64(f float64) json.Number {
	t, _ := convert.JavaString(f)
	return json.Number(t)
}

// schemalessJSON renders a row as plain JSON (numbers, strings, nested
// objects), the way a schemaless producer would write it.
func schemalessJSON(row *connect.StructValue) json.RawMessage {
	b, err := json.Marshal(plainValue(row))
	if err != nil {
		panic(err)
	}
	return b
}

func plainValue(v any) any {
	switch x := v.(type) {
	case *connect.StructValue:
		m := map[string]any{}
		for i, f := range x.Schema.Fields {
			if x.Values[i] != nil {
				m[f.Name] = plainValue(x.Values[i])
			}
		}
		return m
	case []connect.MapEntry:
		m := map[string]any{}
		for _, e := range x {
			m[fmt.Sprint(e.Key)] = plainValue(e.Value)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plainValue(e)
		}
		return out
	case time.Time:
		return x.UnixMilli()
	case connect.Decimal:
		f, _ := new(big.Float).SetString(x.String())
		g, _ := f.Float64()
		return javaNumber64(g)
	case float32:
		return javaNumber64(float64(x))
	case float64:
		return javaNumber64(x)
	case []byte:
		return string(x)
	}
	return v
}
