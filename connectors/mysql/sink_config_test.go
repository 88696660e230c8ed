package mysql

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

func TestParseSinkConfig(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"connection.url": "jdbc:mysql://127.0.0.1:3306/shop", "topics": "orders"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	t.Run("defaults", func(t *testing.T) {
		cfg, err := ParseSinkConfig(base())
		if err != nil {
			t.Fatal(err)
		}
		if cfg.InsertMode != InsertModeInsert || cfg.PKMode != PKModeNone || cfg.BatchSize != 3000 ||
			cfg.TableNameFormat != "${topic}" || cfg.DeleteEnabled || cfg.AutoCreate || cfg.AutoEvolve {
			t.Errorf("unexpected defaults: %+v", cfg)
		}
		if !reflect.DeepEqual(cfg.Topics, []string{"orders"}) {
			t.Errorf("topics = %v", cfg.Topics)
		}
	})
	t.Run("full", func(t *testing.T) {
		cfg, err := ParseSinkConfig(base("insert.mode", "UPSERT", "pk.mode", "record_key", "pk.fields", "id, region",
			"delete.enabled", "true", "auto.create", "true", "auto.evolve", "false", "batch.size", "500",
			"table.name.format", "kafka_${topic}", "fields.whitelist", "a,b", "db.timezone", "Europe/Berlin",
			"retry.backoff.ms", "100", "max.retries", "2"))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.InsertMode != InsertModeUpsert || cfg.PKMode != PKModeRecordKey || !cfg.DeleteEnabled || !cfg.AutoCreate ||
			cfg.BatchSize != 500 || cfg.RetryBackoff != 100*time.Millisecond || cfg.MaxRetries != 2 ||
			!reflect.DeepEqual(cfg.PKFields, []string{"id", "region"}) || !reflect.DeepEqual(cfg.FieldsWhitelist, []string{"a", "b"}) ||
			cfg.Conn.Timezone.String() != "Europe/Berlin" {
			t.Errorf("unexpected: %+v", cfg)
		}
		if name, err := cfg.tableName("orders"); err != nil || name != "kafka_orders" {
			t.Errorf("tableName = %q, %v", name, err)
		}
	})
	t.Run("kafka default pk fields", func(t *testing.T) {
		cfg, err := ParseSinkConfig(base("pk.mode", "kafka", "insert.mode", "upsert"))
		if err != nil || !reflect.DeepEqual(cfg.PKFields, defaultKafkaPKFields) {
			t.Errorf("got %v, %v", cfg.PKFields, err)
		}
	})

	bad := []struct {
		name  string
		props map[string]string
		want  []string // every one must appear in the joined error
	}{
		{"missing url", map[string]string{}, []string{`"connection.url": required`}},
		{"bad enums joined", base("insert.mode", "merge", "pk.mode", "key"),
			[]string{`"merge" for config key "insert.mode"`, "insert, upsert, update", `"key" for config key "pk.mode"`, "none, kafka, record_key, record_value"}},
		{"bad bool and int", base("auto.create", "yes", "batch.size", "0"),
			[]string{`"yes" for config key "auto.create"`, "true, false", `"0" for config key "batch.size"`}},
		{"delete needs record_key", base("delete.enabled", "true", "pk.mode", "record_value"),
			[]string{"delete.enabled=true requires pk.mode=record_key"}},
		{"kafka needs 3 fields", base("pk.mode", "kafka", "pk.fields", "a,b"), []string{"exactly 3"}},
		{"upsert needs a key", base("insert.mode", "upsert"), []string{"requires a primary key"}},
		{"bad timezone", base("db.timezone", "Mars/Olympus"), []string{`"Mars/Olympus" for config key "db.timezone"`}},
		{"bad table name", base("table.name.format", "a.b.c"), []string{"table.name.format"}},
		{"sql_mode in the URL", base("connection.url", "u:p@tcp(127.0.0.1:3306)/shop?SQL_MODE=%27%27"),
			[]string{`config key "connection.url"`, "parameter SQL_MODE is not allowed", "STRICT_ALL_TABLES"}},
		{"bad pk field", base("pk.mode", "record_value", "pk.fields", "ok,"+strings.Repeat("x", 65)), []string{"longer than 64"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSinkConfig(tc.props)
			if err == nil {
				t.Fatal("want error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestTableNameFromTopic(t *testing.T) {
	cfg := SinkConfig{TableNameFormat: "${topic}"}
	if _, err := cfg.tableName("a.b.c"); err == nil {
		t.Error("topic with two dots should give an invalid table name")
	}
	if name, err := cfg.tableName("shop.orders"); err != nil || name != "shop.orders" {
		t.Errorf("got %q, %v", name, err)
	}
}

func TestSinkConfigDef(t *testing.T) {
	props := func(kv ...string) map[string]string {
		m := map[string]string{"name": "orders-sink", "connector.class": "io.slkc.connect.mysql.MySqlSinkConnector",
			"topics": "orders", "bootstrap.servers": "127.0.0.1:9092", "connection.url": "jdbc:mysql://db:3306/shop", "connection.password": "s3cret"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	vals, _, err := config.ParseConnector(props("insert.mode", "upsert", "pk.mode", "record_key", "delete.enabled", "true"), SinkConfigDef())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := SinkConfigFromValues(vals)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InsertMode != InsertModeUpsert || !cfg.DeleteEnabled || cfg.Conn.Password != "s3cret" || cfg.BatchSize != 3000 || cfg.Conn.Timezone.String() != "UTC" {
		t.Errorf("unexpected: %+v", cfg)
	}
	bad := []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"unknown key", props("pk.feilds", "id"), "pk.feilds"},
		{"bad enum", props("insert.mode", "merge"), "insert.mode"},
		{"cross-key check", props("delete.enabled", "true"), "requires pk.mode=record_key"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := config.ParseConnector(tc.props, SinkConfigDef())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want containing %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}
