package mysql

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

func TestParseSourceConfigDefaults(t *testing.T) {
	cfg, err := ParseSourceConfig(map[string]string{
		"connection.url": "jdbc:mysql://db.example:3306/shop",
		"mode":           "incrementing",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BatchMaxRows != 100 || cfg.PollInterval != 5*time.Second || !cfg.ValidateNonNull ||
		cfg.Types.NumericMapping != NumericNone || cfg.Types.Unsigned != UnsignedLong ||
		!reflect.DeepEqual(cfg.TableTypes, []string{"TABLE"}) || cfg.Conn.Timezone != time.UTC ||
		cfg.TimestampInitial != nil || cfg.TimestampDelay != 0 || cfg.GapTimeout != DefaultGapTimeoutMs*time.Millisecond ||
		cfg.Types.TimePrecision != TimeConnect {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestParseSourceConfigGapTimeout(t *testing.T) {
	tests := []struct {
		name    string
		props   map[string]string
		want    time.Duration
		wantErr string
	}{
		{"set in incrementing mode", map[string]string{"mode": "incrementing", "incrementing.gap.timeout.ms": "2500"}, 2500 * time.Millisecond, ""},
		{"0 disables", map[string]string{"mode": "incrementing", "incrementing.gap.timeout.ms": "0"}, 0, ""},
		{"negative", map[string]string{"mode": "incrementing", "incrementing.gap.timeout.ms": "-1"}, 0, `"incrementing.gap.timeout.ms"`},
		{"timestamp mode", map[string]string{"mode": "timestamp", "timestamp.column.name": "ts", "incrementing.gap.timeout.ms": "10"}, 0, "only in mode incrementing"},
		{"query mode", map[string]string{"mode": "incrementing", "query": "SELECT 1", "topic.prefix": "q", "incrementing.column.name": "id", "incrementing.gap.timeout.ms": "10"}, 0, "only in mode incrementing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := map[string]string{"connection.url": "jdbc:mysql://db.example:3306/shop"}
			for k, v := range tt.props {
				props[k] = v
			}
			cfg, err := ParseSourceConfig(props)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || cfg.GapTimeout != tt.want {
				t.Fatalf("GapTimeout = %v, %v; want %v", cfg.GapTimeout, err, tt.want)
			}
		})
	}
}

func TestParseSourceConfigFull(t *testing.T) {
	cfg, err := ParseSourceConfig(map[string]string{
		"connection.url":                "slkc:pw@tcp(127.0.0.1:3306)/shop",
		"connection.user":               "u",
		"connection.password":           "p",
		"table.include.list":            "orders, shop.items",
		"mode":                          "timestamp+incrementing",
		"incrementing.column.name":      "id",
		"timestamp.column.name":         "updated_at,created_at",
		"timestamp.delay.interval.ms":   "2500",
		"timestamp.initial":             "-1",
		"batch.max.rows":                "100000",
		"poll.interval.ms":              "60000",
		"topic.prefix":                  "mysql-",
		"validate.non.null":             "false",
		"numeric.mapping":               "best_fit",
		"db.timezone":                   "Europe/Paris",
		"bigint.unsigned.handling.mode": "precise",
		"time.precision.mode":           "adaptive_time_microseconds",
		"table.types":                   "table,view",
		"catalog.pattern":               "shop",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Tables, []string{"orders", "shop.items"}) ||
		!reflect.DeepEqual(cfg.TimestampColumns, []string{"updated_at", "created_at"}) ||
		cfg.TimestampDelay != 2500*time.Millisecond || *cfg.TimestampInitial != -1 ||
		cfg.BatchMaxRows != 100000 || cfg.PollInterval != time.Minute || cfg.TopicPrefix != "mysql-" ||
		cfg.ValidateNonNull || cfg.Types.NumericMapping != NumericBestFit || cfg.Types.Unsigned != UnsignedPrecise ||
		cfg.Conn.Timezone.String() != "Europe/Paris" || cfg.Conn.User != "u" || cfg.Conn.Password != "p" ||
		!reflect.DeepEqual(cfg.TableTypes, []string{"TABLE", "VIEW"}) || cfg.Mode != ModeTimestampIncrementing ||
		cfg.Types.TimePrecision != TimeAdaptiveMicros {
		t.Errorf("parsed: %+v", cfg)
	}
}

func TestParseSourceConfigErrors(t *testing.T) {
	base := func(kv ...string) map[string]string {
		m := map[string]string{"connection.url": "jdbc:mysql://h/db", "mode": "bulk"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name  string
		props map[string]string
		want  []string
	}{
		{"missing url and mode", map[string]string{}, []string{"connection.url", "mode"}},
		{"bad mode", base("mode", "incremental"), []string{`"incremental"`, `key "mode"`, "timestamp+incrementing"}},
		{"query and tables", base("query", "SELECT 1", "table.whitelist", "t", "topic.prefix", "x"), []string{`key "query"`, "not both"}},
		{"batch too big", base("batch.max.rows", "100001"), []string{`"100001"`, `key "batch.max.rows"`, "no more than 100000"}},
		{"batch zero", base("batch.max.rows", "0"), []string{"batch.max.rows"}},
		{"timestamp without column", base("mode", "timestamp"), []string{"timestamp.column.name", "required"}},
		{"bad numeric mapping", base("numeric.mapping", "fast"), []string{`"fast"`, `key "numeric.mapping"`, "best_fit_eager_double"}},
		{"bad unsigned mode", base("bigint.unsigned.handling.mode", "string"), []string{"bigint.unsigned.handling.mode", "long, precise"}},
		{"bad time precision mode", base("time.precision.mode", "adaptive"), []string{"time.precision.mode", "connect, adaptive_time_microseconds"}},
		{"bad zone", base("db.timezone", "Mars/Olympus"), []string{"db.timezone", "Mars/Olympus"}},
		{"bad initial", base("timestamp.initial", "-5"), []string{"timestamp.initial", "-1"}},
		{"bad delay", base("timestamp.delay.interval.ms", "soon"), []string{"timestamp.delay.interval.ms"}},
		{"white and black", base("table.whitelist", "a", "table.blacklist", "b"), []string{"table.blacklist"}},
		{"aliases differ", base("table.whitelist", "a", "table.include.list", "b"), []string{"table.include.list", "aliases"}},
		{"bad table name", base("table.whitelist", "a.b.c"), []string{"table.whitelist", "a.b.c"}},
		{"bad table type", base("table.types", "SYNONYM"), []string{"table.types", "SYNONYM"}},
		{"query needs prefix", base("query", "SELECT 1"), []string{"topic.prefix", "query mode"}},
		{"query incrementing needs column", base("query", "SELECT 1", "topic.prefix", "t", "mode", "incrementing"), []string{"incrementing.column.name"}},
		{"url without db", base("connection.url", "jdbc:mysql://h:3306/"), []string{"no database name"}},
		{"catalog mismatch", base("catalog.pattern", "other"), []string{"catalog.pattern", "db"}},
		{"validate non null", base("validate.non.null", "yes"), []string{"validate.non.null", "true or false"}},
		{"chunks out of range", base("initial.load.max.parallelism", "33"), []string{`"33"`, "initial.load.max.parallelism", "no more than 32"}},
		{"chunks in timestamp mode", base("mode", "timestamp+incrementing", "timestamp.column.name", "ts", "initial.load.max.parallelism", "4"),
			[]string{`"4"`, "initial.load.max.parallelism", "only in mode incrementing on tables"}},
		{"chunks in query mode", base("query", "SELECT 1", "topic.prefix", "t", "incrementing.column.name", "id", "initial.load.max.parallelism", "4"),
			[]string{"initial.load.max.parallelism", "only in mode incrementing on tables"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSourceConfig(tc.props)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseSourceConfigReportsAllProblems(t *testing.T) {
	_, err := ParseSourceConfig(map[string]string{"connection.url": "jdbc:mysql://h/db", "mode": "nope", "batch.max.rows": "-1", "numeric.mapping": "x"})
	if err == nil {
		t.Fatal("no error")
	}
	for _, k := range []string{`key "mode"`, `key "batch.max.rows"`, `key "numeric.mapping"`} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("joined error misses %s: %v", k, err)
		}
	}
}

// TestInitialLoadParallelismThroughTheDef: the key reaches the typed config
// through the connector's Def (as the function parses it), default 1.
func TestInitialLoadParallelismThroughTheDef(t *testing.T) {
	props := map[string]string{"name": "s", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
		"bootstrap.servers": "k:9092", "connection.url": "jdbc:mysql://h/db", "mode": "incrementing"}
	for _, tc := range []struct {
		value string
		want  int
	}{{"", 1}, {"6", 6}} {
		if tc.value != "" {
			props[KeyInitialLoadMaxParallelism] = tc.value
		}
		vals, _, err := config.ParseConnector(props, SourceConfigDef())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := SourceConfigFromValues(vals)
		if err != nil || cfg.InitialLoadParallelism != tc.want {
			t.Errorf("%s=%q: parallelism %d, %v; want %d", KeyInitialLoadMaxParallelism, tc.value, cfg.InitialLoadParallelism, err, tc.want)
		}
	}
}
