package mysql

import (
	"strconv"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

func TestBuildInsert(t *testing.T) {
	tests := []struct {
		name  string
		cols  []string
		nkeys int
		nrows int
		kind  insertKind
		style upsertStyle
		want  string
	}{
		{"insert one row", []string{"id", "name"}, 1, 1, insertPlain, upsertRowAlias,
			"INSERT INTO `t` (`id`,`name`) VALUES (?,?)"},
		{"insert three rows", []string{"id", "name"}, 1, 3, insertPlain, upsertRowAlias,
			"INSERT INTO `t` (`id`,`name`) VALUES (?,?),(?,?),(?,?)"},
		// The first assignment is the key guard: it keeps the key when the
		// matched row has the record's key and fails the statement with
		// ER_SUBQUERY_NO_1_ROW when the row was matched on another unique key.
		{"upsert mysql row alias", []string{"id", "a", "b"}, 1, 2, insertUpsert, upsertRowAlias,
			"INSERT INTO `t` (`id`,`a`,`b`) VALUES (?,?,?),(?,?,?) AS new ON DUPLICATE KEY UPDATE " +
				"`id`=IF(`t`.`id`<=>new.`id`,`t`.`id`,(SELECT 1 UNION ALL SELECT 2)),`a`=new.`a`,`b`=new.`b`"},
		{"upsert mariadb values()", []string{"id", "a", "b"}, 1, 2, insertUpsert, upsertValuesFunc,
			"INSERT INTO `t` (`id`,`a`,`b`) VALUES (?,?,?),(?,?,?) ON DUPLICATE KEY UPDATE " +
				"`id`=IF(`t`.`id`<=>VALUES(`id`),`t`.`id`,(SELECT 1 UNION ALL SELECT 2)),`a`=VALUES(`a`),`b`=VALUES(`b`)"},
		{"upsert composite key mysql row alias", []string{"k1", "k2", "v"}, 2, 1, insertUpsert, upsertRowAlias,
			"INSERT INTO `t` (`k1`,`k2`,`v`) VALUES (?,?,?) AS new ON DUPLICATE KEY UPDATE " +
				"`k1`=IF(`t`.`k1`<=>new.`k1` AND `t`.`k2`<=>new.`k2`,`t`.`k1`,(SELECT 1 UNION ALL SELECT 2)),`v`=new.`v`"},
		{"upsert composite key mariadb", []string{"k1", "k2", "v"}, 2, 1, insertUpsert, upsertValuesFunc,
			"INSERT INTO `t` (`k1`,`k2`,`v`) VALUES (?,?,?) ON DUPLICATE KEY UPDATE " +
				"`k1`=IF(`t`.`k1`<=>VALUES(`k1`) AND `t`.`k2`<=>VALUES(`k2`),`t`.`k1`,(SELECT 1 UNION ALL SELECT 2)),`v`=VALUES(`v`)"},
		{"upsert key columns only", []string{"k1", "k2"}, 2, 1, insertUpsert, upsertValuesFunc,
			"INSERT INTO `t` (`k1`,`k2`) VALUES (?,?) ON DUPLICATE KEY UPDATE " +
				"`k1`=IF(`t`.`k1`<=>VALUES(`k1`) AND `t`.`k2`<=>VALUES(`k2`),`t`.`k1`,(SELECT 1 UNION ALL SELECT 2))"},
		{"kafka insert keeps existing, mysql row alias", []string{"__connect_topic", "__connect_partition", "__connect_offset", "v"}, 3, 1, insertKeepExisting, upsertRowAlias,
			"INSERT INTO `t` (`__connect_topic`,`__connect_partition`,`__connect_offset`,`v`) VALUES (?,?,?,?) AS new ON DUPLICATE KEY UPDATE " +
				"`__connect_topic`=IF(`t`.`__connect_topic`<=>new.`__connect_topic` AND `t`.`__connect_partition`<=>new.`__connect_partition` AND " +
				"`t`.`__connect_offset`<=>new.`__connect_offset`,`t`.`__connect_topic`,(SELECT 1 UNION ALL SELECT 2))"},
		{"kafka insert keeps existing, mariadb", []string{"a", "b", "c", "v"}, 3, 1, insertKeepExisting, upsertValuesFunc,
			"INSERT INTO `t` (`a`,`b`,`c`,`v`) VALUES (?,?,?,?) ON DUPLICATE KEY UPDATE " +
				"`a`=IF(`t`.`a`<=>VALUES(`a`) AND `t`.`b`<=>VALUES(`b`) AND `t`.`c`<=>VALUES(`c`),`t`.`a`,(SELECT 1 UNION ALL SELECT 2))"},
		{"back-quote in column is doubled", []string{"i`d"}, 1, 1, insertPlain, upsertRowAlias,
			"INSERT INTO `t` (`i``d`) VALUES (?)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := buildInsert("`t`", tc.cols, tc.nkeys, tc.nrows, tc.kind, tc.style)
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	t.Run("db-qualified table qualifies the existing row", func(t *testing.T) {
		got := buildInsert("`db`.`users`", []string{"id", "email"}, 1, 1, insertUpsert, upsertRowAlias)
		want := "INSERT INTO `db`.`users` (`id`,`email`) VALUES (?,?) AS new ON DUPLICATE KEY UPDATE " +
			"`id`=IF(`db`.`users`.`id`<=>new.`id`,`db`.`users`.`id`,(SELECT 1 UNION ALL SELECT 2)),`email`=new.`email`"
		if got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	})
}

func TestDuplicateKeyName(t *testing.T) {
	tests := []struct {
		name, msg, table, want string
	}{
		{"mariadb", "Duplicate entry 'a@x' for key 'email'", "users", "email"},
		{"mysql 8 prefixes the table", "Duplicate entry 'a@x' for key 'users.email'", "users", "email"},
		{"mysql 8, table case differs", "Duplicate entry 'a@x' for key 'Users.uk_email'", "users", "uk_email"},
		{"db-qualified table", "Duplicate entry '1-2' for key 'orders.uk_ab'", "shop.orders", "uk_ab"},
		{"value holds the marker", "Duplicate entry 'x' for key 'y' for key 'PRIMARY'", "t", "PRIMARY"},
		{"other table prefix kept", "Duplicate entry '1' for key 'other.k'", "t", "other.k"},
		{"not a duplicate entry message", "Subquery returns more than 1 row", "t", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := duplicateKeyName(tc.msg, tc.table); got != tc.want {
				t.Errorf("duplicateKeyName(%q, %q) = %q, want %q", tc.msg, tc.table, got, tc.want)
			}
		})
	}
}

func TestStrictMode(t *testing.T) {
	tests := []struct {
		mode string
		want bool
	}{
		{SinkSQLMode, true},
		{"STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION", true},
		{"STRICT_ALL_TABLES", true},
		{"", false},
		{"NO_ENGINE_SUBSTITUTION", false},
		{"ANSI_QUOTES,NO_STRICT_TRANS_TABLES_LOOKALIKE", false},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			if got := strictMode(tc.mode); got != tc.want {
				t.Errorf("strictMode(%q) = %v, want %v", tc.mode, got, tc.want)
			}
		})
	}
}

func TestBuildUpdateDelete(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"update one key", buildUpdate("`db`.`t`", []string{"id", "a", "b"}, 1),
			"UPDATE `db`.`t` SET `a`=?,`b`=? WHERE `id`=?"},
		{"update composite key", buildUpdate("`t`", []string{"k1", "k2", "v"}, 2),
			"UPDATE `t` SET `v`=? WHERE `k1`=? AND `k2`=?"},
		{"delete single key", buildDelete("`t`", []string{"id"}, 3),
			"DELETE FROM `t` WHERE `id` IN (?,?,?)"},
		{"delete composite key", buildDelete("`t`", []string{"a", "b"}, 2),
			"DELETE FROM `t` WHERE (`a`,`b`) IN ((?,?),(?,?))"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got  %s\nwant %s", tc.got, tc.want)
			}
		})
	}
}

func TestUpsertStyleFor(t *testing.T) {
	tests := []struct {
		version string
		want    upsertStyle
	}{
		{"11.8.3-MariaDB-0+deb13u1 from Debian", upsertValuesFunc},
		{"10.6.18-MariaDB", upsertValuesFunc},
		{"5.5.5-10.11.6-MariaDB-log", upsertValuesFunc},
		{"8.0.18", upsertValuesFunc},
		{"8.0.19", upsertRowAlias},
		{"8.0.36-0ubuntu0.22.04.1", upsertRowAlias},
		{"8.4.2", upsertRowAlias},
		{"9.1.0", upsertRowAlias},
		{"5.7.44-log", upsertValuesFunc},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			if got := upsertStyleFor(tc.version); got != tc.want {
				t.Errorf("upsertStyleFor(%q) = %v, want %v", tc.version, got, tc.want)
			}
		})
	}
}

func TestRowsPerStatement(t *testing.T) {
	tests := []struct {
		name             string
		ncols, batchSize int
		want             int
	}{
		{"batch size bound", 3, 3000, 3000},
		{"placeholder bound", 40, 3000, 1638}, // 40*1638 = 65520 <= 65535
		{"one column", 1, 100000, 65535},
		{"huge row", 70000, 3000, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := rowsPerStatement(tc.ncols, tc.batchSize)
			if got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
			if got > 1 && got*tc.ncols > maxPlaceholders {
				t.Errorf("%d rows x %d cols exceeds %d placeholders", got, tc.ncols, maxPlaceholders)
			}
		})
	}
}

func TestBuildCreateTable(t *testing.T) {
	def7 := connect.Primitive(connect.Int32)
	def7.Default = int32(7)
	def7.Optional = true
	cols := []sinkColumn{
		{"id", connect.Primitive(connect.String), true},
		{"i8", connect.Primitive(connect.Int8), false},
		{"i16", connect.Primitive(connect.Int16).Optionally(), false},
		{"i32", def7, false},
		{"i64", connect.Primitive(connect.Int64), false},
		{"f32", connect.Primitive(connect.Float32), false},
		{"f64", connect.Primitive(connect.Float64), false},
		{"ok", connect.Primitive(connect.Boolean), false},
		{"s", connect.Primitive(connect.String).Optionally(), false},
		{"b", connect.Primitive(connect.Bytes).Optionally(), false},
		{"amount", connect.DecimalSchema(2, 10), false},
		{"big", connect.DecimalSchema(4, 0), false},
		{"d", connect.DateSchema(), false},
		{"tm", connect.TimeSchema(), false},
		{"ts", connect.TimestampSchema().Optionally(), false},
	}
	got, err := buildCreateTable("`t`", cols)
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE TABLE IF NOT EXISTS `t` (`id` VARCHAR(256) NOT NULL, `i8` TINYINT NOT NULL, `i16` SMALLINT NULL, " +
		"`i32` INT NULL DEFAULT 7, `i64` BIGINT NOT NULL, `f32` FLOAT NOT NULL, `f64` DOUBLE NOT NULL, `ok` TINYINT(1) NOT NULL, " +
		"`s` TEXT NULL, `b` BLOB NULL, `amount` DECIMAL(10,2) NOT NULL, `big` DECIMAL(65,4) NOT NULL, `d` DATE NOT NULL, " +
		"`tm` TIME(3) NOT NULL, `ts` DATETIME(3) NULL, PRIMARY KEY (`id`))"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}

	t.Run("no keys no primary key", func(t *testing.T) {
		got, err := buildCreateTable("`t`", []sinkColumn{{"v", connect.Primitive(connect.Bytes), false}})
		if err != nil || got != "CREATE TABLE IF NOT EXISTS `t` (`v` BLOB NOT NULL)" {
			t.Errorf("got %q, %v", got, err)
		}
	})
	t.Run("bytes key is varbinary", func(t *testing.T) {
		got, err := buildCreateTable("`t`", []sinkColumn{{"k", connect.Primitive(connect.Bytes), true}})
		if err != nil || got != "CREATE TABLE IF NOT EXISTS `t` (`k` VARBINARY(1024) NOT NULL, PRIMARY KEY (`k`))" {
			t.Errorf("got %q, %v", got, err)
		}
	})
	t.Run("schemaless column is an error", func(t *testing.T) {
		_, err := buildCreateTable("`t`", []sinkColumn{{"v", nil, false}})
		if err == nil || !strings.Contains(err.Error(), "schema") {
			t.Errorf("got %v, want an error about the missing schema", err)
		}
	})
	t.Run("struct field is an error", func(t *testing.T) {
		_, err := buildCreateTable("`t`", []sinkColumn{{"v", connect.NewStructSchema("x"), false}})
		if err == nil {
			t.Error("want error for struct column")
		}
	})
}

func TestBuildAddColumn(t *testing.T) {
	withDefault := connect.Primitive(connect.Int64)
	withDefault.Default = int64(-3)
	tests := []struct {
		name    string
		col     sinkColumn
		want    string
		wantErr string
	}{
		{"optional", sinkColumn{"note", connect.Primitive(connect.String).Optionally(), false},
			"ALTER TABLE `t` ADD COLUMN `note` TEXT NULL", ""},
		{"required with default", sinkColumn{"n", withDefault, false},
			"ALTER TABLE `t` ADD COLUMN `n` BIGINT NOT NULL DEFAULT -3", ""},
		{"required without default", sinkColumn{"n", connect.Primitive(connect.Int64), false},
			"", "not optional and has no default"},
		{"key column", sinkColumn{"k", connect.Primitive(connect.Int64), true},
			"", "primary key"},
		{"schemaless", sinkColumn{"x", nil, false}, "", "schema"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := buildAddColumn("`t`", tc.col)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func BenchmarkBuildInsert(b *testing.B) {
	cols := []string{"id", "name", "email", "amount", "created_at", "updated_at", "status", "note"}
	for _, rows := range []int{1, 100, 3000} {
		b.Run("rows="+strconv.Itoa(rows), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = buildInsert("`db`.`orders`", cols, 1, rows, insertUpsert, upsertRowAlias)
			}
		})
	}
}

func TestStatementRows(t *testing.T) {
	rows := func(n, bytes int) []sinkRow {
		out := make([]sinkRow, n)
		for i := range out {
			out[i].bytes = bytes
		}
		return out
	}
	tests := []struct {
		name             string
		run              []sinkRow
		ncols, batchSize int
		want             int
	}{
		// 196,608 / 200 = 983, rounded down to three significant bits.
		{name: "200-byte rows", run: rows(4490, 200), ncols: 6, batchSize: 3000, want: 896},
		{name: "1 KB rows", run: rows(2434, 1050), ncols: 6, batchSize: 3000, want: 160},
		{name: "batch.size is lower", run: rows(4490, 200), ncols: 6, batchSize: 100, want: 100},
		{name: "the placeholder limit is lower", run: rows(100000, 2), ncols: 40, batchSize: 1_000_000, want: 65535 / 40},
		{name: "rows over the target", run: rows(3, 1<<20), ncols: 6, batchSize: 3000, want: 1},
		{name: "a few small", run: rows(2, 30_000), ncols: 6, batchSize: 3000, want: 6},
		{name: "average of mixed rows", run: append(rows(10, 100), rows(10, 300)...), ncols: 6, batchSize: 3000, want: 896},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statementRows(tt.run, tt.ncols, tt.batchSize)
			if got != tt.want {
				t.Fatalf("statementRows = %d, want %d", got, tt.want)
			}
		})
	}
}
