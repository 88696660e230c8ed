package mysql

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// srcEnv is one test database plus a way to build sources on it.
type srcEnv struct {
	env  *testenv.Env
	db   *sql.DB
	name string
}

func newSrcEnv(t *testing.T) *srcEnv {
	t.Helper()
	env := testenv.New(t)
	db, name := env.MySQLDatabase(t)
	return &srcEnv{env: env, db: db, name: name}
}

func (e *srcEnv) exec(t *testing.T, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := e.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// source builds a Source as a cold start would: config parsed from props.
func (e *srcEnv) source(t *testing.T, props map[string]string) *Source {
	t.Helper()
	p := map[string]string{"connection.url": e.env.MySQLDSN(e.name)}
	for k, v := range props {
		p[k] = v
	}
	cfg, err := ParseSourceConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// drain reads pages of p from pos until the partition has no more rows or
// maxPages pages were read (0: no limit), as one invocation would.
func drain(t *testing.T, s *Source, p connectors.Partition, pos connectors.Position, maxPages int) ([]connect.Record, connectors.Position, int) {
	t.Helper()
	var out []connect.Record
	pages := 0
	for {
		page, err := s.ReadPage(context.Background(), p, pos)
		if err != nil {
			t.Fatalf("ReadPage after %s: %v", pos, err)
		}
		if page.Next == nil && len(page.Records) > 0 {
			t.Fatal("records without a next position")
		}
		out = append(out, page.Records...)
		pos = page.Next
		pages++
		if !page.More || (maxPages > 0 && pages >= maxPages) {
			return out, pos, pages
		}
	}
}

func field(t *testing.T, r connect.Record, name string) any {
	t.Helper()
	sv, ok := r.Value.(*connect.StructValue)
	if !ok {
		t.Fatalf("value is %T", r.Value)
	}
	v, ok := sv.Get(name)
	if !ok {
		t.Fatalf("no field %s", name)
	}
	return v
}

// ids returns the "id" field of each record as int64, failing on duplicates.
func ids(t *testing.T, recs []connect.Record) map[int64]connect.Record {
	t.Helper()
	out := make(map[int64]connect.Record, len(recs))
	for _, r := range recs {
		id := field(t, r, "id").(int64)
		if _, dup := out[id]; dup {
			t.Fatalf("duplicate id %d", id)
		}
		out[id] = r
	}
	return out
}

const bigRows = 100_000

// TestSourceIntegrationEveryModeBigTable reads a 100k-row table in every
// mode across several invocations (fresh Source each time, as a cold start)
// of at most a few pages, then picks up inserts and updates.
func TestSourceIntegrationEveryModeBigTable(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t,
		"CREATE TABLE big (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, ts DATETIME(6) NOT NULL, name VARCHAR(40) NOT NULL, amount DECIMAL(20,4) NOT NULL, KEY ts_id (ts, id))",
		// 7 rows per timestamp so pages end inside groups of ties.
		fmt.Sprintf("INSERT INTO big (id, ts, name, amount) SELECT seq, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (seq DIV 7) SECOND + INTERVAL 123456 MICROSECOND, CONCAT('row-', seq), seq * 1.2345 FROM seq_1_to_%d", bigRows),
	)
	modes := []struct {
		mode  string
		props map[string]string
		// rows after 10 inserts and 5 updates
		after int
	}{
		{"bulk", nil, bigRows + 10},
		{"incrementing", nil, 10},
		{"timestamp", map[string]string{"timestamp.column.name": "ts"}, 15},
		{"timestamp+incrementing", map[string]string{"timestamp.column.name": "ts"}, 15},
	}
	for _, m := range modes {
		t.Run(m.mode, func(t *testing.T) {
			props := map[string]string{"mode": m.mode, "table.whitelist": "big", "batch.max.rows": "3000", "topic.prefix": "pre-"}
			for k, v := range m.props {
				props[k] = v
			}
			part := TablePartition(e.name, "big")
			var all []connect.Record
			var pos connectors.Position
			invocations := 0
			for {
				s := e.source(t, props)
				parts, err := s.Partitions(context.Background())
				if err != nil || len(parts) != 1 || parts[0].String() != part.String() {
					t.Fatalf("Partitions = %v, %v", parts, err)
				}
				recs, next, pages := drain(t, s, part, pos, 10)
				invocations++
				all = append(all, recs...)
				pos = next
				if pages < 10 {
					break
				}
			}
			if invocations < 3 {
				t.Errorf("read in %d invocations; want several", invocations)
			}
			got := ids(t, all)
			if len(got) != bigRows {
				t.Fatalf("read %d rows, want %d", len(got), bigRows)
			}
			r := got[4242]
			if r.Topic != "pre-big" {
				t.Errorf("topic = %q", r.Topic)
			}
			key := r.Key.(*connect.StructValue)
			if r.KeySchema.Name != e.name+".big.Key" || len(key.Values) != 1 || key.Values[0] != int64(4242) {
				t.Errorf("key = %v %+v", r.KeySchema.Name, key.Values)
			}
			if r.ValueSchema.Name != "big" {
				t.Errorf("value schema name = %q", r.ValueSchema.Name)
			}
			if d := field(t, r, "amount").(connect.Decimal); d.String() != "5236.7490" {
				t.Errorf("amount = %s", d)
			}
			wantTS := time.Date(2024, 1, 1, 0, 0, 4242/7, 123456000, time.UTC)
			if ts := field(t, r, "ts").(time.Time); !ts.Equal(wantTS) {
				t.Errorf("ts = %v, want %v", ts, wantTS)
			}
			if field(t, r, "name") != "row-4242" {
				t.Errorf("name = %v", field(t, r, "name"))
			}
			if strings.HasPrefix(m.mode, "timestamp") && !r.Timestamp.Equal(wantTS) {
				t.Errorf("record timestamp = %v, want the ts column %v", r.Timestamp, wantTS)
			}
			// Same schema pointer on every record of one Source (across
			// pages): converters cache by pointer.
			if all[0].ValueSchema != all[2999].ValueSchema || all[0].KeySchema != all[5999].KeySchema || all[0].ValueSchema == nil {
				t.Error("schemas are not reused across pages")
			}

			// Changes between invocations.
			tx, err := e.db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{
				// Ids right after the last one: a gap would hold the
				// incrementing read for incrementing.gap.timeout.ms.
				fmt.Sprintf("INSERT INTO big (id, ts, name, amount) SELECT %d + seq, NOW(6) - INTERVAL 2 SECOND, 'new', 0 FROM seq_1_to_10", bigRows),
				"UPDATE big SET name = 'updated', ts = NOW(6) - INTERVAL 2 SECOND WHERE id IN (1, 2, 500, 50000, 99999)",
			} {
				if _, err := tx.Exec(s); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				e.exec(t, fmt.Sprintf("DELETE FROM big WHERE id > %d", bigRows),
					"UPDATE big SET name = CONCAT('row-', id), ts = TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (id DIV 7) SECOND + INTERVAL 123456 MICROSECOND WHERE id IN (1, 2, 500, 50000, 99999)")
			})
			recs, _, _ := drain(t, e.source(t, props), part, pos, 0)
			got = ids(t, recs)
			if len(got) != m.after {
				t.Fatalf("after changes read %d rows, want %d", len(got), m.after)
			}
			for i := int64(1); i <= 10; i++ {
				if _, ok := got[bigRows+i]; !ok {
					t.Errorf("inserted row %d not read", bigRows+i)
				}
			}
			if m.after != 10 {
				if r, ok := got[50000]; !ok || field(t, r, "name") != "updated" {
					t.Errorf("updated row 50000 not read with its new value")
				}
			}
		})
	}
}

// TestSourceIntegrationSharedTimestampAcrossPages: 250 rows with one
// timestamp and batch.max.rows=100 must all be read. The JDBC connector's
// timestamp mode reads the first 100 and skips the other 150.
func TestSourceIntegrationSharedTimestampAcrossPages(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t,
		"CREATE TABLE same (id INT NOT NULL PRIMARY KEY, ts TIMESTAMP(3) NOT NULL DEFAULT '2024-05-05 05:05:05.500')",
		"INSERT INTO same (id) SELECT seq FROM seq_1_to_250",
		"INSERT INTO same (id, ts) VALUES (1000, '2024-05-05 05:05:06')",
		"CREATE TABLE nokey (id INT NOT NULL, ts DATETIME NOT NULL)",
		// groups of 40 rows sharing a timestamp, no primary key
		"INSERT INTO nokey SELECT seq, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL (seq DIV 40) MINUTE FROM seq_0_to_249",
		"CREATE TABLE biggroup (id INT NOT NULL, ts DATETIME NOT NULL)",
		"INSERT INTO biggroup SELECT seq, '2024-01-01' FROM seq_1_to_150",
	)
	for _, tc := range []struct {
		name, mode, table string
		want              int
	}{
		{"timestamp with primary key tie-breaker", "timestamp", "same", 251},
		{"timestamp+incrementing", "timestamp+incrementing", "same", 251},
		{"timestamp without key trims the trailing group", "timestamp", "nokey", 250},
	} {
		t.Run(tc.name, func(t *testing.T) {
			props := map[string]string{"mode": tc.mode, "table.whitelist": tc.table, "batch.max.rows": "100",
				"timestamp.column.name": "ts", "incrementing.column.name": "id"}
			part := TablePartition(e.name, tc.table)
			var all []connect.Record
			var pos connectors.Position
			for range 10 { // one page per invocation
				recs, next, _ := drain(t, e.source(t, props), part, pos, 1)
				all, pos = append(all, recs...), next
			}
			if got := ids32(t, all); len(got) != tc.want {
				t.Errorf("read %d distinct rows, want %d (pos %s)", len(got), tc.want, pos)
			}
		})
	}
	t.Run("group larger than a page without key fails loudly", func(t *testing.T) {
		s := e.source(t, map[string]string{"mode": "timestamp", "table.whitelist": "biggroup", "batch.max.rows": "100", "timestamp.column.name": "ts"})
		_, err := s.ReadPage(context.Background(), TablePartition(e.name, "biggroup"), nil)
		if err == nil || !strings.Contains(err.Error(), "batch.max.rows") || !strings.Contains(err.Error(), "biggroup") {
			t.Errorf("err = %v", err)
		}
	})
}

func ids32(t *testing.T, recs []connect.Record) map[int32]bool {
	t.Helper()
	out := map[int32]bool{}
	for _, r := range recs {
		id := field(t, r, "id").(int32)
		if out[id] {
			t.Fatalf("duplicate id %d", id)
		}
		out[id] = true
	}
	return out
}

// TestSourceIntegrationTypes round-trips every supported column type.
func TestSourceIntegrationTypes(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t,
		`CREATE TABLE types (
			id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
			ti TINYINT, tiu TINYINT UNSIGNED, si SMALLINT, siu SMALLINT UNSIGNED, mi MEDIUMINT, iu INT UNSIGNED,
			bi BIGINT, fl FLOAT, db DOUBLE, de DECIMAL(20,4), de0 DECIMAL(5,0),
			dt DATETIME(6), ts TIMESTAMP(3) NULL, d DATE, tm TIME(6), yr YEAR,
			js JSON, bl BLOB, vb VARBINARY(10), b1 BIT(1), b10 BIT(10),
			en ENUM('small','large'), st SET('a','b','c'), txt TEXT, ch CHAR(3) NOT NULL DEFAULT ''
		) DEFAULT CHARSET=utf8mb4`,
		`INSERT INTO types VALUES (1, -128, 255, -32768, 65535, -8388608, 4294967295,
			-9223372036854775808, 1.5, -2.25, -1234567890123456.7890, 99999,
			'2024-02-29 23:59:59.123456', '2038-01-19 03:14:07.999', '1000-01-01', '23:59:59.999999', 2155,
			'{"k": [1, 2, "😀"]}', X'00FF10', X'DEADBEEF', b'1', b'1000000001',
			'large', 'a,c', 'héllo wörld 😀🎉 — 中文', 'abc')`,
		"INSERT INTO types (id) VALUES (2)",
	)
	s := e.source(t, map[string]string{"mode": "incrementing", "table.whitelist": "types"})
	recs, _, _ := drain(t, s, TablePartition(e.name, "types"), nil, 0)
	if len(recs) != 2 {
		t.Fatalf("read %d rows", len(recs))
	}
	r := recs[0]
	want := map[string]any{
		"ti": int8(-128), "tiu": int16(255), "si": int16(-32768), "siu": int32(65535), "mi": int32(-8388608),
		"iu": int64(4294967295), "bi": int64(-9223372036854775808), "fl": float32(1.5), "db": float64(-2.25),
		"yr": int32(2155), "js": `{"k": [1, 2, "😀"]}`, "bl": []byte{0, 0xff, 0x10}, "vb": []byte{0xde, 0xad, 0xbe, 0xef},
		"b1": true, "b10": []byte{0x02, 0x01}, "en": "large", "st": "a,c", "txt": "héllo wörld 😀🎉 — 中文", "ch": "abc",
	}
	for k, w := range want {
		if g := field(t, r, k); fmt.Sprintf("%#v", g) != fmt.Sprintf("%#v", w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
	if d := field(t, r, "de").(connect.Decimal); d.String() != "-1234567890123456.7890" || d.Scale != 4 {
		t.Errorf("de = %s scale %d", d, d.Scale)
	}
	if p := r.ValueSchema.Field("de").Schema.Parameters; p["scale"] != "4" || p["connect.decimal.precision"] != "20" {
		t.Errorf("de schema parameters = %v", p)
	}
	if d := field(t, r, "de0").(connect.Decimal); d.String() != "99999" {
		t.Errorf("de0 = %s", d)
	}
	times := map[string]time.Time{
		"dt": time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC),
		"ts": time.Date(2038, 1, 19, 3, 14, 7, 999000000, time.UTC),
		"d":  time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC),
		"tm": time.Date(1970, 1, 1, 23, 59, 59, 999999000, time.UTC),
	}
	for k, w := range times {
		if g := field(t, r, k).(time.Time); !g.Equal(w) {
			t.Errorf("%s = %v, want %v", k, g, w)
		}
	}
	for _, f := range r.ValueSchema.Fields {
		if f.Name != "id" && f.Name != "ch" && !f.Schema.Optional {
			t.Errorf("nullable column %s has a required schema", f.Name)
		}
		if v := recs[1].Value.(*connect.StructValue).Values[f.Index]; f.Name != "id" && f.Name != "ch" && v != nil {
			t.Errorf("NULL column %s read as %#v", f.Name, v)
		}
	}
	if field(t, recs[1], "ch") != "" {
		t.Errorf("empty string read as %#v", field(t, recs[1], "ch"))
	}

	// The records go through JsonConverter (schemas.enable=true) as Kafka
	// Connect would write them: logical types in the envelope, values back.
	conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		data, err := conv.FromConnect(rec.Topic, rec.ValueSchema, rec.Value)
		if err != nil {
			t.Fatalf("JsonConverter: %v", err)
		}
		var env struct {
			Schema  map[string]any `json:"schema"`
			Payload map[string]any `json:"payload"`
		}
		if err := json.Unmarshal(data, &env); err != nil {
			t.Fatal(err)
		}
		if env.Schema["name"] != "types" || env.Schema["type"] != "struct" {
			t.Errorf("envelope schema %v", env.Schema)
		}
		if rec.Value.(*connect.StructValue).Values[1] == nil {
			continue
		}
		if got := env.Payload["dt"]; got != float64(time.Date(2024, 2, 29, 23, 59, 59, 123000000, time.UTC).UnixMilli()) {
			t.Errorf("dt in JSON = %v, want epoch ms", got)
		}
		if got := env.Payload["d"]; got != float64(time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()/86400) {
			t.Errorf("d in JSON = %v, want epoch days", got)
		}
		if got := env.Payload["tm"]; got != float64(86399999) {
			t.Errorf("tm in JSON = %v, want ms of day", got)
		}
		_, back, err := conv.ToConnect(rec.Topic, data)
		if err != nil {
			t.Fatal(err)
		}
		bs := back.(*connect.StructValue)
		if d, _ := bs.Get("de"); d.(connect.Decimal).String() != "-1234567890123456.7890" {
			t.Errorf("decimal through JsonConverter = %v", d)
		}
		if v, _ := bs.Get("txt"); v != "héllo wörld 😀🎉 — 中文" {
			t.Errorf("text through JsonConverter = %v", v)
		}
	}
}

func TestSourceIntegrationUnsignedBigint(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE u (id INT NOT NULL PRIMARY KEY, v BIGINT UNSIGNED NOT NULL)",
		"INSERT INTO u VALUES (1, 9223372036854775807), (2, 18446744073709551615)")
	t.Run("long fails loudly", func(t *testing.T) {
		s := e.source(t, map[string]string{"mode": "bulk", "table.whitelist": "u"})
		_, err := s.ReadPage(context.Background(), TablePartition(e.name, "u"), nil)
		if err == nil {
			t.Fatal("no error for 18446744073709551615 in long mode")
		}
		for _, w := range []string{e.name + ".u", "column v", "18446744073709551615", "precise"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
		if !errclass.IsPermanent(err) {
			t.Errorf("overflow error is %v, want permanent", errclass.Classify(err))
		}
	})
	t.Run("precise", func(t *testing.T) {
		s := e.source(t, map[string]string{"mode": "bulk", "table.whitelist": "u", "bigint.unsigned.handling.mode": "precise"})
		recs, _, _ := drain(t, s, TablePartition(e.name, "u"), nil, 0)
		if len(recs) != 2 {
			t.Fatalf("%d rows", len(recs))
		}
		want := new(big.Int).SetUint64(18446744073709551615)
		if d := field(t, recs[1], "v").(connect.Decimal); d.Unscaled.Cmp(want) != 0 || d.Scale != 0 {
			t.Errorf("v = %s", d)
		}
	})
}

func TestSourceIntegrationUnknownTypeNamesTableAndColumn(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE places (id INT PRIMARY KEY, loc GEOMETRY)")
	s := e.source(t, map[string]string{"mode": "bulk", "table.whitelist": "places"})
	_, err := s.ReadPage(context.Background(), TablePartition(e.name, "places"), nil)
	if err == nil || !strings.Contains(err.Error(), e.name+".places") || !strings.Contains(err.Error(), "loc") {
		t.Errorf("err = %v", err)
	}
	if !errclass.IsPermanent(err) {
		t.Errorf("unknown type error is %v, want permanent", errclass.Classify(err))
	}
}

// TestSourceIntegrationBulkResumes: a bulk run cut off after two pages
// resumes where it stopped; the run after a complete one starts over.
func TestSourceIntegrationBulkResumes(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE b (k VARCHAR(10) NOT NULL, n INT NOT NULL, PRIMARY KEY (k, n))",
		"INSERT INTO b SELECT CHAR(65 + seq MOD 5), seq FROM seq_1_to_1000")
	props := map[string]string{"mode": "bulk", "table.whitelist": "b", "batch.max.rows": "150"}
	part := TablePartition(e.name, "b")
	first, pos, pages := drain(t, e.source(t, props), part, nil, 2)
	if len(first) != 300 || pages != 2 {
		t.Fatalf("first invocation read %d rows in %d pages", len(first), pages)
	}
	rest, pos, _ := drain(t, e.source(t, props), part, pos, 0)
	seen := map[string]bool{}
	for _, r := range append(first, rest...) {
		k := fmt.Sprint(field(t, r, "k"), field(t, r, "n"))
		if seen[k] {
			t.Fatalf("duplicate row %s", k)
		}
		seen[k] = true
	}
	if len(seen) != 1000 {
		t.Fatalf("run read %d rows, want 1000", len(seen))
	}
	sp, err := ParsePosition(pos)
	if err != nil || !sp.BulkDone {
		t.Fatalf("final position %s, %v: want bulk_done", pos, err)
	}
	again, _, _ := drain(t, e.source(t, props), part, pos, 0)
	if len(again) != 1000 {
		t.Errorf("next run read %d rows, want 1000", len(again))
	}
}

func TestSourceIntegrationTimestampInitialCurrentTime(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE ev (id INT AUTO_INCREMENT PRIMARY KEY, ts DATETIME(6) NOT NULL)",
		"INSERT INTO ev (ts) SELECT NOW(6) - INTERVAL 1 HOUR FROM seq_1_to_5")
	props := map[string]string{"mode": "timestamp", "table.whitelist": "ev", "timestamp.column.name": "ts", "timestamp.initial": "-1"}
	part := TablePartition(e.name, "ev")
	recs, pos, _ := drain(t, e.source(t, props), part, nil, 0)
	if len(recs) != 0 || pos == nil {
		t.Fatalf("first read %d rows, next %s: want none and a resolved start", len(recs), pos)
	}
	time.Sleep(10 * time.Millisecond)
	e.exec(t, "INSERT INTO ev (ts) VALUES (NOW(6))")
	time.Sleep(10 * time.Millisecond)
	recs, _, _ = drain(t, e.source(t, props), part, pos, 0)
	var newest int32
	if err := e.db.QueryRow("SELECT MAX(id) FROM ev").Scan(&newest); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || field(t, recs[0], "id") != newest {
		t.Errorf("read %d rows after the start, want only id %d", len(recs), newest)
	}
}

func TestSourceIntegrationQueryMode(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE o (id INT PRIMARY KEY, cust INT NOT NULL, total DECIMAL(10,2) NOT NULL)",
		"CREATE TABLE c (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)",
		"INSERT INTO c VALUES (1, 'ann'), (2, 'bob')",
		"INSERT INTO o SELECT seq, 1 + seq MOD 2, seq / 4 FROM seq_1_to_25")
	s := e.source(t, map[string]string{"mode": "incrementing", "query": "SELECT o.id, c.name, o.total FROM o JOIN c ON c.id = o.cust WHERE o.total > 1",
		"incrementing.column.name": "id", "topic.prefix": "orders-joined", "batch.max.rows": "7"})
	parts, err := s.Partitions(context.Background())
	if err != nil || len(parts) != 1 || parts[0].String() != `{"query":"query"}` {
		t.Fatalf("Partitions = %v, %v", parts, err)
	}
	recs, pos, pages := drain(t, s, parts[0], nil, 0)
	if len(recs) != 21 || pages != 4 { // totals 1.25 .. 6.25: ids 5..25; 3 full pages and an empty one
		t.Fatalf("read %d rows in %d pages", len(recs), pages)
	}
	if recs[0].Topic != "orders-joined" || field(t, recs[0], "id") != int32(5) || field(t, recs[0], "name") != "bob" {
		t.Errorf("first record %s %v", recs[0].Topic, recs[0].Value)
	}
	if d := field(t, recs[20], "total").(connect.Decimal); d.String() != "6.25" {
		t.Errorf("total = %s", d)
	}
	if string(pos) != `{"incrementing":25}` {
		t.Errorf("position = %s", pos)
	}
}

func TestSourceIntegrationPlanErrors(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE noauto (id INT PRIMARY KEY, ts DATETIME NULL)",
		"CREATE TABLE auto (n INT AUTO_INCREMENT PRIMARY KEY, v INT)", "INSERT INTO auto (v) VALUES (1), (2)",
		"CREATE TABLE skipme (id INT PRIMARY KEY)")
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		props map[string]string
		table string
		want  string
	}{
		{"no auto increment", map[string]string{"mode": "incrementing"}, "noauto", "no AUTO_INCREMENT column"},
		{"nullable timestamp", map[string]string{"mode": "timestamp", "timestamp.column.name": "ts"}, "noauto", "nullable"},
		{"missing column", map[string]string{"mode": "timestamp", "timestamp.column.name": "nope"}, "noauto", `"nope" is not a column`},
		{"missing table", map[string]string{"mode": "bulk"}, "ghost", "not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.props["table.whitelist"] = tc.table
			_, err := e.source(t, tc.props).ReadPage(ctx, TablePartition(e.name, tc.table), nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.table) {
				t.Errorf("err = %v, want %q naming %s", err, tc.want, tc.table)
			}
		})
	}
	t.Run("auto-detected incrementing column", func(t *testing.T) {
		recs, pos, _ := drain(t, e.source(t, map[string]string{"mode": "incrementing", "table.whitelist": "auto"}), TablePartition(e.name, "auto"), nil, 0)
		if len(recs) != 2 || string(pos) != `{"incrementing":2}` {
			t.Errorf("read %d, pos %s", len(recs), pos)
		}
	})
	t.Run("all tables minus blacklist", func(t *testing.T) {
		parts, err := e.source(t, map[string]string{"mode": "bulk", "table.blacklist": "skipme"}).Partitions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range parts {
			got = append(got, p["table"])
		}
		if want := e.name + ".auto," + e.name + ".noauto"; strings.Join(got, ",") != want {
			t.Errorf("partitions %v, want %s", got, want)
		}
	})
}

// TestSourceIntegrationKeyTypesAsTieBreakers pages timestamp mode over
// tables whose primary keys are binary, date-time and decimal, so the
// position's "key" must bind back exactly.
func TestSourceIntegrationKeyTypesAsTieBreakers(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t,
		"CREATE TABLE kb (k VARBINARY(16) NOT NULL PRIMARY KEY, ts DATETIME NOT NULL)",
		"INSERT INTO kb SELECT UNHEX(MD5(seq)), '2024-01-01 00:00:00' FROM seq_1_to_95",
		"CREATE TABLE kd (k DATETIME(6) NOT NULL PRIMARY KEY, ts DATETIME NOT NULL)",
		"INSERT INTO kd SELECT TIMESTAMP'2020-01-01 00:00:00' + INTERVAL seq MICROSECOND, '2024-01-01 00:00:00' FROM seq_1_to_95",
		// 30-digit decimals differ beyond DOUBLE's precision. MySQL compares
		// a DECIMAL with a string parameter as DOUBLE (MariaDB 10.11 as
		// DECIMAL); keyParam's CAST keeps the keyset exact on both.
		"CREATE TABLE kn (k DECIMAL(30,3) NOT NULL, s VARCHAR(5) NOT NULL, ts DATETIME NOT NULL, PRIMARY KEY (k, s))",
		"INSERT INTO kn SELECT 123456789012345678901234567.000 + seq DIV 2 / 1000, CHAR(97 + seq MOD 3), '2024-01-01 00:00:00' FROM seq_1_to_95",
		// Adjacent values near 2^64 are equal as DOUBLE.
		"CREATE TABLE ku (k BIGINT UNSIGNED NOT NULL PRIMARY KEY, ts DATETIME NOT NULL)",
		"INSERT INTO ku SELECT 18446744073709551615 - seq, '2024-01-01 00:00:00' FROM seq_0_to_94",
	)
	for _, table := range []string{"kb", "kd", "kn", "ku"} {
		t.Run(table, func(t *testing.T) {
			props := map[string]string{"mode": "timestamp", "table.whitelist": table, "batch.max.rows": "10", "timestamp.column.name": "ts",
				"bigint.unsigned.handling.mode": "precise"}
			recs, pos, pages := drain(t, e.source(t, props), TablePartition(e.name, table), nil, 0)
			seen := map[string]bool{}
			for _, r := range recs {
				k := fmt.Sprint(r.Key.(*connect.StructValue).Values)
				if seen[k] {
					t.Fatalf("duplicate key %s", k)
				}
				seen[k] = true
			}
			if len(seen) != 95 || pages != 10 {
				t.Errorf("read %d distinct rows in %d pages, want 95 in 10 (last position %s)", len(seen), pages, pos)
			}
		})
	}
}

// TestSourceIntegrationZeroDates: '0000-00-00' is NULL in a nullable
// column and an error naming the column in a NOT NULL one.
func TestSourceIntegrationZeroDates(t *testing.T) {
	e := newSrcEnv(t)
	ctx := context.Background()
	conn, err := e.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range []string{
		"SET SESSION sql_mode = ''",
		"CREATE TABLE z (id INT PRIMARY KEY, d DATE NULL, dt DATETIME NULL, nn DATETIME NOT NULL)",
		"INSERT INTO z VALUES (1, '0000-00-00', '0000-00-00 00:00:00', '2024-01-01 00:00:00'), (2, NULL, NULL, '0000-00-00 00:00:00')",
	} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	s := e.source(t, map[string]string{"mode": "bulk", "table.whitelist": "z", "batch.max.rows": "1"})
	page, err := s.ReadPage(ctx, TablePartition(e.name, "z"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Records) != 1 || field(t, page.Records[0], "d") != nil || field(t, page.Records[0], "dt") != nil {
		t.Errorf("zero dates in nullable columns: %+v", page.Records)
	}
	_, err = s.ReadPage(ctx, TablePartition(e.name, "z"), page.Next)
	if err == nil || !strings.Contains(err.Error(), "column nn") || !strings.Contains(err.Error(), "zero date") {
		t.Errorf("zero date in NOT NULL column: err = %v", err)
	}
}

// TestSourceIntegrationQueryTimestampMode pages a query in timestamp mode,
// where no key exists: pages are cut before a trailing group of ties.
func TestSourceIntegrationQueryTimestampMode(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE ev (id INT PRIMARY KEY, at DATETIME(3) NOT NULL, kind VARCHAR(5) NOT NULL)",
		"INSERT INTO ev SELECT seq, TIMESTAMP'2024-03-01 00:00:00' + INTERVAL (seq DIV 3) SECOND, IF(seq MOD 2 = 0, 'even', 'odd') FROM seq_1_to_100")
	s := e.source(t, map[string]string{"mode": "timestamp", "query": "SELECT id, at, kind FROM ev WHERE kind = 'even'",
		"timestamp.column.name": "at", "topic.prefix": "evens", "batch.max.rows": "4"})
	recs, pos, _ := drain(t, s, QueryPartition(), nil, 0)
	if got := ids32(t, recs); len(got) != 50 {
		t.Errorf("read %d rows, want 50", len(got))
	}
	sp, err := ParsePosition(pos)
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := sp.Time(); !last.Equal(time.Date(2024, 3, 1, 0, 0, 33, 0, time.UTC)) || len(sp.Key) != 0 {
		t.Errorf("final position %s", pos)
	}
}

// TestSourceIntegrationTimestampDelayCoversLateCommit shows the documented
// guarantee (TimestampGuarantee): a row whose timestamp is taken before a
// later row commits is missed with timestamp.delay.interval.ms=0 once a
// page has read past it, and read when the delay covers the transaction.
func TestSourceIntegrationTimestampDelayCoversLateCommit(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t, "CREATE TABLE late (id INT AUTO_INCREMENT PRIMARY KEY, ts DATETIME(6) NOT NULL)")
	ctx := context.Background()
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	// Row A: timestamp taken now, committed later.
	if _, err := tx.ExecContext(ctx, "INSERT INTO late (ts) VALUES (NOW(6))"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	e.exec(t, "INSERT INTO late (ts) VALUES (NOW(6))") // row B, committed at once
	time.Sleep(20 * time.Millisecond)

	part := TablePartition(e.name, "late")
	noDelay := map[string]string{"mode": "timestamp", "table.whitelist": "late", "timestamp.column.name": "ts"}
	delay := map[string]string{"mode": "timestamp", "table.whitelist": "late", "timestamp.column.name": "ts", "timestamp.delay.interval.ms": "3000"}

	recs, posNoDelay, _ := drain(t, e.source(t, noDelay), part, nil, 0)
	if len(recs) != 1 {
		t.Fatalf("delay 0 before commit read %d rows, want only the committed one", len(recs))
	}
	recs, posDelay, _ := drain(t, e.source(t, delay), part, nil, 0)
	if len(recs) != 0 {
		t.Fatalf("delay 3000ms read %d rows younger than the delay", len(recs))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3100 * time.Millisecond)

	recs, _, _ = drain(t, e.source(t, noDelay), part, posNoDelay, 0)
	if len(recs) != 0 {
		t.Errorf("delay 0: late-committed row read (%d rows); the documented limit says it is missed — update TimestampGuarantee", len(recs))
	}
	recs, _, _ = drain(t, e.source(t, delay), part, posDelay, 0)
	if len(recs) != 2 {
		t.Errorf("delay 3000ms read %d rows after the commit, want both", len(recs))
	}
}

// TestSourceIntegrationTimePrecisionAndBooleans reads DATETIME(6),
// DATETIME(3), TIME(6), TINYINT(1) and BIT(1) on MariaDB in both
// time.precision.mode values and writes the records with JsonConverter
// (schemas.enable=true), checking the envelope's schema names and numbers:
// connect drops the digits after the millisecond (as the JDBC connector);
// adaptive_time_microseconds keeps every microsecond; TINYINT(1) and BIT(1)
// are booleans in both, TINYINT(4) stays int8.
func TestSourceIntegrationTimePrecisionAndBooleans(t *testing.T) {
	e := newSrcEnv(t)
	e.exec(t,
		`CREATE TABLE tp (id INT AUTO_INCREMENT PRIMARY KEY, dt DATETIME(6) NOT NULL, dt3 DATETIME(3) NOT NULL,
			tm TIME(6) NOT NULL, flag TINYINT(1) NOT NULL, flagu TINYINT(1) UNSIGNED NOT NULL, ti TINYINT(4) NOT NULL, b1 BIT(1) NOT NULL)`,
		`INSERT INTO tp (dt, dt3, tm, flag, flagu, ti, b1) VALUES
			('2024-02-29 23:59:59.123456', '2024-02-29 23:59:59.123', '12:34:56.654321', 1, 0, 1, b'1'),
			('2024-03-01 00:00:00.000001', '2024-03-01 00:00:00.000', '00:00:00.000001', 2, 7, -3, b'0'),
			('2024-03-01 00:00:00.000002', '2024-03-01 00:00:00.999', '23:59:59.999999', 0, 1, 0, b'1')`,
	)
	dt := time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC)
	type want struct{ name, value string }
	tests := []struct {
		mode string
		// first row's fields: schema name ("" for none) and JSON value
		fields map[string]want
	}{
		{"connect", map[string]want{
			"dt":    {connect.TimestampName, fmt.Sprint(dt.UnixMilli())},
			"dt3":   {connect.TimestampName, fmt.Sprint(dt.UnixMilli())},
			"tm":    {connect.TimeName, fmt.Sprint((12*3600+34*60+56)*1000 + 654)},
			"flag":  {"", "true"},
			"flagu": {"", "false"},
			"ti":    {"", "1"},
			"b1":    {"", "true"},
		}},
		{"adaptive_time_microseconds", map[string]want{
			"dt":    {connect.MicroTimestampName, fmt.Sprint(dt.UnixMicro())},
			"dt3":   {connect.TimestampName, fmt.Sprint(dt.UnixMilli())},
			"tm":    {connect.MicroTimeName, fmt.Sprint(int64(12*3600+34*60+56)*1_000_000 + 654321)},
			"flag":  {"", "true"},
			"flagu": {"", "false"},
			"ti":    {"", "1"},
			"b1":    {"", "true"},
		}},
	}
	conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			s := e.source(t, map[string]string{"mode": "incrementing", "table.whitelist": "tp", "time.precision.mode": tc.mode})
			recs, _, _ := drain(t, s, TablePartition(e.name, "tp"), nil, 0)
			if len(recs) != 3 {
				t.Fatalf("read %d rows", len(recs))
			}
			var payloads []map[string]json.RawMessage
			var schemaNames map[string]string
			for _, rec := range recs {
				data, err := conv.FromConnect(rec.Topic, rec.ValueSchema, rec.Value)
				if err != nil {
					t.Fatalf("JsonConverter: %v", err)
				}
				var env struct {
					Schema struct {
						Fields []struct {
							Field, Name, Type string
						} `json:"fields"`
					} `json:"schema"`
					Payload map[string]json.RawMessage `json:"payload"`
				}
				if err := json.Unmarshal(data, &env); err != nil {
					t.Fatal(err)
				}
				schemaNames = map[string]string{}
				for _, f := range env.Schema.Fields {
					schemaNames[f.Field] = f.Name
				}
				payloads = append(payloads, env.Payload)
			}
			for f, w := range tc.fields {
				if schemaNames[f] != w.name || string(payloads[0][f]) != w.value {
					t.Errorf("%s: schema name %q value %s; want %q %s", f, schemaNames[f], payloads[0][f], w.name, w.value)
				}
			}
			// TINYINT(1) 2 is true (non-zero), as Connector/J reads it.
			if string(payloads[1]["flag"]) != "true" || string(payloads[1]["flagu"]) != "true" || string(payloads[1]["ti"]) != "-3" {
				t.Errorf("second row flag %s flagu %s ti %s; want true true -3", payloads[1]["flag"], payloads[1]["flagu"], payloads[1]["ti"])
			}
			// Rows 2 and 3 differ by one microsecond: connect mode writes
			// them equal, the microsecond mode keeps them apart.
			same := string(payloads[1]["dt"]) == string(payloads[2]["dt"])
			if same != (tc.mode == "connect") {
				t.Errorf("dt of rows 2 and 3 = %s and %s; equal=%v in mode %s", payloads[1]["dt"], payloads[2]["dt"], same, tc.mode)
			}
		})
	}
}
