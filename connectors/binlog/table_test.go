package binlog

import (
	"fmt"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func mustConfig(t *testing.T, extra map[string]string) *Config {
	t.Helper()
	cfg, err := ParseConfig(with(extra))
	if err != nil {
		t.Fatal(err)
	}
	return &cfg
}

// TestColumnMapping checks the schema and the value conversion of each
// common type, per mode, against Debezium's documented mapping.
func TestColumnMapping(t *testing.T) {
	adaptive := mustConfig(t, nil)
	connectMode := mustConfig(t, map[string]string{"time.precision.mode": "connect", "decimal.handling.mode": "string", "bigint.unsigned.handling.mode": "precise"})
	double := mustConfig(t, map[string]string{"decimal.handling.mode": "double"})
	cases := []struct {
		name     string
		cfg      *Config
		col      column
		in       any
		typ      connect.Type
		logical  string
		params   map[string]string
		want     any
		wantText string // compared with fmt.Sprint when want is nil
	}{
		{"tinyint", adaptive, column{DataType: "tinyint", Type: "tinyint(4)"}, int8(-5), connect.Int16, "", nil, int16(-5), ""},
		{"tinyint unsigned", adaptive, column{DataType: "tinyint", Type: "tinyint(3) unsigned", Unsigned: true}, int8(-1), connect.Int16, "", nil, int16(255), ""},
		{"smallint unsigned", adaptive, column{DataType: "smallint", Type: "smallint unsigned", Unsigned: true}, int16(-1), connect.Int32, "", nil, int32(65535), ""},
		{"mediumint", adaptive, column{DataType: "mediumint", Type: "mediumint"}, int32(-8388608), connect.Int32, "", nil, int32(-8388608), ""},
		{"int", adaptive, column{DataType: "int", Type: "int(11)"}, int32(7), connect.Int32, "", nil, int32(7), ""},
		{"int unsigned", adaptive, column{DataType: "int", Type: "int unsigned", Unsigned: true}, int32(-1), connect.Int64, "", nil, int64(4294967295), ""},
		{"bigint unsigned long", adaptive, column{DataType: "bigint", Type: "bigint unsigned", Unsigned: true}, int64(-1), connect.Int64, "", nil, int64(-1), ""},
		{"bigint unsigned precise", connectMode, column{DataType: "bigint", Type: "bigint unsigned", Unsigned: true}, int64(-1), connect.Bytes, connect.DecimalName,
			map[string]string{"scale": "0", "connect.decimal.precision": "20"}, nil, "18446744073709551615"},
		{"float", adaptive, column{DataType: "float", Type: "float"}, float32(1.5), connect.Float32, "", nil, float32(1.5), ""},
		{"double", adaptive, column{DataType: "double", Type: "double"}, 2.25, connect.Float64, "", nil, 2.25, ""},
		{"decimal precise", adaptive, column{DataType: "decimal", Type: "decimal(10,3)", Precision: 10, Scale: 3}, "12.5", connect.Bytes, connect.DecimalName,
			map[string]string{"scale": "3", "connect.decimal.precision": "10"}, nil, "12.500"},
		{"decimal string", connectMode, column{DataType: "decimal", Type: "decimal(10,2)", Precision: 10, Scale: 2}, "-1.20", connect.String, "", nil, "-1.20", ""},
		{"decimal double", double, column{DataType: "decimal", Type: "decimal(10,2)", Precision: 10, Scale: 2}, "-1.25", connect.Float64, "", nil, -1.25, ""},
		{"bit(1)", adaptive, column{DataType: "bit", Type: "bit(1)", Precision: 1}, int64(1), connect.Boolean, "", nil, true, ""},
		{"bit(10)", adaptive, column{DataType: "bit", Type: "bit(10)", Precision: 10}, int64(0x201), connect.Bytes, dbzBits, map[string]string{"length": "10"}, nil, "[1 2]"},
		{"varchar", adaptive, column{DataType: "varchar", Type: "varchar(10)"}, "héllo", connect.String, "", nil, "héllo", ""},
		{"text from blob bytes", adaptive, column{DataType: "text", Type: "text"}, []byte("t"), connect.String, "", nil, "t", ""},
		{"binary charset char", adaptive, column{DataType: "char", Type: "char(2)", Binary: true}, "ab", connect.Bytes, "", nil, nil, "[97 98]"},
		{"blob", adaptive, column{DataType: "blob", Type: "blob"}, []byte{0, 255}, connect.Bytes, "", nil, nil, "[0 255]"},
		{"json", adaptive, column{DataType: "json", Type: "json"}, `{"a":1}`, connect.String, dbzJSON, nil, `{"a":1}`, ""},
		{"mariadb json", adaptive, column{DataType: "longtext", Type: "longtext", JSON: true}, []byte(`[1]`), connect.String, dbzJSON, nil, `[1]`, ""},
		{"enum", adaptive, column{DataType: "enum", Type: "enum('s','it''s','l')"}, int64(2), connect.String, dbzEnum, map[string]string{"allowed": "s,it's,l"}, "it's", ""},
		{"set", adaptive, column{DataType: "set", Type: "set('a','b','c')"}, int64(5), connect.String, dbzEnumSet, map[string]string{"allowed": "a,b,c"}, "a,c", ""},
		{"date adaptive", adaptive, column{DataType: "date", Type: "date"}, "1970-01-11", connect.Int32, dbzDate, nil, int32(10), ""},
		{"date connect", connectMode, column{DataType: "date", Type: "date"}, "1970-01-11", connect.Int32, connect.DateName, nil, time.Date(1970, 1, 11, 0, 0, 0, 0, time.UTC), ""},
		{"time adaptive", adaptive, column{DataType: "time", Type: "time(6)", FSP: 6}, "838:59:59.000001", connect.Int64, dbzMicroTime, nil, int64(3020399000001), ""},
		{"time connect", connectMode, column{DataType: "time", Type: "time"}, "01:00:00", connect.Int32, connect.TimeName, nil, time.UnixMicro(3600e6).UTC(), ""},
		{"datetime(0)", adaptive, column{DataType: "datetime", Type: "datetime"}, "1970-01-01 00:00:01", connect.Int64, dbzTimestamp, nil, int64(1000), ""},
		{"datetime(6)", adaptive, column{DataType: "datetime", Type: "datetime(6)", FSP: 6}, "1970-01-01 00:00:01.000002", connect.Int64, dbzMicroTimestamp, nil, int64(1000002), ""},
		{"datetime connect", connectMode, column{DataType: "datetime", Type: "datetime"}, "1970-01-01 00:00:01", connect.Int64, connect.TimestampName, nil, time.Unix(1, 0).UTC(), ""},
		{"timestamp(0)", adaptive, column{DataType: "timestamp", Type: "timestamp"}, "2018-06-20 13:37:03", connect.String, dbzZonedTimestamp, nil, "2018-06-20T13:37:03Z", ""},
		{"timestamp(6)", adaptive, column{DataType: "timestamp", Type: "timestamp(6)", FSP: 6}, "2018-06-20 13:37:03.5", connect.String, dbzZonedTimestamp, nil, "2018-06-20T13:37:03.500000Z", ""},
		{"year", adaptive, column{DataType: "year", Type: "year(4)"}, 2024, connect.Int32, dbzYear, nil, int32(2024), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			col := c.col
			s, conv, err := columnSchema(c.cfg, &col)
			if err != nil {
				t.Fatal(err)
			}
			if s.Type != c.typ || s.Name != c.logical || fmt.Sprint(s.Parameters) != fmt.Sprint(c.params) {
				t.Errorf("schema %s %q %v, want %s %q %v", s.Type, s.Name, s.Parameters, c.typ, c.logical, c.params)
			}
			got, err := conv(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if c.want != nil {
				if fmt.Sprintf("%T %v", got, got) != fmt.Sprintf("%T %v", c.want, c.want) {
					t.Errorf("value %T %v, want %T %v", got, got, c.want, c.want)
				}
			} else if fmt.Sprint(got) != c.wantText {
				t.Errorf("value %v, want %s", got, c.wantText)
			}
		})
	}
	if _, _, err := columnSchema(adaptive, &column{DataType: "geometry", Type: "geometry"}); err == nil {
		t.Error("geometry accepted; unsupported types must be refused naming column.exclude.list")
	}
}

func TestParseTimeMicrosErrors(t *testing.T) {
	for _, in := range []any{"12:00", "aa:bb:cc", 5} {
		if _, err := parseTimeMicros(in); err == nil {
			t.Errorf("parseTimeMicros(%v) accepted", in)
		}
	}
	if us, err := parseTimeMicros("-00:00:01.5"); err != nil || us != -1_500_000 {
		t.Errorf("negative TIME: %d %v", us, err)
	}
}

// TestRowAndEnvelope builds a table by hand and checks the Debezium schema
// names, the key, the excluded column and the column-count guard.
func TestRowAndEnvelope(t *testing.T) {
	cfg := mustConfig(t, map[string]string{"column.exclude.list": `shop\.users\.secret`})
	tb := &table{DB: "shop", Name: "users"}
	for _, c := range []*column{
		{Name: "id", DataType: "int", Type: "int", Key: true},
		{Name: "secret", DataType: "varchar", Type: "varchar(9)", Nullable: true},
		{Name: "name", DataType: "varchar", Type: "varchar(9)", Nullable: true},
	} {
		c.Excluded = cfg.excludesColumn("shop", "users", c.Name)
		var err error
		if c.schema, c.convert, err = columnSchema(cfg, c); err != nil {
			t.Fatal(err)
		}
		tb.Columns = append(tb.Columns, c)
		if c.Key {
			tb.keyCols = append(tb.keyCols, c)
		}
	}
	tb.buildSchemas(cfg)
	if tb.Key.Name != "shop.shop.users.Key" || tb.Value.Name != "shop.shop.users.Value" || tb.Envelope.Name != "shop.shop.users.Envelope" ||
		tb.Envelope.Version != 2 || !tb.Value.Optional || tb.Value.Field("secret") != nil {
		t.Fatalf("schemas: key %q value %q envelope %q v%d", tb.Key.Name, tb.Value.Name, tb.Envelope.Name, tb.Envelope.Version)
	}
	src := tb.Envelope.Field("source").Schema
	if src.Name != "io.debezium.connector.mysql.Source" || src.Field("snapshot").Schema.Default != "false" {
		t.Fatalf("source schema %q", src.Name)
	}
	v, k, err := tb.row([]any{int32(7), "hidden", nil})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(v.Values) != "[7 <nil>]" || fmt.Sprint(k.Values) != "[7]" {
		t.Fatalf("value %v key %v", v.Values, k.Values)
	}
	if _, _, err := tb.row([]any{int32(7), "x"}); err == nil {
		t.Fatal("a row with fewer columns than the table was decoded")
	}
	if _, _, err := tb.row([]any{nil, "x", "y"}); err == nil {
		t.Fatal("NULL in a NOT NULL key column accepted")
	}
	si := sourceInfo{ts: time.Unix(2, 0), db: "shop", tbl: "users", serverID: 1, file: "binlog.000001", pos: 4, thread: -1}
	env := tb.envelope(cfg, "c", nil, v, si, time.UnixMilli(5))
	if got, _ := env.Get("op"); got != "c" {
		t.Fatalf("op %v", got)
	}
	s, _ := env.Get("source")
	sv := s.(*connect.StructValue)
	for name, want := range map[string]any{"connector": "mysql", "name": "shop", "ts_ms": int64(2000), "file": "binlog.000001", "pos": int64(4), "thread": nil, "gtid": nil} {
		if got, _ := sv.Get(name); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("source.%s = %v, want %v", name, got, want)
		}
	}
}

func TestPositionRoundTrip(t *testing.T) {
	p := Position{File: "binlog.000002", Pos: 1234, GTIDs: "0-1-77", TsSec: 9}
	got, ok, err := ParsePosition(p.Encode())
	if err != nil || !ok || fmt.Sprint(got) != fmt.Sprint(p) {
		t.Fatalf("round trip %+v %v %v", got, ok, err)
	}
	if _, ok, err := ParsePosition(nil); ok || err != nil {
		t.Fatal("nil position")
	}
	for _, bad := range []string{`{"file":""}`, `{"file":"b","pos":1}`, `[1]`} {
		if _, _, err := ParsePosition(connectors.Position(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if !(Position{File: "binlog.000001", Pos: 900}).before("binlog.000002", 4) || (Position{File: "binlog.000002", Pos: 5}).before("binlog.000002", 5) {
		t.Error("before")
	}
	if topicName("p.db.t$x") != "p.db.t_x" {
		t.Error("topicName")
	}
	if !isDDL("/* c */ ALTER TABLE t ADD c INT") || isDDL("INSERT INTO t VALUES (1)") {
		t.Error("isDDL")
	}
}
