package mysql

import (
	"database/sql"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func TestMapColumn(t *testing.T) {
	none := TypeOptions{NumericMapping: NumericNone, Unsigned: UnsignedLong}
	micros := TypeOptions{NumericMapping: NumericNone, Unsigned: UnsignedLong, TimePrecision: TimeAdaptiveMicros}
	with := func(m NumericMapping) TypeOptions { return TypeOptions{NumericMapping: m, Unsigned: UnsignedLong} }
	tests := []struct {
		name   string
		col    Column
		opt    TypeOptions
		typ    connect.Type
		logic  string
		params map[string]string
	}{
		{"tinyint", Column{DataType: "tinyint"}, none, connect.Int8, "", nil},
		{"tinyint(4)", Column{DataType: "tinyint", ColumnType: "tinyint(4)"}, none, connect.Int8, "", nil},
		{"tinyint(1) is boolean", Column{DataType: "tinyint", ColumnType: "tinyint(1)"}, none, connect.Boolean, "", nil},
		{"tinyint(1) unsigned is boolean", Column{DataType: "tinyint", ColumnType: "tinyint(1) unsigned", Unsigned: true}, none, connect.Boolean, "", nil},
		{"tinyint unsigned", Column{DataType: "tinyint", Unsigned: true}, none, connect.Int16, "", nil},
		{"smallint", Column{DataType: "smallint"}, none, connect.Int16, "", nil},
		{"smallint unsigned", Column{DataType: "smallint", Unsigned: true}, none, connect.Int32, "", nil},
		{"mediumint unsigned", Column{DataType: "mediumint", Unsigned: true}, none, connect.Int32, "", nil},
		{"int", Column{DataType: "int"}, none, connect.Int32, "", nil},
		{"int unsigned", Column{DataType: "int", Unsigned: true}, none, connect.Int64, "", nil},
		{"bigint", Column{DataType: "bigint"}, none, connect.Int64, "", nil},
		{"bigint unsigned long", Column{DataType: "bigint", Unsigned: true}, none, connect.Int64, "", nil},
		{"bigint unsigned precise", Column{DataType: "bigint", Unsigned: true}, TypeOptions{NumericMapping: NumericNone, Unsigned: UnsignedPrecise},
			connect.Bytes, connect.DecimalName, map[string]string{"scale": "0", "connect.decimal.precision": "20"}},
		{"float", Column{DataType: "float"}, none, connect.Float32, "", nil},
		{"double", Column{DataType: "double"}, none, connect.Float64, "", nil},
		{"decimal none", Column{DataType: "decimal", Precision: 20, Scale: 4}, none,
			connect.Bytes, connect.DecimalName, map[string]string{"scale": "4", "connect.decimal.precision": "20"}},
		{"decimal precision_only int", Column{DataType: "decimal", Precision: 9, Scale: 0}, with(NumericPrecisionOnly), connect.Int32, "", nil},
		{"decimal precision_only p2", Column{DataType: "decimal", Precision: 2, Scale: 0}, with(NumericPrecisionOnly), connect.Int8, "", nil},
		{"decimal precision_only p4", Column{DataType: "decimal", Precision: 4, Scale: 0}, with(NumericPrecisionOnly), connect.Int16, "", nil},
		{"decimal precision_only p18", Column{DataType: "decimal", Precision: 18, Scale: 0}, with(NumericPrecisionOnly), connect.Int64, "", nil},
		{"decimal precision_only p19 stays decimal", Column{DataType: "decimal", Precision: 19, Scale: 0}, with(NumericPrecisionOnly),
			connect.Bytes, connect.DecimalName, map[string]string{"scale": "0", "connect.decimal.precision": "19"}},
		{"decimal precision_only scaled stays decimal", Column{DataType: "decimal", Precision: 10, Scale: 2}, with(NumericPrecisionOnly),
			connect.Bytes, connect.DecimalName, map[string]string{"scale": "2", "connect.decimal.precision": "10"}},
		{"decimal best_fit scaled", Column{DataType: "decimal", Precision: 10, Scale: 2}, with(NumericBestFit), connect.Float64, "", nil},
		{"decimal best_fit wide stays decimal", Column{DataType: "decimal", Precision: 30, Scale: 2}, with(NumericBestFit),
			connect.Bytes, connect.DecimalName, map[string]string{"scale": "2", "connect.decimal.precision": "30"}},
		{"decimal best_fit_eager_double wide", Column{DataType: "decimal", Precision: 30, Scale: 2}, with(NumericBestFitEagerDouble), connect.Float64, "", nil},
		{"decimal best_fit_eager_double wide int stays decimal", Column{DataType: "decimal", Precision: 30, Scale: 0}, with(NumericBestFitEagerDouble),
			connect.Bytes, connect.DecimalName, map[string]string{"scale": "0", "connect.decimal.precision": "30"}},
		{"bit(1)", Column{DataType: "bit", Precision: 1}, none, connect.Boolean, "", nil},
		{"bit(9)", Column{DataType: "bit", Precision: 9}, none, connect.Bytes, "", nil},
		{"varchar", Column{DataType: "varchar"}, none, connect.String, "", nil},
		{"longtext", Column{DataType: "longtext"}, none, connect.String, "", nil},
		{"enum", Column{DataType: "enum"}, none, connect.String, "", nil},
		{"set", Column{DataType: "set"}, none, connect.String, "", nil},
		{"json", Column{DataType: "json"}, none, connect.String, "", nil},
		{"varbinary", Column{DataType: "varbinary"}, none, connect.Bytes, "", nil},
		{"blob", Column{DataType: "blob"}, none, connect.Bytes, "", nil},
		{"date", Column{DataType: "date"}, none, connect.Int32, connect.DateName, nil},
		{"time", Column{DataType: "time"}, none, connect.Int32, connect.TimeName, nil},
		{"datetime(6)", Column{DataType: "datetime", DatetimePrecision: 6}, none, connect.Int64, connect.TimestampName, nil},
		{"datetime(6) micros", Column{DataType: "datetime", DatetimePrecision: 6}, micros, connect.Int64, connect.MicroTimestampName, nil},
		{"datetime(4) micros", Column{DataType: "datetime", DatetimePrecision: 4}, micros, connect.Int64, connect.MicroTimestampName, nil},
		{"datetime(3) micros stays Timestamp", Column{DataType: "datetime", DatetimePrecision: 3}, micros, connect.Int64, connect.TimestampName, nil},
		{"timestamp(6) micros", Column{DataType: "timestamp", DatetimePrecision: 6}, micros, connect.Int64, connect.MicroTimestampName, nil},
		{"time(0) micros", Column{DataType: "time"}, micros, connect.Int64, connect.MicroTimeName, nil},
		{"time(6) micros", Column{DataType: "time", DatetimePrecision: 6}, micros, connect.Int64, connect.MicroTimeName, nil},
		{"timestamp", Column{DataType: "timestamp"}, none, connect.Int64, connect.TimestampName, nil},
		{"year", Column{DataType: "year"}, none, connect.Int32, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, nullable := range []bool{false, true} {
				c := tc.col
				c.Name, c.Nullable = "c", nullable
				s, _, err := mapColumn("db.t", c, tc.opt)
				if err != nil {
					t.Fatal(err)
				}
				if s.Type != tc.typ || s.Name != tc.logic || s.Optional != nullable {
					t.Errorf("nullable=%v: got type %s name %q optional %v; want %s %q %v", nullable, s.Type, s.Name, s.Optional, tc.typ, tc.logic, nullable)
				}
				if tc.params != nil && !reflect.DeepEqual(s.Parameters, tc.params) {
					t.Errorf("parameters = %v, want %v", s.Parameters, tc.params)
				}
			}
		})
	}
}

func TestMapColumnUnknownTypeNamesTableAndColumn(t *testing.T) {
	_, _, err := mapColumn("shop.places", Column{Name: "location", DataType: "geometry", ColumnType: "point"}, TypeOptions{})
	if err == nil {
		t.Fatal("no error for geometry")
	}
	for _, want := range []string{"shop.places", "location", "point"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func dec(s string) connect.Decimal {
	d, err := connect.ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestConvert(t *testing.T) {
	utc := time.UTC
	paris, _ := time.LoadLocation("Europe/Paris")
	tests := []struct {
		name    string
		col     Column
		opt     TypeOptions
		raw     sql.RawBytes
		v       any
		want    any
		wantErr string
	}{
		{"tinyint", Column{DataType: "tinyint"}, TypeOptions{}, nil, int64(-128), int8(-128), ""},
		{"tinyint unsigned", Column{DataType: "tinyint", Unsigned: true}, TypeOptions{}, nil, int64(255), int16(255), ""},
		{"int overflow is an error", Column{DataType: "int"}, TypeOptions{}, nil, int64(1 << 40), nil, "does not fit int32"},
		{"int from text", Column{DataType: "int"}, TypeOptions{}, nil, []byte("-7"), int32(-7), ""},
		{"bigint unsigned long fits", Column{DataType: "bigint", Unsigned: true}, TypeOptions{Unsigned: UnsignedLong}, nil, uint64(9223372036854775807), int64(9223372036854775807), ""},
		{"bigint unsigned long overflow binary protocol", Column{DataType: "bigint", Unsigned: true}, TypeOptions{Unsigned: UnsignedLong}, nil, []byte("18446744073709551615"), nil, "18446744073709551615"},
		{"bigint unsigned long overflow text protocol", Column{DataType: "bigint", Unsigned: true}, TypeOptions{Unsigned: UnsignedLong}, nil, uint64(18446744073709551615), nil, "bigint.unsigned.handling.mode=precise"},
		{"bigint unsigned precise", Column{DataType: "bigint", Unsigned: true}, TypeOptions{Unsigned: UnsignedPrecise}, sql.RawBytes("18446744073709551615"), nil,
			connect.Decimal{Unscaled: new(big.Int).SetUint64(18446744073709551615), Scale: 0}, ""},
		{"float", Column{DataType: "float"}, TypeOptions{}, nil, float32(1.5), float32(1.5), ""},
		{"double", Column{DataType: "double"}, TypeOptions{}, nil, float64(-2.25), float64(-2.25), ""},
		{"decimal keeps scale", Column{DataType: "decimal", Precision: 20, Scale: 4}, TypeOptions{}, sql.RawBytes("-1234567890123456.7890"), nil, dec("-1234567890123456.7890"), ""},
		{"decimal 18 digits fast path", Column{DataType: "decimal", Precision: 18, Scale: 2}, TypeOptions{}, sql.RawBytes("-9999999999999999.99"), nil, dec("-9999999999999999.99"), ""},
		{"decimal 19 digits", Column{DataType: "decimal", Precision: 19, Scale: 0}, TypeOptions{}, sql.RawBytes("9999999999999999999"), nil, dec("9999999999999999999"), ""},
		{"decimal zero scale 0", Column{DataType: "decimal", Precision: 5, Scale: 0}, TypeOptions{}, sql.RawBytes("0"), nil, dec("0"), ""},
		{"decimal garbage", Column{DataType: "decimal", Precision: 5, Scale: 0}, TypeOptions{}, sql.RawBytes("1e5"), nil, nil, "not a decimal"},
		{"decimal rescaled up", Column{DataType: "decimal", Precision: 20, Scale: 4}, TypeOptions{}, sql.RawBytes("12"), nil, dec("12.0000"), ""},
		{"decimal too many places", Column{DataType: "decimal", Precision: 20, Scale: 1}, TypeOptions{}, sql.RawBytes("1.25"), nil, nil, "more than 1 decimal places"},
		{"decimal as int", Column{DataType: "decimal", Precision: 4}, TypeOptions{NumericMapping: NumericPrecisionOnly}, sql.RawBytes("-9999"), nil, int16(-9999), ""},
		{"decimal as double", Column{DataType: "decimal", Precision: 10, Scale: 2}, TypeOptions{NumericMapping: NumericBestFit}, sql.RawBytes("12.50"), nil, 12.5, ""},
		{"bit(1) true", Column{DataType: "bit", Precision: 1}, TypeOptions{}, sql.RawBytes{1}, nil, true, ""},
		{"bit(1) false", Column{DataType: "bit", Precision: 1}, TypeOptions{}, sql.RawBytes{0}, nil, false, ""},
		{"bit(10)", Column{DataType: "bit", Precision: 10}, TypeOptions{}, sql.RawBytes{2, 1}, nil, []byte{2, 1}, ""},
		{"utf8mb4", Column{DataType: "varchar"}, TypeOptions{}, sql.RawBytes("héllo 😀"), nil, "héllo 😀", ""},
		{"empty string is not null", Column{DataType: "varchar"}, TypeOptions{}, sql.RawBytes{}, nil, "", ""},
		{"null", Column{DataType: "varchar", Nullable: true}, TypeOptions{}, nil, nil, nil, ""},
		{"blob", Column{DataType: "blob"}, TypeOptions{}, sql.RawBytes{0, 255}, nil, []byte{0, 255}, ""},
		{"date", Column{DataType: "date"}, TypeOptions{}, nil, time.Date(2024, 2, 29, 0, 0, 0, 0, paris), time.Date(2024, 2, 29, 0, 0, 0, 0, utc), ""},
		{"datetime in zone", Column{DataType: "datetime"}, TypeOptions{}, nil, time.Date(2024, 7, 1, 12, 0, 0, 123456000, paris), time.Date(2024, 7, 1, 10, 0, 0, 123456000, utc), ""},
		{"zero datetime nullable", Column{DataType: "datetime", Nullable: true}, TypeOptions{}, nil, time.Time{}, nil, ""},
		{"zero datetime not null", Column{DataType: "datetime"}, TypeOptions{}, nil, time.Time{}, nil, "zero date"},
		{"datetime as text refused", Column{DataType: "datetime"}, TypeOptions{}, nil, []byte("2024-01-01 00:00:00"), nil, "parseTime"},
		{"time", Column{DataType: "time"}, TypeOptions{}, sql.RawBytes("23:59:59.999999"), nil, time.Date(1970, 1, 1, 23, 59, 59, 999999000, utc), ""},
		{"time negative", Column{DataType: "time"}, TypeOptions{}, sql.RawBytes("-01:00:00"), nil, nil, "negative"},
		{"time 24h", Column{DataType: "time"}, TypeOptions{}, sql.RawBytes("24:00:00"), nil, nil, "24 hours or more"},
		{"time 838h", Column{DataType: "time"}, TypeOptions{}, sql.RawBytes("838:59:59"), nil, nil, "24 hours or more"},
		{"year", Column{DataType: "year"}, TypeOptions{}, nil, int64(2024), int32(2024), ""},
		{"tinyint(1) 0", Column{DataType: "tinyint", ColumnType: "tinyint(1)"}, TypeOptions{}, nil, int64(0), false, ""},
		{"tinyint(1) 1", Column{DataType: "tinyint", ColumnType: "tinyint(1)"}, TypeOptions{}, nil, int64(1), true, ""},
		{"tinyint(1) -5 is true", Column{DataType: "tinyint", ColumnType: "tinyint(1)"}, TypeOptions{}, nil, []byte("-5"), true, ""},
		{"datetime(6) micros", Column{DataType: "datetime", DatetimePrecision: 6}, TypeOptions{TimePrecision: TimeAdaptiveMicros}, nil,
			time.Date(2024, 7, 1, 12, 0, 0, 123456000, paris), time.Date(2024, 7, 1, 10, 0, 0, 123456000, utc).UnixMicro(), ""},
		{"zero datetime(6) micros not null", Column{DataType: "datetime", DatetimePrecision: 6}, TypeOptions{TimePrecision: TimeAdaptiveMicros}, nil, time.Time{}, nil, "zero date"},
		{"time(6) micros", Column{DataType: "time", DatetimePrecision: 6}, TypeOptions{TimePrecision: TimeAdaptiveMicros}, sql.RawBytes("23:59:59.999999"), nil, int64(86399999999), ""},
		{"time micros negative", Column{DataType: "time"}, TypeOptions{TimePrecision: TimeAdaptiveMicros}, sql.RawBytes("-01:00:00.5"), nil, int64(-3600500000), ""},
		{"time micros 838h", Column{DataType: "time"}, TypeOptions{TimePrecision: TimeAdaptiveMicros}, sql.RawBytes("838:59:59"), nil, int64(3020399000000), ""},
	}
	var va valueArena // shared by every case, as by a page's rows
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.col
			c.Name = "col"
			s, k, err := mapColumn("db.t", c, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			cc := colCodec{table: "db.t", col: c, schema: s, kind: k}
			got, err := cc.convert(tc.raw, tc.v, &va)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), "db.t") || !strings.Contains(err.Error(), "col") {
					t.Errorf("error %q does not name table and column", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch w := tc.want.(type) {
			case connect.Decimal:
				g, ok := got.(connect.Decimal)
				if !ok || g.Scale != w.Scale || g.Unscaled.Cmp(w.Unscaled) != 0 {
					t.Errorf("got %#v, want %s", got, w)
				}
			case time.Time:
				g, ok := got.(time.Time)
				if !ok || !g.Equal(w) || g.Location() != time.UTC {
					t.Errorf("got %v, want %v (UTC)", got, w)
				}
			default:
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %#v, want %#v", got, tc.want)
				}
			}
		})
	}
}

func TestParseTimeOfDay(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"00:00:00", 0, false},
		{"-00:00:00", 0, false},
		{"12:34:56.5", 12*time.Hour + 34*time.Minute + 56*time.Second + 500*time.Millisecond, false},
		{"01:02:03.000001", time.Hour + 2*time.Minute + 3*time.Second + time.Microsecond, false},
		{"12:34", 0, true},
		{"xx:00:00", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseTimeOfDay(tc.in)
			if (err != nil) != tc.err || got != tc.want {
				t.Errorf("parseTimeOfDay(%q) = %v, %v", tc.in, got, err)
			}
		})
	}
}
