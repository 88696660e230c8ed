package reliability

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors/dynamodb"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// connectorCase is one connector whose documented keys are checked: its own
// Def merged with the framework's, a valid base config, and the typed
// parse the function runs after config.ParseConnector.
type connectorCase struct {
	name  string
	def   func() *config.Def
	base  map[string]string
	typed func(config.Values) error
}

var connectorCases = []connectorCase{
	{
		name: "mysql-source",
		def:  mysql.SourceConfigDef,
		base: map[string]string{
			"name": "orders-source", "bootstrap.servers": "127.0.0.1:9092", "connector.class": mysql.SourceClass,
			"connection.url": "jdbc:mysql://127.0.0.1:3306/shop", "mode": "incrementing",
			"incrementing.column.name": "id", "table.whitelist": "orders", "topic.prefix": "shop-",
		},
		typed: func(v config.Values) error { _, err := mysql.SourceConfigFromValues(v); return err },
	},
	{
		name: "mysql-sink",
		def:  mysql.SinkConfigDef,
		base: map[string]string{
			"name": "orders-sink", "bootstrap.servers": "127.0.0.1:9092", "connector.class": mysql.SinkClass, "topics": "shop-orders",
			"connection.url": "jdbc:mysql://127.0.0.1:3306/warehouse", "insert.mode": "upsert",
			"pk.mode": "record_key", "pk.fields": "id",
		},
		typed: func(v config.Values) error { _, err := mysql.SinkConfigFromValues(v); return err },
	},
	{
		name: "dynamodb-sink",
		def:  dynamodb.ConfigDef,
		base: map[string]string{
			"name": "customers-sink", "bootstrap.servers": "127.0.0.1:9092", "connector.class": dynamodb.Class, "topics": "shop-customers",
		},
		typed: func(v config.Values) error { _, err := dynamodb.ConfigFromValues(v); return err },
	},
}

// invalidCandidates lists values to try for a key of type typ, the most
// obviously wrong first.
func invalidCandidates(typ config.Type) []string {
	free := []string{"", "   ", "-1", "0", "not a valid value", "!!", "a,,b", "1.5", "99999999999999999999", "${env:SLKC_RELIABILITY_UNSET"}
	switch typ {
	case config.Int, config.Long:
		return []string{"not-a-number", "1.5", "99999999999999999999", "-99999999999", "-2", "-1", "0", "999999999"}
	case config.Double:
		return []string{"not-a-number", "-1", "1e400"}
	case config.Bool:
		return []string{"maybe", "yes", "2"}
	case config.Class:
		return []string{"not a class!", "com.example.NoSuchClass", "1abc"}
	}
	return free
}

// parseFull runs what a function runs at cold start on props: the merged
// Def parse, the framework typing and the connector's typed parse.
func parseFull(cc connectorCase, props map[string]string) error {
	vals, _, err := config.ParseConnector(props, cc.def())
	if err != nil {
		return err
	}
	return cc.typed(vals)
}

// TestEveryConfigKeyNamedInItsError gives every documented key of the
// framework Def and each connector's Def an invalid value (chosen by the
// key's type from a candidate list) and asserts that the cold-start parse
// fails with an error naming that key. Keys that take free text without a
// validator accept every candidate and are listed in the log.
func TestEveryConfigKeyNamedInItsError(t *testing.T) {
	for _, cc := range connectorCases {
		t.Run(cc.name, func(t *testing.T) {
			if err := parseFull(cc, cc.base); err != nil {
				t.Fatalf("base config is invalid: %v", err)
			}
			kind, _, err := config.ConnectorKind(cc.base["connector.class"])
			if err != nil {
				t.Fatal(err)
			}
			def := config.FrameworkDef(kind).Merge(cc.def())
			var checked, free []string
			failed := 0
			for _, k := range def.Keys() {
				rejected := ""
				var rejErr error
				for _, cand := range invalidCandidates(k.Type) {
					props := maps.Clone(cc.base)
					props[k.Name] = cand
					if err := parseFull(cc, props); err != nil {
						rejected, rejErr = cand, err
						break
					}
				}
				switch {
				case rejErr != nil:
					checked = append(checked, k.Name)
					msg := rejErr.Error()
					switch canonical, isAlias := aliases[k.Name]; {
					case strings.Contains(msg, k.Name):
					case isAlias && strings.Contains(msg, canonical):
						t.Logf("finding: alias %q = %q is reported under its canonical key %q, not the key the user wrote: %v", k.Name, rejected, canonical, rejErr)
					default:
						failed++
						t.Errorf("key %q = %q: error does not name the key: %v", k.Name, rejected, rejErr)
					}
				case k.Validator == nil && (k.Type == config.String || k.Type == config.Password || k.Type == config.List):
					free = append(free, k.Name)
				default:
					failed++
					t.Errorf("key %q (%s, with a validator) accepted every invalid candidate %q", k.Name, k.Type, invalidCandidates(k.Type))
				}
			}
			t.Logf("%s: %d keys rejected an invalid value with an error naming the key; %d free-text keys accept any value: %s",
				cc.name, len(checked), len(free), strings.Join(free, ", "))
			if len(checked) < 20 {
				t.Errorf("only %d keys checked; the Def looks incomplete", len(checked))
			}
			tally.Add("config-keys/"+cc.name, Figures{Runs: len(checked), Passes: len(checked) - failed})
		})
	}
}

// aliases maps documented alias keys to the canonical key their errors may
// name instead (a known, logged shortcoming: the user wrote the alias).
var aliases = map[string]string{
	"table.include.list": "table.whitelist",
	"table.exclude.list": "table.blacklist",
}

// TestConfigErrorsNameKeyAndValue: an invalid value's error also shows the
// value and what is allowed, for a sample of typed keys.
func TestConfigErrorsNameKeyAndValue(t *testing.T) {
	tests := []struct{ key, value, allowed string }{
		{"errors.tolerance", "sometimes", "none"},
		{"aws.lambda.batch.size", "20000", "10000"},
		{"producer.override.compression.type", "brotli", "zstd"},
		{"tasks.max", "many", "INT"},
	}
	cc := connectorCases[1]
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			props := maps.Clone(cc.base)
			props[tt.key] = tt.value
			err := parseFull(cc, props)
			if err == nil {
				t.Fatalf("%s=%q accepted", tt.key, tt.value)
			}
			for _, want := range []string{tt.key, fmt.Sprintf("%q", tt.value), tt.allowed} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
}
