package binlog

import (
	"database/sql"
	"fmt"
	"testing"
)

// TestColumnDefaults checks how information_schema's COLUMN_DEFAULT
// becomes the schema's default, as Debezium's MariaDB connector 3.5 writes
// it (TestDebeziumDifferential compares the same against Debezium itself).
func TestColumnDefaults(t *testing.T) {
	adaptive := mustConfig(t, nil)
	connectMode := mustConfig(t, map[string]string{"time.precision.mode": "connect", "bigint.unsigned.handling.mode": "precise"})
	null := sql.NullString{}
	lit := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	cases := []struct {
		name    string
		cfg     *Config
		col     column
		def     sql.NullString
		extra   string
		mariadb bool
		want    string // fmt.Sprint of the default; "<nil>" for none
	}{
		{"no default", adaptive, column{DataType: "int", Type: "int"}, null, "", true, "<nil>"},
		{"mariadb NULL", adaptive, column{DataType: "int", Type: "int", Nullable: true}, lit("NULL"), "", true, "<nil>"},
		{"mariadb number", adaptive, column{DataType: "int", Type: "int"}, lit("-7"), "", true, "-7"},
		{"mariadb quoted string with doubled quote", adaptive, column{DataType: "varchar", Type: "varchar(5)"}, lit("'it''s'"), "", true, "it's"},
		{"mysql string", adaptive, column{DataType: "varchar", Type: "varchar(5)"}, lit("abc"), "", false, "abc"},
		{"mysql expression", adaptive, column{DataType: "varchar", Type: "varchar(5)"}, lit("uuid()"), "default_generated", false, "<nil>"},
		{"mariadb expression", adaptive, column{DataType: "varchar", Type: "varchar(36)"}, lit("uuid()"), "", true, "<nil>"},
		{"unsigned int", adaptive, column{DataType: "int", Type: "int unsigned", Unsigned: true}, lit("4000000000"), "", true, "4000000000"},
		{"bigint unsigned above int64 saturates in long mode", adaptive, column{DataType: "bigint", Type: "bigint unsigned", Unsigned: true},
			lit("18446744073709551615"), "", true, "9223372036854775807"},
		{"bigint unsigned precise", connectMode, column{DataType: "bigint", Type: "bigint unsigned", Unsigned: true},
			lit("18446744073709551615"), "", true, "18446744073709551615"},
		{"float", adaptive, column{DataType: "float", Type: "float"}, lit("1.25"), "", true, "1.25"},
		{"decimal", adaptive, column{DataType: "decimal", Type: "decimal(8,3)", Precision: 8, Scale: 3}, lit("12.500"), "", true, "12.500"},
		{"bit(1)", adaptive, column{DataType: "bit", Type: "bit(1)", Precision: 1}, lit("b'1'"), "", true, "true"},
		{"enum", adaptive, column{DataType: "enum", Type: "enum('a','b')"}, lit("'b'"), "", true, "b"},
		{"set", adaptive, column{DataType: "set", Type: "set('x','y','z')"}, lit("'x,z'"), "", true, "x,z"},
		{"date", adaptive, column{DataType: "date", Type: "date"}, lit("'2020-02-29'"), "", true, "18321"},
		{"datetime current_timestamp is the epoch", adaptive, column{DataType: "datetime", Type: "datetime", Nullable: true},
			lit("current_timestamp()"), "", true, "0"},
		{"timestamp not null current_timestamp is the epoch", adaptive, column{DataType: "timestamp", Type: "timestamp"},
			lit("current_timestamp()"), "", true, "1970-01-01T00:00:00Z"},
		{"nullable timestamp current_timestamp has none", adaptive, column{DataType: "timestamp", Type: "timestamp(3)", FSP: 3, Nullable: true},
			lit("current_timestamp(3)"), "", true, "<nil>"},
		{"negative time in connect mode has none", connectMode, column{DataType: "time", Type: "time"}, lit("'-01:00:00'"), "", true, "<nil>"},
		{"time adaptive", adaptive, column{DataType: "time", Type: "time"}, lit("'-01:00:00'"), "", true, "-3600000000"},
		{"unreadable literal has none", adaptive, column{DataType: "int", Type: "int"}, lit("'x'"), "", true, "<nil>"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.col
			c.Default = columnDefault(&c, tc.def, tc.extra, tc.mariadb)
			s, _, err := columnSchema(tc.cfg, &c)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(s.Default)
			if d, ok := s.Default.(interface{ String() string }); ok {
				got = d.String()
			}
			if got != tc.want {
				t.Errorf("default = %s (%T), want %s", got, s.Default, tc.want)
			}
		})
	}
}
