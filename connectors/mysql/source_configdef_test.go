package mysql

import (
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// TestSourceKeysDefaultInTheDef: every optional source key carries its
// default in its definition (what the reference shows and validate
// reports), as the typed config is filled from the parsed values only.
func TestSourceKeysDefaultInTheDef(t *testing.T) {
	noDefault := map[string]bool{"timestamp.initial": true} // absent means "from the beginning"
	for _, k := range SourceConfigDef().Keys() {
		if k.Required || k.Status == config.Refused || noDefault[k.Name] || k.Group == GroupJDBC && k.Default == nil {
			continue
		}
		if k.Default == nil {
			t.Errorf("%s has no Default in its definition", k.Name)
		}
	}
	k, _ := SourceConfigDef().Key("incrementing.gap.timeout.ms")
	if k.Default == nil || *k.Default != "30000" {
		t.Errorf("incrementing.gap.timeout.ms default = %v, want 30000", k.Default)
	}
}

func TestSourceConfigDefWithFramework(t *testing.T) {
	props := map[string]string{
		"name":                           "orders-source",
		"connector.class":                "io.confluent.connect.jdbc.JdbcSourceConnector",
		"connection.url":                 "jdbc:mysql://db:3306/shop",
		"connection.user":                "app",
		"connection.password":            "s3cret",
		"table.whitelist":                "orders,items",
		"mode":                           "timestamp+incrementing",
		"timestamp.column.name":          "updated_at",
		"incrementing.column.name":       "id",
		"timestamp.delay.interval.ms":    "1000",
		"batch.max.rows":                 "500",
		"topic.prefix":                   "shop-",
		"value.converter.schemas.enable": "false",
		"numeric.mapping":                "BEST_FIT",
		"bootstrap.servers":              "127.0.0.1:9092",
	}
	vals, _, err := config.ParseConnector(props, SourceConfigDef())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := SourceConfigFromValues(vals)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Conn.Password != "s3cret" || cfg.Conn.User != "app" || cfg.BatchMaxRows != 500 || cfg.TimestampDelay != time.Second ||
		cfg.Types.NumericMapping != NumericBestFit || len(cfg.Tables) != 2 || cfg.TopicPrefix != "shop-" || cfg.TimestampInitial != nil {
		t.Errorf("cfg = %+v", cfg)
	}

	tests := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"unknown key with suggestion", map[string]string{"table.whitelis": "x"}, []string{"table.whitelis", "did you mean", "table.whitelist"}},
		{"bad enum", map[string]string{"mode": "sometimes"}, []string{`"sometimes"`, "mode", "bulk"}},
		{"bad range", map[string]string{"batch.max.rows": "0"}, []string{"batch.max.rows", "at least 1"}},
		{"cross-key check", map[string]string{"query": "SELECT 1"}, []string{`key "query"`, "not both"}},
		{"password hidden", map[string]string{"query": "SELECT 1", "connection.password": "s3cret"}, []string{"query"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := map[string]string{}
			for k, v := range props {
				p[k] = v
			}
			for k, v := range tc.set {
				p[k] = v
			}
			_, _, err := config.ParseConnector(p, SourceConfigDef())
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}
