package config

import (
	"strings"
	"testing"
)

// TestClientOverrideRefusals checks that consumer.override.* and
// admin.override.* keys are refused with the serverless reason, naming
// the aws.lambda.* key that does a consumer property's job.
func TestClientOverrideRefusals(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		key  string
		want []string
	}{
		{"max.poll.records", Sink, "consumer.override.max.poll.records",
			[]string{"no consumer.override.* key is supported: use aws.lambda.batch.size instead", "Lambda event source mapping"}},
		{"auto.offset.reset", Sink, "consumer.override.auto.offset.reset", []string{"use aws.lambda.starting.position instead"}},
		{"group.id", Sink, "consumer.override.group.id", []string{"use aws.lambda.consumer.group.id instead"}},
		{"fetch.max.wait.ms", Sink, "consumer.override.fetch.max.wait.ms", []string{"use aws.lambda.maximum.batching.window.seconds instead"}},
		{"other consumer property", Sink, "consumer.override.isolation.level",
			[]string{"consumer settings have no effect", "aws.lambda.batch.size, aws.lambda.maximum.batching.window.seconds"}},
		{"consumer override on a source", Source, "consumer.override.max.poll.records", []string{"Lambda event source mapping"}},
		{"admin request timeout", Source, "admin.override.request.timeout.ms",
			[]string{"no admin.override.* key is supported: the admin client", "bounded by the invocation's deadline", "remove the key"}},
		{"admin on a sink", Sink, "admin.override.retries", []string{"per-client admin settings are not applied"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			props := map[string]string{KeyBootstrapServers: "b:1", tc.key: "1"}
			if tc.kind == Sink {
				props[KeyTopics] = "t"
			}
			_, err := FrameworkDef(tc.kind).Parse(props)
			if err == nil {
				t.Fatalf("%s accepted", tc.key)
			}
			if !strings.Contains(err.Error(), `config key "`+tc.key+`"`) {
				t.Errorf("error %v does not name %s", err, tc.key)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not say %q", err, w)
				}
			}
		})
	}
	t.Run("reference", func(t *testing.T) {
		md := FrameworkDef(Sink).Markdown()
		for _, w := range []string{"**refused**: every `consumer.override.*` key; a sink's records are consumed by its Lambda event source mapping",
			"**refused**: every `admin.override.*` key; the admin client"} {
			if !strings.Contains(md, w) {
				t.Errorf("reference does not say %q", w)
			}
		}
		if md := NewDef(Key{Name: "x", Type: String}).Markdown(); strings.Contains(md, "override") {
			t.Errorf("a Def without the framework keys lists the override families:\n%s", md)
		}
	})
	t.Run("worker admin setting", func(t *testing.T) {
		w, err := ParseWorker("worker.json", []byte(`{"admin.request.timeout.ms":"5000"}`))
		if err != nil {
			t.Fatal(err)
		}
		err = ApplyWorker(w, &File{Name: "s", Config: map[string]string{KeyConnectorClass: MySQLSourceClass}})
		if err == nil || !strings.Contains(err.Error(), `"admin.request.timeout.ms" (as admin.override.request.timeout.ms) is not supported for source connectors: the admin client`) {
			t.Errorf("error %v", err)
		}
	})
}
