package mysql

import (
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

var (
	testValueSchema = connect.NewStructSchema("v",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String).Optionally()},
		connect.Field{Name: "amount", Schema: connect.DecimalSchema(2, 10).Optionally()},
	)
	testKeySchema = connect.NewStructSchema("k",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
	)
)

func testValue(id int64, name string) *connect.StructValue {
	v := connect.NewStruct(testValueSchema)
	v.Values[0] = id
	v.Values[1] = name
	v.Values[2] = connect.Decimal{Unscaled: big.NewInt(id * 101), Scale: 2}
	return v
}

func testKey(id int64) *connect.StructValue {
	k := connect.NewStruct(testKeySchema)
	k.Values[0] = id
	return k
}

func colNames(r sinkRow) []string {
	out := make([]string, len(r.cols))
	for i, c := range r.cols {
		out[i] = c.name
	}
	return out
}

func TestExtractRow(t *testing.T) {
	rec := connect.Record{Topic: "orders", Partition: 2, Offset: 77,
		KeySchema: testKeySchema, Key: testKey(5), ValueSchema: testValueSchema, Value: testValue(5, "five")}
	tests := []struct {
		name     string
		cfg      SinkConfig
		rec      connect.Record
		wantCols []string
		wantVals []any
		nkeys    int
		del      bool
		wantErr  string
	}{
		{name: "pk none", cfg: SinkConfig{PKMode: PKModeNone}, rec: rec,
			wantCols: []string{"id", "name", "amount"}, wantVals: []any{int64(5), "five", "5.05"}},
		{name: "pk kafka", cfg: SinkConfig{PKMode: PKModeKafka, PKFields: defaultKafkaPKFields}, rec: rec,
			wantCols: []string{"__connect_topic", "__connect_partition", "__connect_offset", "id", "name", "amount"},
			wantVals: []any{"orders", int64(2), int64(77), int64(5), "five", "5.05"}, nkeys: 3},
		{name: "pk record_key struct", cfg: SinkConfig{PKMode: PKModeRecordKey}, rec: rec,
			wantCols: []string{"id", "name", "amount"}, wantVals: []any{int64(5), "five", "5.05"}, nkeys: 1},
		{name: "pk record_key primitive", cfg: SinkConfig{PKMode: PKModeRecordKey, PKFields: []string{"key"}},
			rec:      connect.Record{KeySchema: connect.Primitive(connect.String), Key: "k-1", ValueSchema: testValueSchema, Value: testValue(1, "x")},
			wantCols: []string{"key", "id", "name", "amount"}, wantVals: []any{"k-1", int64(1), "x", "1.01"}, nkeys: 1},
		{name: "pk record_key primitive without pk.fields", cfg: SinkConfig{PKMode: PKModeRecordKey},
			rec:     connect.Record{KeySchema: connect.Primitive(connect.String), Key: "k-1", Value: testValue(1, "x")},
			wantErr: "exactly one PK column"},
		{name: "pk record_key null key", cfg: SinkConfig{PKMode: PKModeRecordKey},
			rec: connect.Record{Value: testValue(1, "x")}, wantErr: "key is null"},
		{name: "pk record_key missing field", cfg: SinkConfig{PKMode: PKModeRecordKey, PKFields: []string{"nope"}},
			rec: rec, wantErr: `no field "nope"`},
		{name: "pk record_value subset", cfg: SinkConfig{PKMode: PKModeRecordValue, PKFields: []string{"name"}}, rec: rec,
			wantCols: []string{"name", "id", "amount"}, wantVals: []any{"five", int64(5), "5.05"}, nkeys: 1},
		{name: "pk record_value all", cfg: SinkConfig{PKMode: PKModeRecordValue}, rec: rec,
			wantCols: []string{"id", "name", "amount"}, wantVals: []any{int64(5), "five", "5.05"}, nkeys: 3},
		{name: "whitelist keeps key", cfg: SinkConfig{PKMode: PKModeRecordKey, FieldsWhitelist: []string{"name"}}, rec: rec,
			wantCols: []string{"id", "name"}, wantVals: []any{int64(5), "five"}, nkeys: 1},
		{name: "tombstone delete", cfg: SinkConfig{PKMode: PKModeRecordKey, DeleteEnabled: true},
			rec:      connect.Record{KeySchema: testKeySchema, Key: testKey(9)},
			wantCols: []string{"id"}, wantVals: []any{int64(9)}, nkeys: 1, del: true},
		{name: "hostile value field name refused, naming it", cfg: SinkConfig{PKMode: PKModeNone},
			rec: connect.Record{Value: map[string]any{"ok": "1", "x`; DROP TABLE t": "2"}}, wantErr: "value field: mysql: identifier \"x`; DROP TABLE t\" contains a backquote"},
		{name: "hostile key field name refused", cfg: SinkConfig{PKMode: PKModeRecordKey},
			rec: connect.Record{Key: map[string]any{" id": int64(1)}, Value: map[string]any{"v": "1"}}, wantErr: "white space"},
		{name: "hostile name allowed when permissive", cfg: SinkConfig{PKMode: PKModeNone, PermissiveIdentifiers: true},
			rec: connect.Record{Value: map[string]any{"a;b": "1"}}, wantCols: []string{"a;b"}, wantVals: []any{"1"}},
		{name: "tombstone skipped", cfg: SinkConfig{PKMode: PKModeRecordKey},
			rec: connect.Record{KeySchema: testKeySchema, Key: testKey(9)}, wantErr: "tombstone skipped"},
		{name: "schemaless value and key", cfg: SinkConfig{PKMode: PKModeRecordKey},
			rec: connect.Record{Key: map[string]any{"id": json.Number("3")},
				Value: map[string]any{"id": json.Number("3"), "tags": []any{"a"}, "price": json.Number("1.50"), "ok": true}},
			wantCols: []string{"id", "ok", "price", "tags"}, wantVals: []any{"3", true, "1.50", `["a"]`}, nkeys: 1},
		{name: "value not a struct", cfg: SinkConfig{PKMode: PKModeNone},
			rec: connect.Record{ValueSchema: connect.Primitive(connect.String), Value: "hello"}, wantErr: "must be a struct"},
		{name: "nested struct field rejected", cfg: SinkConfig{PKMode: PKModeNone},
			rec: func() connect.Record {
				inner := connect.NewStructSchema("in", connect.Field{Name: "a", Schema: connect.Primitive(connect.Int32)})
				s := connect.NewStructSchema("out", connect.Field{Name: "in", Schema: inner})
				v := connect.NewStruct(s)
				v.Values[0] = connect.NewStruct(inner)
				return connect.Record{ValueSchema: s, Value: v}
			}(), wantErr: "primitive fields only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row, err := tc.cfg.extractRow(3, "t", &tc.rec)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := colNames(row); !reflect.DeepEqual(got, tc.wantCols) {
				t.Errorf("cols = %v, want %v", got, tc.wantCols)
			}
			if !reflect.DeepEqual(row.vals, tc.wantVals) {
				t.Errorf("vals = %#v, want %#v", row.vals, tc.wantVals)
			}
			if row.nkeys != tc.nkeys || row.delete != tc.del || row.index != 3 {
				t.Errorf("nkeys=%d delete=%v index=%d, want %d %v 3", row.nkeys, row.delete, row.index, tc.nkeys, tc.del)
			}
		})
	}
}

func TestToParamLogical(t *testing.T) {
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123_000_000, time.UTC)
	tests := []struct {
		name   string
		v      any
		schema *connect.Schema
		want   any
	}{
		{"date", ts.Truncate(24 * time.Hour), connect.DateSchema(), "2024-02-29"},
		{"time", time.Date(1970, 1, 1, 13, 14, 15, 123_000_000, time.UTC), connect.TimeSchema(), "13:14:15.123"},
		{"timestamp stays time", ts, connect.TimestampSchema(), ts},
		{"negative decimal", connect.Decimal{Unscaled: big.NewInt(-5), Scale: 3}, connect.DecimalSchema(3, 0), "-0.005"},
		{"int8 widened", int8(-3), connect.Primitive(connect.Int8), int64(-3)},
		{"float32 widened", float32(0.5), connect.Primitive(connect.Float32), float64(0.5)},
		{"json number", json.Number("12345678901234567890"), nil, "12345678901234567890"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := toParam(tc.v, tc.schema)
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("toParam = %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}

func TestCollapse(t *testing.T) {
	row := func(idx int, key string, del bool) sinkRow {
		r := sinkRow{index: idx, delete: del}
		r.add(sinkColumn{name: "k", key: true}, key)
		r.finish()
		return r
	}
	noKey := func(idx int) sinkRow { return sinkRow{index: idx} }
	tests := []struct {
		name string
		in   []sinkRow
		want []int // surviving record indexes, in order
		dels []bool
	}{
		{"distinct keys kept in order", []sinkRow{row(0, "a", false), row(1, "b", false)}, []int{0, 1}, []bool{false, false}},
		{"last upsert wins", []sinkRow{row(0, "a", false), row(1, "b", false), row(2, "a", false)}, []int{1, 2}, []bool{false, false}},
		{"delete after upsert is delete", []sinkRow{row(0, "a", false), row(1, "a", true)}, []int{1}, []bool{true}},
		{"upsert after delete is upsert", []sinkRow{row(0, "a", true), row(1, "a", false)}, []int{1}, []bool{false}},
		{"rows without key all kept", []sinkRow{noKey(0), noKey(1), noKey(2)}, []int{0, 1, 2}, []bool{false, false, false}},
		{"keys that only look alike differ", []sinkRow{row(0, "1", false), func() sinkRow {
			r := sinkRow{index: 1}
			r.add(sinkColumn{name: "k", key: true}, int64(1))
			r.finish()
			return r
		}()}, []int{0, 1}, []bool{false, false}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := collapse(tc.in)
			var got []int
			var dels []bool
			for _, r := range out {
				got = append(got, r.index)
				dels = append(dels, r.delete)
			}
			if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(dels, tc.dels) {
				t.Errorf("got %v %v, want %v %v", got, dels, tc.want, tc.dels)
			}
		})
	}
}

func TestChunksBoundBytes(t *testing.T) {
	big := sinkRow{bytes: maxStatementBytes/2 + 1}
	small := sinkRow{bytes: 10}
	got := chunks([]sinkRow{big, big, big, small, small}, 1000)
	var sizes []int
	for _, c := range got {
		sizes = append(sizes, len(c))
	}
	if !reflect.DeepEqual(sizes, []int{1, 1, 3}) {
		t.Errorf("chunk sizes %v, want [1 1 3]", sizes)
	}
	got = chunks(make([]sinkRow, 7), 3)
	if len(got) != 3 || len(got[2]) != 1 {
		t.Errorf("rows cap: got %d chunks", len(got))
	}
}

// TestExtractRowAfterChecksNewNames: a column name is checked unless the
// previous row of the batch has it at the same place, made under the
// same identifiers.permissive.
func TestExtractRowAfterChecksNewNames(t *testing.T) {
	strict := SinkConfig{PKMode: PKModeNone}
	permissive := SinkConfig{PKMode: PKModeNone, PermissiveIdentifiers: true}
	value := func(names ...string) *connect.Record {
		m := map[string]any{}
		for _, n := range names {
			m[n] = "1"
		}
		return &connect.Record{Value: m}
	}
	okPrev, err := strict.extractRow(0, "t", value("a", "b"))
	if err != nil {
		t.Fatal(err)
	}
	permPrev, err := permissive.extractRow(0, "t", value("a", "b;c"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     SinkConfig
		prev    *sinkRow
		rec     *connect.Record
		wantErr string
	}{
		{name: "same names", cfg: strict, prev: &okPrev, rec: value("a", "b")},
		{name: "new bad name after good ones", cfg: strict, prev: &okPrev, rec: value("a", "b;c"), wantErr: "value field: mysql: identifier \"b;c\""},
		{name: "name valid only permissively, prev permissive", cfg: strict, prev: &permPrev, rec: value("a", "b;c"), wantErr: "value field: mysql: identifier \"b;c\""},
		{name: "bad name at another place than prev's", cfg: strict, prev: &okPrev, rec: value("0", "a", "b;c"), wantErr: "identifier \"b;c\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			row, err := tc.cfg.extractRowAfter(1, "t", tc.rec, tc.prev)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || row.sig != tc.prev.sig {
				t.Fatalf("row %+v, %v", row, err)
			}
		})
	}
}

func BenchmarkExtractRow(b *testing.B) {
	cfg := SinkConfig{PKMode: PKModeRecordKey}
	rec := connect.Record{Topic: "orders", KeySchema: testKeySchema, Key: testKey(5), ValueSchema: testValueSchema, Value: testValue(5, "five")}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cfg.extractRow(0, "orders", &rec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExtractRowBatch is the per-record work of Sink.Write before
// SQL: tableName and extractRowAfter with the batch's previous row, on
// records of the shape eventbench's values decode to (ten fields, one
// key field), with a config from ParseSinkConfig.
func BenchmarkExtractRowBatch(b *testing.B) {
	cfg, err := ParseSinkConfig(map[string]string{"connection.url": "jdbc:mysql://127.0.0.1:3306/shop",
		"pk.mode": "record_value", "pk.fields": "id", "insert.mode": "upsert"})
	if err != nil {
		b.Fatal(err)
	}
	schema := connect.NewStructSchema("bench.orders.Value",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "note", Schema: connect.Primitive(connect.String).Optionally()},
		connect.Field{Name: "qty", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "price", Schema: connect.Primitive(connect.Float64).Optionally()},
		connect.Field{Name: "active", Schema: connect.Primitive(connect.Boolean)},
		connect.Field{Name: "created_at", Schema: connect.TimestampSchema().Optionally()},
		connect.Field{Name: "ship_date", Schema: connect.DateSchema().Optionally()},
		connect.Field{Name: "status", Schema: connect.Primitive(connect.String).Optionally()},
		connect.Field{Name: "region", Schema: connect.Primitive(connect.Int16).Optionally()},
	)
	recs := make([]connect.Record, 100)
	for i := range recs {
		v := connect.NewStruct(schema)
		copy(v.Values, []any{int64(i), "customer", "xxxx", int32(i % 7), 1.25, true,
			time.UnixMilli(1700000000000).UTC(), time.Unix(19700*86400, 0).UTC(), "NEW", int16(i % 50)})
		recs[i] = connect.Record{Topic: "orders", ValueSchema: schema, Value: v}
	}
	rows := make([]sinkRow, len(recs))
	b.ReportAllocs()
	for b.Loop() {
		for i := range recs {
			table, err := cfg.tableName(recs[i].Topic)
			if err != nil {
				b.Fatal(err)
			}
			var prev *sinkRow
			if i > 0 {
				prev = &rows[i-1]
			}
			if rows[i], err = cfg.extractRowAfter(i, table, &recs[i], prev); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

func TestSplitDeletes(t *testing.T) {
	indexes := func(rows []sinkRow) []int {
		out := []int{}
		for _, r := range rows {
			out = append(out, r.index)
		}
		return out
	}
	rows := []sinkRow{{index: 0}, {index: 1, delete: true}, {index: 2}, {index: 3, delete: true}, {index: 4}}
	dels, writes := splitDeletes(rows)
	if !reflect.DeepEqual(indexes(dels), []int{1, 3}) || !reflect.DeepEqual(indexes(writes), []int{0, 2, 4}) {
		t.Errorf("deletes %v, writes %v; want [1 3], [0 2 4]", indexes(dels), indexes(writes))
	}
	plain := []sinkRow{{index: 0}, {index: 1}}
	dels, writes = splitDeletes(plain)
	if len(dels) != 0 || len(writes) != 2 || &writes[0] != &plain[0] {
		t.Errorf("without deletes: got %d deletes and a copy of the writes, want the rows themselves", len(dels))
	}
}
