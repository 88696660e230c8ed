package dynamodb

import (
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

func TestParseConfig(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		cfg, err := ParseConfig(map[string]string{"topics": "a,b"})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Hash.String() != "partition" || cfg.Sort == nil || cfg.Sort.String() != "offset" || cfg.WriteMode != WriteModePut ||
			cfg.BatchSize != 25 || cfg.TableNameFormat != "${topic}" || cfg.MaxRetryTime != 10*time.Second || cfg.DeleteEnabled {
			t.Errorf("unexpected defaults: %+v", cfg)
		}
	})
	t.Run("key from record key, no sort, conditional", func(t *testing.T) {
		cfg, err := ParseConfig(map[string]string{"aws.dynamodb.pk.hash": "key.id:pk", "aws.dynamodb.pk.sort": "",
			"delete.enabled": "true", "write.mode": "conditional", "version.field": "ver", "batch.size": "10",
			"aws.dynamodb.max.retry.time.seconds": "3", "table.name.format": "kc-${topic}"})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Hash.Attribute != "pk" || cfg.Sort != nil || !cfg.DeleteEnabled || cfg.VersionField != "ver" || cfg.BatchSize != 10 || cfg.MaxRetryTime != 3*time.Second {
			t.Errorf("unexpected: %+v", cfg)
		}
		if name, err := cfg.tableName("orders"); err != nil || name != "kc-orders" {
			t.Errorf("tableName = %q, %v", name, err)
		}
		if _, err := cfg.tableName("a b"); err == nil {
			t.Error("topic with a space should give an invalid table name")
		}
	})
	bad := []struct {
		name  string
		props map[string]string
		want  []string
	}{
		{"bad refs joined", map[string]string{"aws.dynamodb.pk.hash": "topic", "aws.dynamodb.pk.sort": "value..x"},
			[]string{`"topic" for config key "aws.dynamodb.pk.hash"`, `"value..x" for config key "aws.dynamodb.pk.sort"`}},
		{"delete needs key refs", map[string]string{"delete.enabled": "true"}, []string{"delete.enabled=true needs the item key from the record key"}},
		{"batch size over 25", map[string]string{"batch.size": "26"}, []string{`"26" for config key "batch.size"`, "no more than 25"}},
		{"bad write mode", map[string]string{"write.mode": "merge"}, []string{`"merge" for config key "write.mode"`, "put, conditional"}},
		{"version field needs conditional", map[string]string{"version.field": "v"}, []string{"needs write.mode=conditional"}},
		{"same hash and sort attribute", map[string]string{"aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": "value.id"}, []string{"different from the hash key"}},
		{"bad table format", map[string]string{"table.name.format": "x"}, []string{"table.name.format"}},
		{"bad bool", map[string]string{"delete.enabled": "1"}, []string{`"1" for config key "delete.enabled"`}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(tc.props)
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

func TestConfigDef(t *testing.T) {
	props := func(kv ...string) map[string]string {
		m := map[string]string{"name": "ddb", "connector.class": "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector",
			"topics": "orders", "bootstrap.servers": "127.0.0.1:9092"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	vals, _, err := config.ParseConnector(props("aws.dynamodb.pk.hash", "key.id", "aws.dynamodb.pk.sort", "", "delete.enabled", "true"), ConfigDef())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := ConfigFromValues(vals)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hash.Attribute != "id" || cfg.Sort != nil || !cfg.DeleteEnabled || cfg.BatchSize != 25 || cfg.Concurrency != 8 {
		t.Errorf("unexpected: %+v", cfg)
	}
	for name, tc := range map[string]struct {
		props map[string]string
		want  string
	}{
		"unknown key":     {props("aws.dynamodb.pk.hsh", "key"), "aws.dynamodb.pk.hsh"},
		"range validator": {props("batch.size", "100"), "batch.size"},
		"cross-key check": {props("delete.enabled", "true"), "needs the item key from the record key"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := config.ParseConnector(tc.props, ConfigDef())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want containing %q", err, tc.want)
			}
		})
	}
}
