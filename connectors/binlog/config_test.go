package binlog

import (
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

func baseProps() map[string]string {
	return map[string]string{
		"connector.class": MySQLClass, "database.hostname": "db.example", "database.user": "cdc",
		"database.password": "pw", "database.server.id": "5401", "topic.prefix": "shop",
		"snapshot.mode": "no_data", "include.schema.changes": "false",
	}
}

func with(extra map[string]string, drop ...string) map[string]string {
	p := baseProps()
	for k, v := range extra {
		p[k] = v
	}
	for _, k := range drop {
		delete(p, k)
	}
	return p
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig(baseProps())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Class != MySQLClass || cfg.Port != 3306 || cfg.ServerID != 5401 || cfg.TopicPrefix != "shop" ||
		cfg.SnapshotMode != SnapshotNoData || !cfg.TombstonesOnDelete || cfg.DecimalMode != DecimalPrecise ||
		cfg.TimeMode != TimeAdaptiveMicros || cfg.UnsignedMode != UnsignedLong || cfg.MaxBatchSize != DefaultMaxBatchSize || cfg.ChunkSize != DefaultChunkSize ||
		cfg.Password.Value() != "pw" || cfg.connectorName() != "mysql" {
		t.Fatalf("defaults: %+v", cfg)
	}
	m, err := ParseConfig(with(map[string]string{"connector.class": MariaDBClass, "snapshot.mode": "never",
		"tombstones.on.delete": "false", "decimal.handling.mode": "string", "time.precision.mode": "connect",
		"bigint.unsigned.handling.mode": "precise", "database.port": "3307", "max.batch.size": "10", "incremental.snapshot.chunk.size": "7"}))
	if err != nil {
		t.Fatal(err)
	}
	if m.connectorName() != "mariadb" || m.SnapshotMode != SnapshotNever || m.TombstonesOnDelete || m.DecimalMode != DecimalString ||
		m.TimeMode != TimeConnect || m.UnsignedMode != UnsignedPrecise || m.Port != 3307 || m.MaxBatchSize != 10 || m.ChunkSize != 7 {
		t.Fatalf("explicit values: %+v", m)
	}
}

func TestParseConfigErrors(t *testing.T) {
	cases := []struct {
		name  string
		props map[string]string
		want  []string
	}{
		{"snapshot.mode unset", with(nil, "snapshot.mode"), []string{`"snapshot.mode"`, "required", "initial or when_needed (MariaDB), no_data or never"}},
		{"snapshot.mode initial_only", with(map[string]string{"snapshot.mode": "initial_only"}), []string{`"snapshot.mode"`, `"initial_only"`, "not yet supported"}},
		{"snapshot.mode always", with(map[string]string{"snapshot.mode": "always"}), []string{"always", "not yet supported; supported: initial, when_needed, no_data, never"}},
		{"snapshot.mode unknown", with(map[string]string{"snapshot.mode": "sometimes"}), []string{"sometimes", "unknown; supported: initial, when_needed, no_data, never"}},
		{"signal table not db.table", with(map[string]string{"signal.data.collection": "signals"}), []string{`"signal.data.collection"`, `"signals"`}},
		{"schema changes not a boolean", with(map[string]string{"include.schema.changes": "maybe"}), []string{`"include.schema.changes"`, `"maybe"`}},
		{"decimal mode", with(map[string]string{"decimal.handling.mode": "exact"}), []string{`"decimal.handling.mode"`, "precise, string, double"}},
		{"time mode", with(map[string]string{"time.precision.mode": "adaptive"}), []string{`"time.precision.mode"`, "adaptive_time_microseconds, connect"}},
		{"unsigned mode", with(map[string]string{"bigint.unsigned.handling.mode": "string"}), []string{`"bigint.unsigned.handling.mode"`, "long, precise"}},
		{"server id zero", with(map[string]string{"database.server.id": "0"}), []string{`"database.server.id"`}},
		{"server id missing", with(nil, "database.server.id"), []string{`"database.server.id"`, "missing"}},
		{"hostname missing", with(nil, "database.hostname"), []string{`"database.hostname"`}},
		{"port out of range", with(map[string]string{"database.port": "70000"}), []string{`"database.port"`}},
		{"bad topic prefix", with(map[string]string{"topic.prefix": "a b"}), []string{`"topic.prefix"`}},
		{"database include and exclude", with(map[string]string{"database.include.list": "a", "database.exclude.list": "b"}), []string{`"database.exclude.list"`, "not both"}},
		{"table include and exclude", with(map[string]string{"table.include.list": "a.t", "table.exclude.list": "b.t"}), []string{`"table.exclude.list"`, "not both"}},
		{"bad regex", with(map[string]string{"column.exclude.list": "db.t.(x"}), []string{`"column.exclude.list"`, "not a regular expression"}},
		{"wrong class", with(map[string]string{"connector.class": mysql.SourceClass}), []string{`"connector.class"`, MySQLClass}},
		{"several keys at once", with(map[string]string{"snapshot.mode": "always", "decimal.handling.mode": "exact", "database.port": "0"}),
			[]string{"snapshot.mode", "decimal.handling.mode", "database.port"}},
		{"several rules at once", with(map[string]string{"table.include.list": "a.t", "table.exclude.list": "b.t"}, "snapshot.mode"),
			[]string{"snapshot.mode", "table.exclude.list"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseConfig(c.props)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// TestConfigDefRefusesOtherDebeziumKeys parses through the framework as the
// source-poller does: a Debezium key this connector does not implement is
// refused by name.
// TestConfigFromFrameworkValues: the typed config is filled from the
// values of the framework's parse (as the functions parse), every key
// landing in its field, the class in canonical form.
func TestConfigFromFrameworkValues(t *testing.T) {
	vals, _, err := config.ParseConnector(with(map[string]string{"name": "cdc", "bootstrap.servers": "127.0.0.1:9092",
		"connector.class": MariaDBClass, "database.port": "3307", "database.server.id": "4294967295", "snapshot.mode": "when_needed",
		"include.schema.changes": "true", "tombstones.on.delete": "false", "decimal.handling.mode": "double",
		"time.precision.mode": "connect", "bigint.unsigned.handling.mode": "precise", "max.batch.size": "9",
		"incremental.snapshot.chunk.size": "8", "signal.data.collection": "ops.signals",
		"database.include.list": "shop", "table.include.list": "shop\\.orders,shop\\.items", "column.exclude.list": "shop.orders.secret"}), ConfigDef())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromValues(vals)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Class != MariaDBClass || cfg.Host != "db.example" || cfg.Port != 3307 || cfg.User != "cdc" || cfg.Password.Value() != "pw" ||
		cfg.ServerID != 4294967295 || cfg.TopicPrefix != "shop" || cfg.SnapshotMode != SnapshotWhenNeeded || !cfg.IncludeSchemaChanges ||
		cfg.TombstonesOnDelete || cfg.DecimalMode != DecimalDouble || cfg.TimeMode != TimeConnect || cfg.UnsignedMode != UnsignedPrecise ||
		cfg.MaxBatchSize != 9 || cfg.ChunkSize != 8 || cfg.SignalTable != "ops.signals" ||
		len(cfg.DatabaseInclude) != 1 || len(cfg.TableInclude) != 2 || len(cfg.ColumnExclude) != 1 {
		t.Fatalf("config: %+v", cfg)
	}
	if !cfg.CapturesTable("shop", "items") || cfg.CapturesTable("shop", "orders2") || !cfg.excludesColumn("shop", "orders", "secret") {
		t.Errorf("filters: %+v", cfg)
	}
	if _, err := ConfigFromValues(config.Values{}); err == nil {
		t.Error("ConfigFromValues accepted values not parsed with ConfigDef")
	}
}

func TestConfigDefRefusesOtherDebeziumKeys(t *testing.T) {
	props := with(map[string]string{"name": "cdc", "bootstrap.servers": "127.0.0.1:9092"})
	if _, _, err := config.ParseConnector(props, ConfigDef()); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	for _, key := range []string{"read.only", "binary.handling.mode", "database.ssl.mode", "provide.transaction.metadata"} {
		p := with(map[string]string{"name": "cdc", "bootstrap.servers": "127.0.0.1:9092", key: "x"})
		_, _, err := config.ParseConnector(p, ConfigDef())
		if err == nil || !strings.Contains(err.Error(), `"`+key+`"`) {
			t.Errorf("%s: err = %v; want it refused by name", key, err)
		}
	}
	vals, _, err := config.ParseConnector(with(map[string]string{"name": "cdc", "bootstrap.servers": "127.0.0.1:9092", "snapshot.mode": "always"}), ConfigDef())
	if err == nil || !strings.Contains(err.Error(), "not yet supported") {
		t.Fatalf("framework parse with snapshot.mode=always: %v %v", vals, err)
	}
}

func TestFilters(t *testing.T) {
	cfg, err := ParseConfig(with(map[string]string{"database.include.list": "shop,crm_.*", "table.exclude.list": `shop\.audit_.*`,
		"column.exclude.list": `shop\.users\.password`}))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		db, table string
		want      bool
	}{
		{"shop", "orders", true},
		{"SHOP", "orders", true}, // Debezium matches case-insensitively
		{"crm_eu", "leads", true},
		{"shopping", "orders", false}, // whole-name match
		{"shop", "audit_log", false},
		{"mysql", "user", false},
		{"other", "t", false},
	}
	for _, c := range cases {
		if got := cfg.CapturesTable(c.db, c.table); got != c.want {
			t.Errorf("CapturesTable(%s, %s) = %v, want %v", c.db, c.table, got, c.want)
		}
	}
	if !cfg.excludesColumn("shop", "users", "password") || cfg.excludesColumn("shop", "users", "password2") {
		t.Error("column.exclude.list match")
	}
	all, _ := ParseConfig(baseProps())
	if !all.CapturesTable("any", "t") || all.CapturesTable("information_schema", "tables") {
		t.Error("default filter: everything but the system databases")
	}
}
