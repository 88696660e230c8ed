package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestApplyWorker(t *testing.T) {
	w, err := ParseWorker("worker.json", []byte(`{
	 "bootstrap.servers": "broker:9092", "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
	 "key.converter": "org.apache.kafka.connect.json.JsonConverter", "key.converter.schemas.enable": false,
	 "value.converter": "org.apache.kafka.connect.json.JsonConverter", "value.converter.schemas.enable": false,
	 "producer.linger.ms": 20, "producer.compression.type": "zstd"}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		conn map[string]string
		want map[string]string // keys that must have these values after the merge
		gone []string          // keys that must stay unset
	}{
		{name: "inherits everything",
			conn: map[string]string{KeyConnectorClass: MySQLSourceClass},
			want: map[string]string{KeyBootstrapServers: "broker:9092", KeySecurityProtocol: "SASL_SSL", KeySASLMechanism: "SCRAM-SHA-512",
				KeyKeyConverter: "org.apache.kafka.connect.json.JsonConverter", KeyKeySchemas: "false", KeyValueSchemas: "false",
				KeyProducerLingerMs: "20", KeyProducerCompress: "zstd"},
			gone: []string{"producer.linger.ms", "producer.compression.type"}},
		{name: "connector keys and overrides win",
			conn: map[string]string{KeyConnectorClass: MySQLSinkClass, KeyBootstrapServers: "other:9092", KeyProducerLingerMs: "0"},
			want: map[string]string{KeyBootstrapServers: "other:9092", KeyProducerLingerMs: "0", KeyProducerCompress: "zstd"}},
		{name: "own converter takes none of the worker's converter properties",
			conn: map[string]string{KeyConnectorClass: DynamoDBSinkClass, KeyValueConverter: "org.apache.kafka.connect.storage.StringConverter"},
			want: map[string]string{KeyValueConverter: "org.apache.kafka.connect.storage.StringConverter", KeyKeySchemas: "false"},
			gone: []string{KeyValueSchemas}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &File{Name: "c", Config: tc.conn}
			if err := ApplyWorker(w, f); err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.want {
				if f.Config[k] != v {
					t.Errorf("%s = %q, want %q", k, f.Config[k], v)
				}
			}
			for _, k := range tc.gone {
				if v, ok := f.Config[k]; ok {
					t.Errorf("%s = %q, want unset", k, v)
				}
			}
		})
	}
}

func TestWorkerRefusals(t *testing.T) {
	t.Run("unknown keys, all at once, naming the file", func(t *testing.T) {
		_, err := ParseWorker("pipe/worker.json", []byte(`{"bootstrap.servers":"b:1","tasks.max":"1","topics":"x","producer.override.acks":"all"}`))
		if err == nil {
			t.Fatal("want an error")
		}
		for _, want := range []string{`worker file pipe/worker.json: key "tasks.max": not a worker setting`, `key "topics"`,
			`key "producer.override.acks": producer.override.* is a connector key; in a worker file write producer.acks`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		}
	})
	t.Run("setting the connector kind does not define", func(t *testing.T) {
		w, err := ParseWorker("worker.json", []byte(`{"consumer.max.poll.records":"10","producer.acks":"all"}`))
		if err != nil {
			t.Fatal(err)
		}
		err = ApplyWorker(w, &File{Name: "s", Config: map[string]string{KeyConnectorClass: MySQLSinkClass}})
		for _, want := range []string{`key "consumer.max.poll.records" (as consumer.override.max.poll.records) is not supported for sink connectors`,
			`key "producer.acks" (as producer.override.acks)`} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v does not contain %q", err, want)
			}
		}
		// Sources do not consume: consumer.* does not apply to them.
		f := &File{Name: "src", Config: map[string]string{KeyConnectorClass: MySQLSourceClass}}
		w.Config = map[string]string{"consumer.max.poll.records": "10"}
		if err := ApplyWorker(w, f); err != nil || len(f.Config) != 1 {
			t.Errorf("source: err %v, config %v", err, f.Config)
		}
	})
}

func TestLoadDirWorker(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.json", `{"name":"a","config":{"connector.class":"`+MySQLSinkClass+`","topics":"t"}}`)
	write(WorkerFileName, `{"bootstrap.servers":"w:9092"}`)
	files, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Config[KeyBootstrapServers] != "w:9092" {
		t.Fatalf("files = %+v, want one connector with the worker's bootstrap.servers", files)
	}
	env := map[string]string{EnvConnectorConfig: `{"name":"a","config":{"connector.class":"` + MySQLSinkClass + `"}}`,
		EnvWorkerConfig: `{"bootstrap.servers":"env:9092"}`}
	f, err := LoadFromEnv(func(k string) string { return env[k] })
	if err != nil || f.Config[KeyBootstrapServers] != "env:9092" {
		t.Fatalf("LoadFromEnv = %+v, %v", f, err)
	}
	write(WorkerFileName, `{"bootstrap.servers":"w:9092","name":"x"}`)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), `worker.json: key "name": not a worker setting`) {
		t.Fatalf("LoadDir with a bad worker file: %v", err)
	}
}

func TestCheckReferenceStale(t *testing.T) {
	t.Setenv(EnvUpdateReference, "")
	path := filepath.Join(t.TempDir(), "REFERENCE.md")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckReference(path, "new"); err == nil || !strings.Contains(err.Error(), "is stale") {
		t.Errorf("stale file: %v", err)
	}
	if err := CheckReference(path, "old"); err != nil {
		t.Errorf("current file: %v", err)
	}
}
