package mysql

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// sinkFixture is a sink on a fresh database plus a handle for checks.
type sinkFixture struct {
	db   *sql.DB
	dsn  string
	name string
}

func newSinkFixture(t testing.TB) *sinkFixture {
	t.Helper()
	env := testenv.New(t)
	db, name := env.MySQLDatabase(t)
	return &sinkFixture{db: db, dsn: env.MySQLDSN(name), name: name}
}

// sink opens a sink with the given config keys (connection.url is set).
func (f *sinkFixture) sink(t testing.TB, kv ...string) *Sink {
	t.Helper()
	props := map[string]string{"connection.url": f.dsn, "topics": "orders"}
	for i := 0; i+1 < len(kv); i += 2 {
		props[kv[i]] = kv[i+1]
	}
	cfg, err := ParseSinkConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func (f *sinkFixture) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := f.db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// dump returns every row of the table ordered by orderBy as strings, and a
// SHA-256 over them.
func (f *sinkFixture) dump(t *testing.T, table, orderBy string) ([][]string, string) {
	t.Helper()
	rows, err := f.db.Query("SELECT * FROM " + QuoteIdent(table) + " ORDER BY " + orderBy)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		rec := make([]string, len(cols))
		for i, r := range raw {
			if r == nil {
				rec[i] = "NULL"
			} else {
				rec[i] = string(r)
			}
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out, rowsSum(out)
}

// rowsSum is the SHA-256 dump computes over rows, so a test can compute
// the checksum of the table it expects.
func rowsSum(rows [][]string) string {
	h := sha256.New()
	for _, rec := range rows {
		for _, v := range rec {
			fmt.Fprintf(h, "%d:%s|", len(v), v)
		}
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func rec(topic string, offset int64, key, value any) connect.Record {
	r := connect.Record{Topic: topic, Partition: 0, Offset: offset, Key: key, Value: value}
	if k, ok := key.(*connect.StructValue); ok {
		r.KeySchema = k.Schema
	}
	if v, ok := value.(*connect.StructValue); ok {
		r.ValueSchema = v.Schema
	}
	return r
}

func mustWrite(t *testing.T, s *Sink, records []connect.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Write(ctx, records); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func batchError(t *testing.T, err error) *connectors.BatchError {
	t.Helper()
	var be *connectors.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("want *connectors.BatchError, got %v", err)
	}
	return be
}

func failedIndexes(be *connectors.BatchError) []int {
	var idx []int
	for i := range be.Failed {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	return idx
}

func TestSinkIntegrationModes(t *testing.T) {
	type tc struct {
		insertMode, pkMode, pkFields string
		orderBy                      string
		wantCols                     []string
	}
	cases := []tc{
		{"insert", "none", "", "id", []string{"id", "name", "amount"}},
		{"insert", "kafka", "", "__connect_offset", []string{"__connect_topic", "__connect_partition", "__connect_offset", "id", "name", "amount"}},
		{"insert", "record_key", "", "id", []string{"id", "name", "amount"}},
		{"insert", "record_value", "id", "id", []string{"id", "name", "amount"}},
		{"upsert", "kafka", "", "__connect_offset", []string{"__connect_topic", "__connect_partition", "__connect_offset", "id", "name", "amount"}},
		{"upsert", "record_key", "", "id", []string{"id", "name", "amount"}},
		{"upsert", "record_value", "id", "id", []string{"id", "name", "amount"}},
		{"update", "kafka", "", "__connect_offset", []string{"__connect_topic", "__connect_partition", "__connect_offset", "id", "name", "amount"}},
		{"update", "record_key", "", "id", []string{"id", "name", "amount"}},
		{"update", "record_value", "id", "id", []string{"id", "name", "amount"}},
	}
	for _, c := range cases {
		t.Run(c.insertMode+"/"+c.pkMode, func(t *testing.T) {
			f := newSinkFixture(t)
			props := []string{"insert.mode", c.insertMode, "pk.mode", c.pkMode, "pk.fields", c.pkFields, "auto.create", "true"}
			first := []connect.Record{
				rec("orders", 10, testKey(1), testValue(1, "one")),
				rec("orders", 11, testKey(2), testValue(2, "two")),
				rec("orders", 12, testKey(3), testValue(3, "three")),
			}
			if c.insertMode == "update" {
				// Update never creates rows: seed them with an upsert sink.
				seed := f.sink(t, "insert.mode", "upsert", "pk.mode", c.pkMode, "pk.fields", c.pkFields, "auto.create", "true")
				mustWrite(t, seed, first)
			}
			s := f.sink(t, props...)
			second := []connect.Record{
				rec("orders", 10, testKey(1), testValue(1, "ONE")),
				rec("orders", 11, testKey(2), testValue(2, "TWO")),
				rec("orders", 12, testKey(3), testValue(3, "THREE")),
			}
			switch c.insertMode {
			case "insert":
				mustWrite(t, s, first)
			case "upsert":
				mustWrite(t, s, first)
				mustWrite(t, s, second) // same keys (same offsets for kafka): replaces
			case "update":
				mustWrite(t, s, second)
			}
			rows, _ := f.dump(t, "orders", c.orderBy)
			if len(rows) != 3 {
				t.Fatalf("got %d rows, want 3: %v", len(rows), rows)
			}
			wantName := map[string]string{"insert": "two", "upsert": "TWO", "update": "TWO"}[c.insertMode]
			var names []string
			for _, r := range rows {
				names = append(names, r[len(r)-2])
			}
			if names[1] != wantName {
				t.Errorf("names = %v, want second %q", names, wantName)
			}
			if rows[2][len(rows[2])-1] != "3.03" {
				t.Errorf("amount = %q, want 3.03", rows[2][len(rows[2])-1])
			}
			if c.pkMode == "kafka" && (rows[0][0] != "orders" || rows[0][1] != "0" || rows[0][2] != "10") {
				t.Errorf("kafka coordinates = %v", rows[0][:3])
			}
			var cols []string
			crs, err := f.db.Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'orders' ORDER BY ORDINAL_POSITION")
			if err != nil {
				t.Fatal(err)
			}
			for crs.Next() {
				var n string
				_ = crs.Scan(&n)
				cols = append(cols, n)
			}
			crs.Close()
			if !reflect.DeepEqual(cols, c.wantCols) {
				t.Errorf("columns = %v, want %v", cols, c.wantCols)
			}
			if c.insertMode == "insert" && c.pkMode == "kafka" {
				// The same Kafka coordinates are the same record delivered
				// again: kept, no error, table unchanged.
				_, before := f.dump(t, "orders", c.orderBy)
				mustWrite(t, s, first)
				if _, after := f.dump(t, "orders", c.orderBy); after != before {
					t.Error("redelivery changed the table")
				}
			}
			if c.insertMode == "insert" && (c.pkMode == "record_key" || c.pkMode == "record_value") {
				// A plain insert of existing keys is a per-record duplicate error.
				err := s.Write(context.Background(), first[:1])
				be := batchError(t, err)
				if !errclass.IsPermanent(be.Failed[0]) || !strings.Contains(be.Failed[0].Error(), "Duplicate") {
					t.Errorf("duplicate insert: %v", be.Failed[0])
				}
			}
		})
	}
}

func TestSinkIntegrationDeletesAndCollapse(t *testing.T) {
	f := newSinkFixture(t)
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "delete.enabled", "true", "auto.create", "true")
	var first []connect.Record
	for i := int64(1); i <= 5; i++ {
		first = append(first, rec("orders", i, testKey(i), testValue(i, fmt.Sprint("v", i))))
	}
	mustWrite(t, s, first)
	second := []connect.Record{
		rec("orders", 6, testKey(2), nil),                 // delete 2
		rec("orders", 7, testKey(6), testValue(6, "v6")),  // insert 6
		rec("orders", 8, testKey(3), testValue(3, "v3b")), // upsert then delete 3
		rec("orders", 9, testKey(3), nil),
		rec("orders", 10, testKey(4), nil), // delete then upsert 4
		rec("orders", 11, testKey(4), testValue(4, "v4b")),
		rec("orders", 12, testKey(99), nil), // delete of a missing key is fine
	}
	mustWrite(t, s, second)
	rows, sum := f.dump(t, "orders", "id")
	var got []string
	for _, r := range rows {
		got = append(got, r[0]+"="+r[1])
	}
	want := []string{"1=v1", "4=v4b", "5=v5", "6=v6"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	// Replaying both batches (as Lambda may) changes nothing.
	mustWrite(t, s, first)
	mustWrite(t, s, second)
	if _, again := f.dump(t, "orders", "id"); again != sum {
		t.Error("replay changed the table")
	}
}

func TestSinkIntegrationTombstoneSkippedWithoutDelete(t *testing.T) {
	f := newSinkFixture(t)
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "auto.create", "true")
	mustWrite(t, s, []connect.Record{rec("orders", 1, testKey(1), testValue(1, "a")), rec("orders", 2, testKey(1), nil)})
	if rows, _ := f.dump(t, "orders", "id"); len(rows) != 1 {
		t.Errorf("rows = %v, want the upsert kept", rows)
	}
}

func TestSinkIntegrationAutoEvolve(t *testing.T) {
	f := newSinkFixture(t)
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "auto.create", "true", "auto.evolve", "true")
	mustWrite(t, s, []connect.Record{rec("orders", 1, testKey(1), testValue(1, "a"))})

	v2 := connect.NewStructSchema("v2", append(append([]connect.Field{}, testValueSchema.Fields...),
		connect.Field{Name: "note", Schema: connect.Primitive(connect.String).Optionally()},
		connect.Field{Name: "qty", Schema: &connect.Schema{Type: connect.Int32, Default: int32(1)}})...)
	val2 := connect.NewStruct(v2)
	copy(val2.Values, []any{int64(2), "b", connect.Decimal{Unscaled: big.NewInt(5), Scale: 2}, "hello", int32(4)})
	v3 := connect.NewStructSchema("v3", append(append([]connect.Field{}, testValueSchema.Fields...),
		connect.Field{Name: "required_new", Schema: connect.Primitive(connect.Int64)})...)
	val3 := connect.NewStruct(v3)
	copy(val3.Values, []any{int64(3), "c", nil, int64(9)})

	err := s.Write(context.Background(), []connect.Record{
		rec("orders", 2, testKey(2), val2),
		rec("orders", 3, testKey(3), val3),
		rec("orders", 4, testKey(1), testValue(1, "a2")),
	})
	be := batchError(t, err)
	if got := failedIndexes(be); !reflect.DeepEqual(got, []int{1}) || !strings.Contains(be.Failed[1].Error(), "not optional") {
		t.Fatalf("failed = %v (%v), want [1] for the required field without default", got, be)
	}
	rows, _ := f.dump(t, "orders", "id")
	want := [][]string{{"1", "a2", "1.01", "NULL", "1"}, {"2", "b", "0.05", "hello", "4"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}

	t.Run("auto.evolve off", func(t *testing.T) {
		s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key")
		be := batchError(t, s.Write(context.Background(), []connect.Record{rec("orders", 5, testKey(5), val3)}))
		if !strings.Contains(be.Failed[0].Error(), "auto.evolve=false") {
			t.Errorf("err = %v", be.Failed[0])
		}
	})
	t.Run("auto.create off", func(t *testing.T) {
		s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "table.name.format", "missing_${topic}")
		be := batchError(t, s.Write(context.Background(), []connect.Record{rec("orders", 5, testKey(5), testValue(5, "x")), rec("orders", 6, testKey(6), testValue(6, "y"))}))
		if got := failedIndexes(be); !reflect.DeepEqual(got, []int{0, 1}) || !strings.Contains(be.Failed[0].Error(), "does not exist") {
			t.Errorf("failed = %v: %v", got, be)
		}
	})
}

func TestSinkIntegrationTypes(t *testing.T) {
	f := newSinkFixture(t)
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_value", "pk.fields", "k", "auto.create", "true")
	schema := connect.NewStructSchema("all",
		connect.Field{Name: "k", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "i8", Schema: connect.Primitive(connect.Int8)},
		connect.Field{Name: "i16", Schema: connect.Primitive(connect.Int16)},
		connect.Field{Name: "i32", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "i64", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "f32", Schema: connect.Primitive(connect.Float32)},
		connect.Field{Name: "f64", Schema: connect.Primitive(connect.Float64)},
		connect.Field{Name: "ok", Schema: connect.Primitive(connect.Boolean)},
		connect.Field{Name: "s", Schema: connect.Primitive(connect.String).Optionally()},
		connect.Field{Name: "b", Schema: connect.Primitive(connect.Bytes)},
		connect.Field{Name: "dec", Schema: connect.DecimalSchema(4, 20)},
		connect.Field{Name: "d", Schema: connect.DateSchema()},
		connect.Field{Name: "tm", Schema: connect.TimeSchema()},
		connect.Field{Name: "ts", Schema: connect.TimestampSchema()},
	)
	v := connect.NewStruct(schema)
	unscaled, _ := new(big.Int).SetString("-1234567890123456789", 10)
	copy(v.Values, []any{"k1", int8(-128), int16(32767), int32(-5), int64(9007199254740993), float32(1.5), 2.25, true,
		"héllo ✓ 'quote' `tick`", []byte{0, 1, 255},
		connect.Decimal{Unscaled: unscaled, Scale: 4},
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 23, 59, 58, 999_000_000, time.UTC),
		time.Date(2023, 11, 14, 22, 13, 20, 123_000_000, time.UTC)})
	mustWrite(t, s, []connect.Record{{Topic: "types", ValueSchema: schema, Value: v}})
	rows, _ := f.dump(t, "types", "k")
	want := []string{"k1", "-128", "32767", "-5", "9007199254740993", "1.5", "2.25", "1", "héllo ✓ 'quote' `tick`", "\x00\x01\xff",
		"-123456789012345.6789", "2024-02-29T00:00:00Z", "23:59:58.999", "2023-11-14T22:13:20.123Z"} // parseTime=true formats DATE/DATETIME as RFC 3339
	if len(rows) != 1 || !reflect.DeepEqual(rows[0], want) {
		t.Errorf("row = %q\nwant  %q", rows, want)
	}
}

func TestSinkIntegrationSchemaless(t *testing.T) {
	f := newSinkFixture(t)
	f.exec(t, "CREATE TABLE orders (id BIGINT PRIMARY KEY, price DECIMAL(20,2), tags JSON NULL, name VARCHAR(20))")
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "pk.fields", "id")
	mustWrite(t, s, []connect.Record{
		{Topic: "orders", Key: json.Number("7"), Value: map[string]any{"id": json.Number("7"), "price": json.Number("12345678901234567.25"), "tags": []any{"x", json.Number("1")}, "name": "seven"}},
	})
	rows, _ := f.dump(t, "orders", "id")
	if len(rows) != 1 || rows[0][1] != "12345678901234567.25" || rows[0][2] != `["x",1]` || rows[0][3] != "seven" {
		t.Errorf("rows = %q", rows)
	}
	t.Run("auto.create needs a schema", func(t *testing.T) {
		s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "pk.fields", "id", "auto.create", "true")
		be := batchError(t, s.Write(context.Background(), []connect.Record{{Topic: "nothere", Key: "a", Value: map[string]any{"v": "x"}}}))
		if !strings.Contains(be.Failed[0].Error(), "need records with a schema") {
			t.Errorf("err = %v", be.Failed[0])
		}
	})
}

func TestSinkIntegrationDataErrors(t *testing.T) {
	f := newSinkFixture(t)
	f.exec(t, "CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty TINYINT NULL)")
	schema := connect.NewStructSchema("o",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String).Optionally()},
		connect.Field{Name: "qty", Schema: connect.Primitive(connect.Int32).Optionally()})
	var records []connect.Record
	for i := int64(0); i < 100; i++ {
		v := connect.NewStruct(schema)
		copy(v.Values, []any{i, "ok", int32(i)})
		switch i {
		case 17:
			v.Values[1] = "far too long" // 1406 data too long
		case 50:
			v.Values[1] = nil // 1048 NULL into NOT NULL
		case 70:
			v.Values[2] = int32(1000) // 1264 out of range
		}
		records = append(records, rec("orders", i, testKey(i), v))
	}
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "batch.size", "40")
	be := batchError(t, s.Write(context.Background(), records))
	if got := failedIndexes(be); !reflect.DeepEqual(got, []int{17, 50, 70}) {
		t.Fatalf("failed = %v, want [17 50 70]: %v", got, be)
	}
	for i, err := range be.Failed {
		if !errclass.IsPermanent(err) || errclass.Name(err) != errclass.DataExceptionName {
			t.Errorf("record %d: %v classified %v", i, err, errclass.Name(err))
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("orders/0@%d", i)) {
			t.Errorf("record %d error does not name its position: %v", i, err)
		}
	}
	rows, _ := f.dump(t, "orders", "id")
	if len(rows) != 97 {
		t.Errorf("got %d rows, want 97 committed", len(rows))
	}
}

func TestSinkIntegrationRetryableFailsBatch(t *testing.T) {
	f := newSinkFixture(t)
	// The sink's sessions give up on a row lock after 1 s (error 1205).
	f.dsn += "&innodb_lock_wait_timeout=1"
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "auto.create", "true")
	mustWrite(t, s, []connect.Record{rec("orders", 1, testKey(1), testValue(1, "a"))})
	// Hold a lock on the row so the sink's write waits and times out.
	tx, err := f.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("SELECT * FROM orders WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	err = s.Write(context.Background(), []connect.Record{rec("orders", 2, testKey(2), testValue(2, "b")), rec("orders", 3, testKey(1), testValue(1, "a2"))})
	var be *connectors.BatchError
	if err == nil || errors.As(err, &be) || !errclass.IsRetryable(err) {
		t.Fatalf("want a retryable whole-batch error, got %v", err)
	}
	tx.Rollback()
	if rows, _ := f.dump(t, "orders", "id"); len(rows) != 1 {
		t.Errorf("rows = %v: the failed batch must be rolled back", rows)
	}
}

// TestSinkIntegrationLargeReplay writes 10,000 records three times; the
// table must be identical after each replay. batch.size is above the
// placeholder limit so statements are split by placeholders.
func TestSinkIntegrationLargeReplay(t *testing.T) {
	f := newSinkFixture(t)
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "delete.enabled", "true", "auto.create", "true", "batch.size", "20000")
	schema := connect.NewStructSchema("wide",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "a", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "b", Schema: connect.Primitive(connect.Int32)},
		connect.Field{Name: "c", Schema: connect.Primitive(connect.Float64)},
		connect.Field{Name: "d", Schema: connect.DecimalSchema(2, 12)},
		connect.Field{Name: "e", Schema: connect.TimestampSchema()},
		connect.Field{Name: "f", Schema: connect.Primitive(connect.Boolean)},
		connect.Field{Name: "g", Schema: connect.Primitive(connect.String).Optionally()},
	)
	const n = 10_000
	records := make([]connect.Record, 0, n)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := int64(0); i < n; i++ {
		id := i % 9000 // the last 1000 records rewrite earlier keys
		if i%1000 == 999 {
			records = append(records, rec("orders", i, testKey(id), nil))
			continue
		}
		v := connect.NewStruct(schema)
		copy(v.Values, []any{id, fmt.Sprintf("name-%d-%d", id, i), int32(i), float64(i) / 3, connect.Decimal{Unscaled: big.NewInt(i * 7), Scale: 2},
			base.Add(time.Duration(i) * time.Second), i%2 == 0, nil})
		records = append(records, rec("orders", i, testKey(id), v))
	}
	var sums []string
	for round := 0; round < 3; round++ {
		var ms runtime.MemStats
		start := time.Now()
		mustWrite(t, s, records)
		d := time.Since(start)
		runtime.ReadMemStats(&ms)
		t.Logf("round %d: %d records in %v (%.0f records/s), heap in use %d MiB", round, n, d, n/d.Seconds(), ms.HeapInuse>>20)
		_, sum := f.dump(t, "orders", "id")
		sums = append(sums, sum)
	}
	if sums[0] != sums[1] || sums[1] != sums[2] {
		t.Errorf("checksums differ across replays: %v", sums)
	}
	var count int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM orders").Scan(&count); err != nil {
		t.Fatal(err)
	}
	// 9000 keys; tombstones at i%1000==999 delete keys whose later write
	// (if any) comes back: ids 999..8999 step 1000 are deleted and only
	// re-written by i in 9000..9999 when i%9000 == id, i.e. id 999 (i=9999
	// is itself a tombstone), so 9 keys are gone.
	if count != 9000-9 {
		t.Errorf("count = %d, want %d", count, 9000-9)
	}
	var name string
	if err := f.db.QueryRow("SELECT a FROM orders WHERE id = 5").Scan(&name); err != nil || name != "name-5-9005" {
		t.Errorf("id 5 = %q, %v; want the last write name-5-9005", name, err)
	}
}

func TestSinkIntegrationTwoTopics(t *testing.T) {
	f := newSinkFixture(t)
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "auto.create", "true", "table.name.format", "kafka_${topic}")
	mustWrite(t, s, []connect.Record{
		rec("orders", 1, testKey(1), testValue(1, "o1")),
		rec("refunds", 1, testKey(1), testValue(1, "r1")),
		rec("orders", 2, testKey(2), testValue(2, "o2")),
	})
	orders, _ := f.dump(t, "kafka_orders", "id")
	refunds, _ := f.dump(t, "kafka_refunds", "id")
	if len(orders) != 2 || len(refunds) != 1 || refunds[0][1] != "r1" {
		t.Errorf("orders = %v, refunds = %v", orders, refunds)
	}
}

// BenchmarkSinkIntegrationUpsert10k measures Write of a 10,000-record
// batch in upsert mode into an existing table (every batch rewrites the
// same keys, as a replay does).
func BenchmarkSinkIntegrationUpsert10k(b *testing.B) {
	f := newSinkFixture(b)
	s := f.sink(b, "insert.mode", "upsert", "pk.mode", "record_key", "auto.create", "true")
	s.log = slog.New(slog.DiscardHandler)
	const n = 10_000
	records := make([]connect.Record, n)
	for i := range records {
		records[i] = rec("orders", int64(i), testKey(int64(i)), testValue(int64(i), fmt.Sprint("name-", i)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.Write(context.Background(), records); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkSinkIntegrationUpsert10kBadRows is BenchmarkSinkIntegrationUpsert10k
// with 6 records spread through the batch that the server refuses (a name
// too long for its column): it measures isolating the bad rows of the
// multi-row statements.
func BenchmarkSinkIntegrationUpsert10kBadRows(b *testing.B) {
	f := newSinkFixture(b)
	if _, err := f.db.Exec("CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(16) NOT NULL, amount DECIMAL(10,2))"); err != nil {
		b.Fatal(err)
	}
	s := f.sink(b, "insert.mode", "upsert", "pk.mode", "record_key")
	s.log = slog.New(slog.DiscardHandler)
	const n = 10_000
	records := make([]connect.Record, n)
	for i := range records {
		name := fmt.Sprint("name-", i)
		if i%1700 == 99 {
			name = strings.Repeat("x", 17)
		}
		records[i] = rec("orders", int64(i), testKey(int64(i)), testValue(int64(i), name))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var be *connectors.BatchError
		if err := s.Write(context.Background(), records); !errors.As(err, &be) || len(be.Failed) != 6 {
			b.Fatalf("Write = %v, want 6 failed records", err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
