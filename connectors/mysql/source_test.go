package mysql

import (
	"database/sql"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestKeyPositionRoundTrip: a key column's scanned value goes into the
// position as JSON and comes back as the bind value MySQL compares
// exactly with the column.
func TestKeyPositionRoundTrip(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct {
		name     string
		col      Column
		raw      sql.RawBytes
		v        any
		wantJSON string
		wantBind any
	}{
		{"bigint", Column{DataType: "bigint"}, nil, int64(-9223372036854775808), `-9223372036854775808`, int64(-9223372036854775808)},
		{"bigint unsigned precise", Column{DataType: "bigint", Unsigned: true}, sql.RawBytes("18446744073709551615"), nil, `18446744073709551615`, uint64(18446744073709551615)},
		{"bigint unsigned precise small", Column{DataType: "bigint", Unsigned: true}, sql.RawBytes("7"), nil, `7`, int64(7)},
		{"varchar", Column{DataType: "varchar"}, sql.RawBytes(`a "quoted" 😀`), nil, `"a \"quoted\" 😀"`, `a "quoted" 😀`},
		{"decimal", Column{DataType: "decimal", Precision: 30, Scale: 3}, sql.RawBytes("123456789012345678901234567.001"), nil, `"123456789012345678901234567.001"`, "123456789012345678901234567.001"},
		{"varbinary", Column{DataType: "varbinary"}, sql.RawBytes{0, 0xff, '"'}, nil, `"AP8i"`, []byte{0, 0xff, '"'}},
		{"datetime in db.timezone", Column{DataType: "datetime"}, nil, time.Date(2024, 3, 31, 3, 30, 0, 123456000, paris), `"2024-03-31 03:30:00.123456"`, "2024-03-31 03:30:00.123456"},
		{"time", Column{DataType: "time"}, sql.RawBytes("12:00:00.5"), nil, `"12:00:00.5"`, "12:00:00.5"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.col
			c.Name = "k"
			sch, k, err := mapColumn("db.t", c, TypeOptions{Unsigned: UnsignedPrecise})
			if err != nil {
				t.Fatal(err)
			}
			s := &Source{loc: paris}
			js, err := s.keyJSON(k, tc.raw, tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(js) != tc.wantJSON {
				t.Errorf("keyJSON = %s, want %s", js, tc.wantJSON)
			}
			pl := &plan{label: "db.t", codecs: []colCodec{{table: "db.t", col: c, schema: sch, kind: k}}, tieIdx: []int{0}}
			// Through an encoded position, as the offset store keeps it.
			pos, err := ParsePosition(SourcePosition{Key: []json.RawMessage{js}}.Encode())
			if err != nil {
				t.Fatal(err)
			}
			binds, err := s.keyValues(pl, pos.Key)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(binds, []any{tc.wantBind}) {
				t.Errorf("keyValues = %#v, want %#v", binds, tc.wantBind)
			}
		})
	}
	s := &Source{loc: time.UTC}
	pl := &plan{label: "db.t", codecs: []colCodec{{kind: kInt32}}, tieIdx: []int{0}}
	if _, err := s.keyValues(pl, []json.RawMessage{json.RawMessage(`1`), json.RawMessage(`2`)}); err == nil {
		t.Error("a position key with more values than the primary key was accepted")
	}
	if _, err := s.keyJSON(kInt32, nil, nil); err == nil {
		t.Error("NULL key value accepted")
	}
}

func TestKeyParam(t *testing.T) {
	if got := keyParam(Column{DataType: "decimal", Precision: 30, Scale: 3}); got != "CAST(? AS DECIMAL(30,3))" {
		t.Errorf("decimal: %q", got)
	}
	if got := keyParam(Column{DataType: "varchar"}); got != "" {
		t.Errorf("varchar: %q", got)
	}
}

func TestNewSourceChecks(t *testing.T) {
	if _, err := NewSource(SourceConfig{Mode: ModeBulk, Conn: ConnConfig{URL: "jdbc:mysql://h/db"}}, nil); err == nil {
		t.Error("nil db accepted")
	}
	db, err := sql.Open("mysql", "u:p@tcp(127.0.0.1:1)/db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := NewSource(SourceConfig{Conn: ConnConfig{URL: "jdbc:mysql://h/db"}}, db); err == nil {
		t.Error("empty mode accepted")
	}
	s, err := NewSource(SourceConfig{Mode: ModeBulk, Conn: ConnConfig{URL: "jdbc:mysql://h/shop"}}, db)
	if err != nil {
		t.Fatal(err)
	}
	if s.dbName != "shop" || s.cfg.BatchMaxRows != DefaultBatchMaxRows || s.cfg.Types.Unsigned != UnsignedLong {
		t.Errorf("defaults not applied: %+v", s.cfg)
	}
}
