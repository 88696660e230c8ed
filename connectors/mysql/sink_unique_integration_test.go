package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// keyedRec is a record at offset id of topic with key testKey(id) and a
// struct value of schema holding vals in field order.
func keyedRec(topic string, id int64, schema *connect.Schema, vals ...any) connect.Record {
	v := connect.NewStruct(schema)
	copy(v.Values, vals)
	return rec(topic, id, testKey(id), v)
}

// wantUniqueKeyFailures checks that exactly the records at want failed,
// each as a permanent data error that names its position and the unique
// key (and its columns) it collided on; keys[i] is the expected text for
// want[i], e.g. `"email" (email)`.
func wantUniqueKeyFailures(t *testing.T, err error, records []connect.Record, want []int, keys []string) {
	t.Helper()
	be := batchError(t, err)
	if got := failedIndexes(be); !reflect.DeepEqual(got, want) {
		t.Fatalf("failed records = %v, want %v: %v", got, want, be)
	}
	for i, idx := range want {
		e := be.Failed[idx]
		if !errclass.IsPermanent(e) || errclass.Name(e) != errclass.DataExceptionName {
			t.Errorf("record %d: classified %s, want a permanent data error: %v", idx, errclass.Name(e), e)
		}
		if !strings.Contains(e.Error(), records[idx].Where()) {
			t.Errorf("record %d: error does not name %s: %v", idx, records[idx].Where(), e)
		}
		if !strings.Contains(e.Error(), "unique key "+keys[i]+" is held by another row") {
			t.Errorf("record %d: error does not name unique key %s: %v", idx, keys[i], e)
		}
	}
}

// TestSinkIntegrationUpsertUniqueKeyUsers is issue 20's example: an upsert
// of id 3 whose email is row 1's must not overwrite row 1; it is a
// per-record error naming the unique key, and the good records of a mixed
// batch are written in order.
func TestSinkIntegrationUpsertUniqueKeyUsers(t *testing.T) {
	f := newSinkFixture(t)
	f.exec(t, "CREATE TABLE users (id INT PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, name VARCHAR(50))")
	f.exec(t, "INSERT INTO users VALUES (1,'a@x','A'),(2,'b@x','B')")
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_value", "pk.fields", "id")
	user := func(off int64, id int, email, name string) connect.Record {
		return connect.Record{Topic: "users", Offset: off, Value: map[string]any{"id": json.Number(strconv.Itoa(id)), "email": email, "name": name}}
	}
	t.Run("the issue's record", func(t *testing.T) {
		records := []connect.Record{user(0, 3, "a@x", "C")}
		wantUniqueKeyFailures(t, s.Write(context.Background(), records), records, []int{0}, []string{`"email" (email)`})
		if rows, _ := f.dump(t, "users", "id"); !reflect.DeepEqual(rows, [][]string{{"1", "a@x", "A"}, {"2", "b@x", "B"}}) {
			t.Errorf("rows = %v: no row may change", rows)
		}
	})
	t.Run("mixed batch", func(t *testing.T) {
		records := []connect.Record{
			user(10, 4, "d@x", "D"),  // new key: inserted
			user(11, 3, "a@x", "C"),  // new key, email held by row 1: refused
			user(12, 2, "b@x", "B2"), // same key: updated
			user(13, 1, "b@x", "A2"), // same key, but the new email is row 2's: refused
			user(14, 5, "e@x", "E"),  // inserted
			user(15, 6, "f@x", "F"),  // inserted
			user(16, 7, "f@x", "G"),  // email of the record just before: refused
		}
		wantUniqueKeyFailures(t, s.Write(context.Background(), records), records, []int{1, 3, 6},
			[]string{`"email" (email)`, `"email" (email)`, `"email" (email)`})
		rows, _ := f.dump(t, "users", "id")
		want := [][]string{{"1", "a@x", "A"}, {"2", "b@x", "B2"}, {"4", "d@x", "D"}, {"5", "e@x", "E"}, {"6", "f@x", "F"}}
		if !reflect.DeepEqual(rows, want) {
			t.Errorf("rows = %v\nwant   %v", rows, want)
		}
	})
}

// TestSinkIntegrationUpsertUniqueKeyTwoSecondary has two secondary unique
// keys, one of them composite; the error names the one that collided and
// its columns.
func TestSinkIntegrationUpsertUniqueKeyTwoSecondary(t *testing.T) {
	f := newSinkFixture(t)
	f.exec(t, "CREATE TABLE accounts (id BIGINT PRIMARY KEY, email VARCHAR(100) NOT NULL, country CHAR(2) NOT NULL, phone VARCHAR(20) NOT NULL, name VARCHAR(50), "+
		"UNIQUE KEY uk_email (email), UNIQUE KEY uk_phone (country, phone))")
	f.exec(t, "INSERT INTO accounts VALUES (1,'a@x','DE','111','A'),(2,'b@x','FR','222','B')")
	schema := connect.NewStructSchema("account",
		connect.Field{Name: "email", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "country", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "phone", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String)})
	account := func(off, id int64, email, country, phone, name string) connect.Record {
		r := keyedRec("accounts", id, schema, email, country, phone, name)
		r.Offset = off
		return r
	}
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key")
	records := []connect.Record{
		account(1, 3, "a@x", "DE", "333", "C"),  // email held by 1
		account(2, 4, "c@x", "DE", "111", "D"),  // (country, phone) held by 1
		account(3, 2, "b@x", "FR", "111", "B2"), // same key: updated, (FR, 111) is free
		account(4, 6, "f@x", "FR", "111", "F"),  // (FR, 111) now held by 2
		account(5, 1, "a@x", "DE", "999", "A2"), // same key: updated
		account(6, 7, "g@x", "IT", "777", "G"),  // new: inserted
	}
	wantUniqueKeyFailures(t, s.Write(context.Background(), records), records, []int{0, 1, 3},
		[]string{`"uk_email" (email)`, `"uk_phone" (country, phone)`, `"uk_phone" (country, phone)`})
	rows, _ := f.dump(t, "accounts", "id")
	want := [][]string{{"1", "a@x", "DE", "999", "A2"}, {"2", "b@x", "FR", "111", "B2"}, {"7", "g@x", "IT", "777", "G"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v\nwant   %v", rows, want)
	}
}

// TestSinkIntegrationUpsertUniqueKeyCompositePK: the guard compares every
// column of a composite key, so a row matching on one part only is
// another row.
func TestSinkIntegrationUpsertUniqueKeyCompositePK(t *testing.T) {
	f := newSinkFixture(t)
	f.exec(t, "CREATE TABLE items (tenant INT NOT NULL, id INT NOT NULL, sku VARCHAR(20) NOT NULL, qty INT, PRIMARY KEY (tenant, id), UNIQUE KEY uk_sku (tenant, sku))")
	f.exec(t, "INSERT INTO items VALUES (1,1,'s1',1),(1,2,'s2',2),(2,1,'s1',3)")
	item := func(off int64, tenant, id int, sku string, qty int) connect.Record {
		return connect.Record{Topic: "items", Offset: off, Value: map[string]any{
			"tenant": json.Number(strconv.Itoa(tenant)), "id": json.Number(strconv.Itoa(id)), "sku": sku, "qty": json.Number(strconv.Itoa(qty))}}
	}
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_value", "pk.fields", "tenant,id")
	records := []connect.Record{
		item(1, 1, 1, "s1", 10), // same key: updated
		item(2, 1, 3, "s2", 5),  // (1, s2) held by (1, 2)
		item(3, 2, 2, "s2", 6),  // new: inserted
		item(4, 2, 1, "s2", 7),  // same key, but (2, s2) is now (2, 2)'s
		item(5, 1, 2, "s2", 8),  // same key: updated
		item(6, 1, 4, "s1", 9),  // (1, s1) held by (1, 1): same tenant, other id
	}
	wantUniqueKeyFailures(t, s.Write(context.Background(), records), records, []int{1, 3, 5},
		[]string{`"uk_sku" (tenant, sku)`, `"uk_sku" (tenant, sku)`, `"uk_sku" (tenant, sku)`})
	rows, _ := f.dump(t, "items", "tenant, id")
	want := [][]string{{"1", "1", "s1", "10"}, {"1", "2", "s2", "8"}, {"2", "1", "s1", "3"}, {"2", "2", "s2", "6"}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v\nwant   %v", rows, want)
	}
}

// TestSinkIntegrationUpsertUniqueKeyPKModes runs the collision in every
// pk.mode that writes with ON DUPLICATE KEY UPDATE: upsert with kafka,
// record_key and record_value, and insert with kafka (which keeps the
// row of a redelivered record).
func TestSinkIntegrationUpsertUniqueKeyPKModes(t *testing.T) {
	valueSchema := connect.NewStructSchema("u",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "email", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String)})
	value := func(id int64, email, name string) *connect.StructValue {
		v := connect.NewStruct(valueSchema)
		copy(v.Values, []any{id, email, name})
		return v
	}
	tests := []struct {
		insertMode, pkMode, pkFields string
		table                        string
		orderBy                      string
		nameAfterReplay              string
	}{
		{"upsert", "record_key", "", "id BIGINT PRIMARY KEY", "id", "A1"},
		{"upsert", "record_value", "id", "id BIGINT PRIMARY KEY", "id", "A1"},
		{"upsert", "kafka", "", "__connect_topic VARCHAR(100) NOT NULL, __connect_partition INT NOT NULL, __connect_offset BIGINT NOT NULL, id BIGINT NOT NULL, " +
			"PRIMARY KEY (__connect_topic, __connect_partition, __connect_offset)", "__connect_offset", "A1"},
		{"insert", "kafka", "", "__connect_topic VARCHAR(100) NOT NULL, __connect_partition INT NOT NULL, __connect_offset BIGINT NOT NULL, id BIGINT NOT NULL, " +
			"PRIMARY KEY (__connect_topic, __connect_partition, __connect_offset)", "__connect_offset", "A"},
	}
	for _, tc := range tests {
		t.Run(tc.insertMode+"/"+tc.pkMode, func(t *testing.T) {
			f := newSinkFixture(t)
			f.exec(t, "CREATE TABLE orders ("+tc.table+", email VARCHAR(50) NOT NULL UNIQUE, name VARCHAR(50))")
			s := f.sink(t, "insert.mode", tc.insertMode, "pk.mode", tc.pkMode, "pk.fields", tc.pkFields)
			mustWrite(t, s, []connect.Record{rec("orders", 1, testKey(1), value(1, "a@x", "A")), rec("orders", 2, testKey(2), value(2, "b@x", "B"))})
			records := []connect.Record{
				rec("orders", 1, testKey(1), value(1, "a@x", "A1")), // same key (and offset): updated, or kept by insert/kafka
				rec("orders", 3, testKey(3), value(3, "a@x", "C")),  // new key, email held by the first row
				rec("orders", 4, testKey(4), value(4, "d@x", "D")),  // inserted
			}
			wantUniqueKeyFailures(t, s.Write(context.Background(), records), records, []int{1}, []string{`"email" (email)`})
			rows, _ := f.dump(t, "orders", tc.orderBy)
			var got []string
			for _, r := range rows {
				got = append(got, strings.Join(r[len(r)-3:], ","))
			}
			want := []string{"1,a@x," + tc.nameAfterReplay, "2,b@x,B", "4,d@x,D"}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows = %v, want %v", got, want)
			}
		})
	}
}

// TestSinkIntegrationUpsertUniqueKey10k writes a 10,000-record batch (four
// multi-row statements) over 1,000 existing rows, with collisions spread
// through it: new keys whose email another row holds (the key guard) and
// existing keys whose new email another row holds (the update's duplicate
// entry). Exactly those records fail, the table equals the expected one.
func TestSinkIntegrationUpsertUniqueKey10k(t *testing.T) {
	f := newSinkFixture(t)
	f.exec(t, "CREATE TABLE orders (id BIGINT PRIMARY KEY, email VARCHAR(64) NOT NULL, n INT NOT NULL, UNIQUE KEY uk_email (email))")
	schema := connect.NewStructSchema("o",
		connect.Field{Name: "email", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "n", Schema: connect.Primitive(connect.Int32)})
	order := func(id int64, email string, n int32) connect.Record { return keyedRec("orders", id, schema, email, n) }
	email := func(id int64) string { return fmt.Sprintf("e%d@x", id) }
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key")
	var seed []connect.Record
	for id := int64(0); id < 1000; id++ {
		seed = append(seed, order(id, email(id), -1))
	}
	mustWrite(t, s, seed)

	const n = 10_000
	newKeyHit := []int64{1500, 4321, 7777, 9998} // new key, email of id-1000
	updateHit := []int64{200, 900}               // existing key, email of id-100
	var records []connect.Record
	var want [][]string
	for id := int64(0); id < n; id++ {
		switch {
		case slices.Contains(newKeyHit, id):
			records = append(records, order(id, email(id-1000), int32(id)))
		case slices.Contains(updateHit, id):
			records = append(records, order(id, email(id-100), int32(id)))
			want = append(want, []string{strconv.FormatInt(id, 10), email(id), "-1"})
		default:
			records = append(records, order(id, email(id), int32(id)))
			want = append(want, []string{strconv.FormatInt(id, 10), email(id), strconv.FormatInt(id, 10)})
		}
	}
	start := time.Now()
	err := s.Write(context.Background(), records)
	t.Logf("%d records with %d collisions in %v", n, len(newKeyHit)+len(updateHit), time.Since(start))
	failed := []int{200, 900, 1500, 4321, 7777, 9998}
	keys := make([]string, len(failed))
	for i := range keys {
		keys[i] = `"uk_email" (email)`
	}
	wantUniqueKeyFailures(t, err, records, failed, keys)
	if rows, sum := f.dump(t, "orders", "id"); sum != rowsSum(want) {
		t.Errorf("table checksum %s, want %s (%d rows, want %d)", sum, rowsSum(want), len(rows), len(want))
	}
}

// TestSinkIntegrationStrictSQLMode: the sink's sessions are strict even
// when the server default is not (here an empty sql_mode), so an
// over-long VARCHAR and an out-of-range INT fail their own records
// instead of being truncated with a warning.
func TestSinkIntegrationStrictSQLMode(t *testing.T) {
	f := newSinkFixture(t)
	f.exec(t, "CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(5) NOT NULL, qty INT NOT NULL)")
	// connection.url may not set sql_mode (ParseSinkConfig refuses it), so
	// the URL is made lax after parsing, as a server default would be.
	lax := f.dsn + "&sql_mode=%27%27"
	cfg, err := ParseSinkConfig(map[string]string{"connection.url": f.dsn, "insert.mode": "upsert", "pk.mode": "record_key"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Conn.URL = lax
	s, err := OpenSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mode string
	if err := s.db.QueryRow("SELECT @@SESSION.sql_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != SinkSQLMode {
		t.Errorf("session sql_mode = %q, want %q", mode, SinkSQLMode)
	}
	schema := connect.NewStructSchema("o",
		connect.Field{Name: "name", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "qty", Schema: connect.Primitive(connect.Int64)})
	order := func(id int64, name string, qty int64) connect.Record {
		return keyedRec("orders", id, schema, name, qty)
	}
	records := []connect.Record{
		order(1, "ok", 1),
		order(2, "far too long", 2), // VARCHAR(5): error 1406
		order(3, "ok", 3),
		order(4, "ok", 3_000_000_000), // INT: error 1264
		order(5, "ok", 5),
	}
	be := batchError(t, s.Write(context.Background(), records))
	if got := failedIndexes(be); !reflect.DeepEqual(got, []int{1, 3}) {
		t.Fatalf("failed = %v, want [1 3]: %v", got, be)
	}
	for idx, num := range map[int]uint16{1: 1406, 3: 1264} {
		e := be.Failed[idx]
		if mysqlErrorNumber(e) != num || errclass.Name(e) != errclass.DataExceptionName || !strings.Contains(e.Error(), records[idx].Where()) {
			t.Errorf("record %d: %v (error %d, class %s), want MySQL error %d as a data error naming %s",
				idx, e, mysqlErrorNumber(e), errclass.Name(e), num, records[idx].Where())
		}
	}
	rows, _ := f.dump(t, "orders", "id")
	if want := [][]string{{"1", "ok", "1"}, {"3", "ok", "3"}, {"5", "ok", "5"}}; !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}

	t.Run("NewSink refuses a session that is not strict", func(t *testing.T) {
		db, err := sql.Open("mysql", lax)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		s, err := NewSink(cfg, db)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Write(context.Background(), records[:1])
		var be *connectors.BatchError
		if err == nil || errors.As(err, &be) || !errclass.IsPermanent(err) || !strings.Contains(err.Error(), "not strict") {
			t.Errorf("Write = %v, want a permanent whole-batch error saying the sql_mode is not strict", err)
		}
		if rows, _ := f.dump(t, "orders", "id"); len(rows) != 3 {
			t.Errorf("rows = %v: nothing may be written", rows)
		}
	})
}
