package binlog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dbzharness "github.com/serverless-kafka-connect/slkc/localstack/harness/debezium"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// diffTypesTable has a column of every type the connector's type table
// maps (table.go's baseSchema), plus BOOLEAN and a NOT NULL column with a
// default.
const diffTypesTable = "CREATE TABLE types (id INT PRIMARY KEY," +
	" c_tinyint TINYINT, c_tinyint_u TINYINT UNSIGNED, c_smallint SMALLINT, c_smallint_u SMALLINT UNSIGNED," +
	" c_mediumint MEDIUMINT, c_mediumint_u MEDIUMINT UNSIGNED, c_int INT, c_int_u INT UNSIGNED," +
	" c_bigint BIGINT, c_bigint_u BIGINT UNSIGNED, c_float FLOAT, c_double DOUBLE, c_real REAL," +
	" c_decimal DECIMAL(10,2), c_numeric NUMERIC(30,5), c_bit1 BIT(1), c_bit BIT(12)," +
	" c_char CHAR(5), c_varchar VARCHAR(40), c_tinytext TINYTEXT, c_text TEXT, c_mediumtext MEDIUMTEXT, c_longtext LONGTEXT," +
	" c_binary BINARY(4), c_varbinary VARBINARY(8), c_tinyblob TINYBLOB, c_blob BLOB, c_mediumblob MEDIUMBLOB, c_longblob LONGBLOB," +
	" c_json JSON, c_enum ENUM('a','b','c'), c_set SET('x','y','z')," +
	" c_date DATE, c_time TIME, c_time6 TIME(6), c_datetime DATETIME, c_datetime3 DATETIME(3), c_datetime6 DATETIME(6)," +
	" c_timestamp TIMESTAMP NULL, c_timestamp3 TIMESTAMP(3) NULL, c_timestamp6 TIMESTAMP(6) NULL, c_year YEAR," +
	" c_bool BOOLEAN, c_notnull VARCHAR(10) NOT NULL DEFAULT 'dflt')"

// diffScript is the change script both connectors read: inserts, updates
// and deletes of every type, multi-row transactions, a primary key change,
// and DDL in the middle of the stream (ALTER ADD/DROP COLUMN, CREATE TABLE).
var diffScript = []string{
	`INSERT INTO types VALUES (1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
	 -9223372036854775808, 18446744073709551615, 1.5, -2.25, 3.125,
	 -12345678.91, 1234567890123456789012345.12345, b'1', b'101010101010',
	 'abc', 'hello wörld', 'tiny', 'text', 'medium', 'long',
	 X'01020304', X'0A0B', X'FF', X'0001', X'00', X'DEADBEEF',
	 '{"a": [1, 2, {"b": null}]}', 'b', 'x,z',
	 '2024-02-29', '-12:34:56', '838:59:59.999999', '2024-01-02 03:04:05', '2024-01-02 03:04:05.678', '1999-12-31 23:59:59.123456',
	 '2024-05-06 07:08:09', '2024-05-06 07:08:09.120', '2038-01-19 03:14:07.999999', 2024,
	 TRUE, 'nn')`,
	`INSERT INTO types (id, c_notnull) VALUES (2, 'only')`,
	`INSERT INTO types (id, c_int, c_date, c_datetime6, c_timestamp, c_decimal, c_float, c_double, c_enum, c_set, c_json, c_bit, c_year, c_time)
	 VALUES (3, 0, '1970-01-01', '1970-01-01 00:00:00.000001', '1970-01-02 00:00:00', 0.01, -0.5, 1e300, 'c', '', '[]', b'0', 1901, '00:00:00')`,
	`UPDATE types SET c_varchar = 'changed', c_int = 42, c_datetime = '2000-01-01 00:00:00', c_bool = FALSE WHERE id = 1`,
	`UPDATE types SET c_text = 'set later', c_bigint_u = 9223372036854775808 WHERE id = 2`,
	`DELETE FROM types WHERE id = 3`,
	`CREATE TABLE multi (id INT PRIMARY KEY, name VARCHAR(20), qty INT NOT NULL DEFAULT 0)`,
	`BEGIN`,
	`INSERT INTO multi VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)`,
	`UPDATE multi SET qty = qty + 10`,
	`DELETE FROM multi WHERE id = 2`,
	`COMMIT`,
	`UPDATE multi SET id = 10 WHERE id = 1`,
	`ALTER TABLE multi ADD COLUMN note VARCHAR(10) DEFAULT 'x', ADD COLUMN created DATETIME(6) NULL`,
	`INSERT INTO multi (id, name, qty, created) VALUES (4, 'four', 4, '2020-02-02 02:02:02.5')`,
	`UPDATE multi SET note = 'y' WHERE id = 3`,
	`ALTER TABLE multi DROP COLUMN name`,
	`BEGIN`,
	`INSERT INTO multi (id, qty) VALUES (5, 5)`,
	`UPDATE types SET c_char = 'tx' WHERE id = 1`,
	`DELETE FROM multi WHERE id = 4`,
	`COMMIT`,
	`DELETE FROM types WHERE id IN (1, 2)`,
	diffDefaultsTable,
	`INSERT INTO defaults (id) VALUES (1)`,
	`CREATE INDEX multi_qty ON multi (qty)`,
	`CREATE TABLE scratch (id INT PRIMARY KEY)`,
	`INSERT INTO scratch VALUES (1)`,
	`TRUNCATE TABLE scratch`,
	`RENAME TABLE scratch TO scratch2`,
	`DROP TABLE scratch2`,
	`INSERT INTO defaults VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '2001-01-01 00:00:00', NULL, '2001-01-01 00:00:00', NULL, '2001-01-01', 8)`,
}

// diffDefaultsTable has a literal default of every kind, and an
// expression default, so the schemas' "default" is compared too.
const diffDefaultsTable = "CREATE TABLE defaults (id INT PRIMARY KEY," +
	" d_tinyint TINYINT DEFAULT -5, d_int_u INT UNSIGNED DEFAULT 4000000000, d_bigint BIGINT DEFAULT -9000000000," +
	" d_bigint_u BIGINT UNSIGNED DEFAULT 18446744073709551615, d_float FLOAT DEFAULT 1.25, d_double DOUBLE DEFAULT -0.5," +
	" d_decimal DECIMAL(8,3) DEFAULT 12.5, d_bit1 BIT(1) DEFAULT b'1', d_bit BIT(10) DEFAULT b'1000000001'," +
	" d_varchar VARCHAR(20) DEFAULT 'it''s', d_enum ENUM('a','b') DEFAULT 'b', d_set SET('x','y','z') DEFAULT 'x,z'," +
	" d_date DATE DEFAULT '2020-02-29', d_time TIME(3) DEFAULT '-01:02:03.500', d_datetime DATETIME DEFAULT '2021-03-04 05:06:07'," +
	" d_datetime6 DATETIME(6) DEFAULT '2021-03-04 05:06:07.123456', d_timestamp TIMESTAMP NULL DEFAULT '2022-01-01 00:00:00'," +
	" d_year YEAR DEFAULT 2030, d_now TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP," +
	" d_now_null TIMESTAMP(3) NULL DEFAULT CURRENT_TIMESTAMP(3), d_dt_now DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP," +
	" d_dt_now_null DATETIME(6) NULL DEFAULT NOW(6), d_date_zero DATE NOT NULL DEFAULT '2000-01-01', d_notnull_nodefault INT NOT NULL DEFAULT 7)"

// documentedDifferences are the paths where this connector's events are
// allowed to differ from Debezium's, each with its reason (the README's
// "Differences from Debezium" list says the same). Paths are dotted, with
// [] for array elements; schema fields are named by their "field".
var documentedDifferences = []struct {
	path   *regexp.Regexp
	reason string
	// schemaChangeOnly limits the difference to schema change events.
	schemaChangeOnly bool
}{
	{regexp.MustCompile(`^value\.payload\.(ts_ms|ts_us|ts_ns)$`), "the connector's processing time", false},
	{regexp.MustCompile(`^value\.payload\.source\.version$`), "this connector's own version, not Debezium's", false},
	{regexp.MustCompile(`^value\.payload\.tableChanges\[\]\.table\.columns\[\]\.defaultValueExpression$`),
		"Debezium writes a default as the DDL statement spells it (12.5, 'it''s'), this connector as information_schema gives it (12.500, it's)", true},
	{regexp.MustCompile(`^value\.payload\.source\.row$`),
		"in a schema change event Debezium repeats the row index of the last row event it read; this connector gives 0", true},
	{regexp.MustCompile(`^value\.(payload\.(after|before)|schema\.fields\.(after|before)\.fields)\.d_varchar(\.default)?$`),
		"Debezium 3.5 keeps SQL's doubled quote in a string default ('it''s'), this connector gives the value (it's); " +
			"JsonConverter's replace.null.with.default shows a NULL as that default on both sides", false},
}

// TestDebeziumDifferential runs one change script through Debezium's own
// MariaDB connector (3.5.0.Final in a DebeziumEngine) and through this
// connector, both with Kafka's JsonConverter (schemas enabled), and
// compares every event's topic, key (schema and payload) and value
// (schema, before, after, op, source) field by field; a difference not in
// documentedDifferences fails the test.
func TestDebeziumDifferential(t *testing.T) {
	for _, tc := range []struct {
		name  string
		modes map[string]string
	}{
		{"default modes", nil},
		{"string decimals, connect times, precise unsigned", map[string]string{
			"decimal.handling.mode": "string", "time.precision.mode": "connect", "bigint.unsigned.handling.mode": "precise"}},
		{"double decimals", map[string]string{"decimal.handling.mode": "double"}},
	} {
		t.Run(tc.name, func(t *testing.T) { runDifferential(t, tc.modes) })
	}
}

func runDifferential(t *testing.T, modes map[string]string) {
	if testing.Short() {
		t.Skip("integration test: needs MariaDB, Java and Debezium's jars")
	}
	_, db, dbName, server := testServer(t)
	prefix := testenv.UniqueName(t, "dbz", 40)
	exec := func(stmts ...string) {
		t.Helper()
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
	// One connection for the script, so BEGIN..COMMIT hold.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec(diffTypesTable, "CREATE TABLE marker (id INT PRIMARY KEY)")

	common := withProps(server, map[string]string{
		"topic.prefix": prefix, "database.include.list": dbName, "snapshot.mode": "no_data",
		"include.schema.changes": "true", "tombstones.on.delete": "true",
	}, modes)
	dbz := dbzharness.Start(t, withProps(common, map[string]string{
		"connector.class": MariaDBClass, "database.server.id": uniqueServerID(),
		// The shared server runs other tests: no global read lock.
		"snapshot.locking.mode": "none", "database.ssl.mode": "disable",
		"schema.history.internal.store.only.captured.tables.ddl":    "true",
		"schema.history.internal.store.only.captured.databases.ddl": "true",
	}))

	// Debezium streams once a marker row written now comes back.
	markerTopic := prefix + "." + dbName + ".marker"
	synced := false
	for i := 1; i <= 120 && !synced; i++ {
		exec(fmt.Sprintf("INSERT INTO marker VALUES (%d)", i))
		for {
			ev, ok := dbz.TryNext(500 * time.Millisecond)
			if !ok {
				break
			}
			if ev.Topic == markerTopic {
				synced = true
			}
			if ev.Topic != prefix && ev.Topic != markerTopic {
				t.Fatalf("Debezium event before the script: %s %s", ev.Topic, ev.Value)
			}
		}
	}
	if !synced {
		t.Fatalf("Debezium never streamed a marker row\n%s", dbz.Stderr())
	}

	cfg, err := ParseConfig(withProps(common, map[string]string{"connector.class": MariaDBClass, "database.server.id": uniqueServerID()}))
	if err != nil {
		t.Fatal(err)
	}
	src, err := OpenSource(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	part := partition(prefix)
	first, err := src.ReadPage(ctx, part, nil) // no_data: the current binlog end
	if err != nil {
		t.Fatal(err)
	}
	pos := first.Next

	// Ours: read to the binlog end before and after every DDL statement
	// (this connector reads a table's shape from information_schema, so
	// the rows between two unread DDL statements of one table cannot be
	// decoded; see the README), and at the end.
	keyConv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, true)
	if err != nil {
		t.Fatal(err)
	}
	valConv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var ours []dbzharness.Event
	drain := func() {
		t.Helper()
		for more := true; more; {
			page, err := src.ReadPage(ctx, part, pos)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Records {
				k, err := keyConv.FromConnect(r.Topic, r.KeySchema, r.Key)
				if err != nil {
					t.Fatal(err)
				}
				v, err := valConv.FromConnect(r.Topic, r.ValueSchema, r.Value)
				if err != nil {
					t.Fatal(err)
				}
				if r.Topic != markerTopic {
					ours = append(ours, dbzharness.Event{Topic: r.Topic, Key: k, Value: v})
				}
			}
			pos, more = page.Next, page.More
		}
	}
	script := diffScript
	if modes["time.precision.mode"] == string(TimeConnect) {
		// Kafka Connect's Time holds one day: JsonConverter refuses
		// negative and longer TIME values on both sides.
		r := strings.NewReplacer("'-12:34:56'", "'12:34:56'", "'838:59:59.999999'", "'23:59:59.999999'", "'-01:02:03.500'", "'01:02:03.500'")
		script = nil
		for _, s := range diffScript {
			script = append(script, r.Replace(s))
		}
	}
	for _, s := range script {
		if isDDL(s) {
			drain()
		}
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if isDDL(s) {
			drain()
		}
	}
	exec("INSERT INTO marker VALUES (1000000)")
	drain()

	// Debezium's: up to the end marker.
	var theirs []dbzharness.Event
	for {
		ev := dbz.Next(t, 60*time.Second)
		if ev.Topic == markerTopic {
			if bytes.Contains(ev.Key, []byte(`"id":1000000`)) {
				break
			}
			continue
		}
		theirs = append(theirs, ev)
	}

	if testing.Verbose() {
		for i := 0; i < min(len(theirs), len(ours)); i++ {
			t.Logf("%d source debezium %s\n ours %s", i, sourceOf(theirs[i]), sourceOf(ours[i]))
		}
	}
	if os.Getenv("SLKC_DIFF_DUMP") != "" {
		for i := range theirs {
			t.Logf("DUMP %d theirs %s", i, payloadOf(theirs[i].Value))
			if i < len(ours) {
				t.Logf("DUMP %d ours   %s", i, payloadOf(ours[i].Value))
			}
		}
	}
	compareEvents(t, theirs, ours)
}

func sourceOf(e dbzharness.Event) string {
	var v struct {
		Payload struct {
			Source json.RawMessage `json:"source"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(e.Value, &v)
	return string(v.Payload.Source)
}

// compareEvents fails t for every undocumented difference between
// Debezium's events and ours, and logs the documented ones once.
func compareEvents(t *testing.T, theirs, ours []dbzharness.Event) {
	t.Helper()
	if len(theirs) != len(ours) {
		t.Errorf("Debezium produced %d events, this connector %d", len(theirs), len(ours))
		for i := 0; i < max(len(theirs), len(ours)); i++ {
			var a, b string
			if i < len(theirs) {
				a = theirs[i].Topic + " " + summary(theirs[i])
			}
			if i < len(ours) {
				b = ours[i].Topic + " " + summary(ours[i])
			}
			t.Logf("%3d debezium: %-60s ours: %s", i, a, b)
		}
	}
	documented := map[string]bool{}
	undocumented := map[string][]string{}
	for i := 0; i < min(len(theirs), len(ours)); i++ {
		d, o := theirs[i], ours[i]
		if d.Topic != o.Topic {
			t.Errorf("event %d: topic %s, Debezium's %s", i, o.Topic, d.Topic)
		}
		var diffs []string
		diffJSON("key", decode(t, d.Key), decode(t, o.Key), &diffs)
		diffJSON("value", decode(t, d.Value), decode(t, o.Value), &diffs)
	next:
		for _, df := range diffs {
			path, _, _ := strings.Cut(df, ": ")
			for _, dd := range documentedDifferences {
				if dd.schemaChangeOnly && !bytes.Contains(d.Key, []byte("SchemaChangeKey")) {
					continue
				}
				if dd.path.MatchString(path) {
					documented[path+" ("+dd.reason+")"] = true
					continue next
				}
			}
			undocumented[path] = append(undocumented[path], fmt.Sprintf("event %d (%s %s): %s", i, d.Topic, summary(d), df))
		}
	}
	paths := make([]string, 0, len(undocumented))
	for p := range undocumented {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		ex := undocumented[p]
		t.Errorf("undocumented difference at %s in %d events, first: %s", p, len(ex), ex[0])
	}
	for p := range documented {
		t.Logf("documented difference: %s", p)
	}
	t.Logf("compared %d events", min(len(theirs), len(ours)))
}

func summary(e dbzharness.Event) string {
	if e.Value == nil {
		return "tombstone " + string(payloadOf(e.Key))
	}
	var v struct {
		Payload struct {
			Op string `json:"op"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(e.Value, &v)
	return v.Payload.Op + " " + string(payloadOf(e.Key))
}

func payloadOf(b []byte) []byte {
	var v struct {
		Payload json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(b, &v)
	return v.Payload
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	if b == nil {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}

// diffJSON appends "path: theirs ≠ ours" for every difference. Struct
// schema "fields" arrays are matched by field name, so a missing or extra
// field is reported by name.
func diffJSON(path string, a, b any, out *[]string) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %s ≠ %s", path, show(a), show(b)))
			return
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		for k := range keys {
			p := path + "." + k
			if k == "fields" {
				diffFields(p, av[k], bv[k], out)
				continue
			}
			ax, aok := av[k]
			bx, bok := bv[k]
			switch {
			case !aok:
				*out = append(*out, fmt.Sprintf("%s: absent ≠ %s", p, show(bx)))
			case !bok:
				*out = append(*out, fmt.Sprintf("%s: %s ≠ absent", p, show(ax)))
			default:
				diffJSON(p, ax, bx, out)
			}
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			*out = append(*out, fmt.Sprintf("%s: %s ≠ %s", path, show(a), show(b)))
			return
		}
		for i := range av {
			diffJSON(path+"[]", av[i], bv[i], out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, fmt.Sprintf("%s: %s ≠ %s", path, show(a), show(b)))
		}
	}
}

func diffFields(path string, a, b any, out *[]string) {
	af, aok := a.([]any)
	bf, bok := b.([]any)
	if !aok || !bok {
		diffJSON(path+"[]", a, b, out)
		return
	}
	name := func(f any) string {
		m, _ := f.(map[string]any)
		s, _ := m["field"].(string)
		return s
	}
	var an, bn []string
	bm := map[string]any{}
	for _, f := range bf {
		bm[name(f)] = f
		bn = append(bn, name(f))
	}
	for _, f := range af {
		an = append(an, name(f))
		g, ok := bm[name(f)]
		if !ok {
			*out = append(*out, fmt.Sprintf("%s.%s: present ≠ absent", path, name(f)))
			continue
		}
		diffJSON(path+"."+name(f), f, g, out)
	}
	am := map[string]bool{}
	for _, n := range an {
		am[n] = true
	}
	for _, n := range bn {
		if !am[n] {
			*out = append(*out, fmt.Sprintf("%s.%s: absent ≠ present", path, n))
		}
	}
	if len(an) == len(bn) && strings.Join(an, ",") != strings.Join(bn, ",") {
		*out = append(*out, fmt.Sprintf("%s: field order %v ≠ %v", path, an, bn))
	}
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return truncate(string(b), 200)
}
