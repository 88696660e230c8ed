package mysql

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

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
		{"missing url", map[string]string{}, []string{`"connection.url": missing required config key`}},
		{"bad enums joined", base("insert.mode", "merge", "pk.mode", "key"),
			[]string{`"merge" for config key "insert.mode"`, "insert, upsert, update", `"key" for config key "pk.mode"`, "none, kafka, record_key, record_value"}},
		{"bad bool and int", base("auto.create", "yes", "batch.size", "0"),
			[]string{`"yes" for config key "auto.create"`, "true or false", `"0" for config key "batch.size"`}},
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

// TestTableNameFromTopic: a table derived from a topic stays in the
// connection's database unless table.name.format names one, and hostile
// names are refused unless identifiers.permissive=true.
func TestTableNameFromTopic(t *testing.T) {
	tests := []struct {
		name       string
		format     string
		topic      string
		permissive bool
		want       string
		wantErr    string
	}{
		{name: "topic is the table", format: "${topic}", topic: "orders", want: "orders"},
		{name: "dotted topic does not pick a database", format: "${topic}", topic: "otherdb.users", wantErr: "would name a database other than the connection's"},
		{name: "dotted topic refused under a prefix too", format: "kafka_${topic}", topic: "otherdb.users", wantErr: "would name a database"},
		{name: "database named by the format", format: "shop.${topic}", topic: "orders", want: "shop.orders"},
		{name: "database named by the format, dotted topic", format: "shop.${topic}", topic: "a.b", wantErr: "would name a database"},
		{name: "fixed qualified name ignores the topic", format: "shop.orders", topic: "x.y", want: "shop.orders"},
		{name: "backquote in topic refused", format: "${topic}", topic: "a`b", wantErr: "backquote"},
		{name: "semicolon in topic refused", format: "${topic}", topic: "a;b", wantErr: "';'"},
		{name: "backquote allowed when permissive", format: "${topic}", topic: "a`b", permissive: true, want: "a`b"},
		{name: "permissive still keeps the database", format: "${topic}", topic: "otherdb.users", permissive: true, wantErr: "would name a database"},
	}
	// Every case runs without a cache and twice with one cache shared by
	// all cases (a miss, then a hit), so a name remembered for another
	// topic, format or identifiers.permissive is never given out.
	shared := &tableCache{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cache := range []*tableCache{nil, shared, shared} {
				cfg := SinkConfig{TableNameFormat: tt.format, PermissiveIdentifiers: tt.permissive, tables: cache}
				got, err := cfg.tableName(tt.topic)
				if tt.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("tableName(%q) = %q, %v; want error containing %q", tt.topic, got, err, tt.wantErr)
					}
					continue
				}
				if err != nil || got != tt.want {
					t.Fatalf("tableName(%q) = %q, %v; want %q", tt.topic, got, err, tt.want)
				}
			}
		})
	}
}

// TestTableNameCacheKeepsItsTopic changes the bytes of a topic string the
// cache saw: the cache holds its own copy, so the changed topic is a miss
// and gets its own name.
func TestTableNameCacheKeepsItsTopic(t *testing.T) {
	cfg, err := ParseSinkConfig(map[string]string{"connection.url": "jdbc:mysql://127.0.0.1:3306/shop", "table.name.format": "kafka_${topic}"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.tables == nil {
		t.Fatal("ParseSinkConfig built no table name cache")
	}
	buf := []byte("orders")
	if got, err := cfg.tableName(unsafe.String(&buf[0], len(buf))); err != nil || got != "kafka_orders" {
		t.Fatalf("tableName = %q, %v", got, err)
	}
	copy(buf, "ordert")
	if got, err := cfg.tableName("ordert"); err != nil || got != "kafka_ordert" {
		t.Fatalf("tableName after the topic's bytes changed = %q, %v; want kafka_ordert", got, err)
	}
}

// TestIdentifiersPermissiveKey: identifiers.permissive is read and governs
// config identifiers (pk.fields, fields.whitelist, table.name.format).
func TestIdentifiersPermissiveKey(t *testing.T) {
	base := map[string]string{SinkKeyConnectionURL: "jdbc:mysql://h:3306/db", SinkKeyPKMode: "record_value", SinkKeyPKFields: "a;b"}
	if _, err := ParseSinkConfig(base); err == nil || !strings.Contains(err.Error(), "pk.fields") || !strings.Contains(err.Error(), "identifiers.permissive") {
		t.Errorf("pk.fields a;b accepted by default or the error names neither key: %v", err)
	}
	base["identifiers.permissive"] = "true"
	cfg, err := ParseSinkConfig(base)
	if err != nil || !cfg.PermissiveIdentifiers {
		t.Errorf("with identifiers.permissive=true: %+v, %v; want accepted", cfg.PermissiveIdentifiers, err)
	}
	base[SinkKeyPKFields], base["identifiers.permissive"] = "id", "false"
	base[SinkKeyTableNameFormat] = "t`x"
	if _, err := ParseSinkConfig(base); err == nil || !strings.Contains(err.Error(), "table.name.format") {
		t.Errorf("table.name.format with a backquote accepted by default: %v", err)
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
