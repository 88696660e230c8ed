package pipeline

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadSample(t *testing.T) {
	cs, err := Load("../testdata/pipeline")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	for _, c := range cs {
		kinds = append(kinds, c.Kind)
	}
	if want := []Kind{KindSource, KindSource, KindSink, KindSink}; !reflect.DeepEqual(kinds, want) {
		t.Fatalf("kinds = %v, want %v", kinds, want)
	}
	if cs[1].Class != "io.slkc.connect.mysql.MySqlSourceConnector" || cs[3].Class != "io.slkc.connect.dynamodb.DynamoDbSinkConnector" {
		t.Errorf("aliases not mapped: %q, %q", cs[1].Class, cs[3].Class)
	}
	if strings.Contains(cs[0].Text, "\n") || !strings.Contains(cs[0].Text, `"name":"orders-source"`) {
		t.Errorf("Text not compact JSON: %q", cs[0].Text)
	}
}

func TestDeployment(t *testing.T) {
	tests := []struct {
		name   string
		config string
		want   Deployment
	}{
		{
			name:   "source defaults",
			config: `"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector"`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, ReservedConcurrency: 1, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, ReportBatchItemFailures: true, DeadlineMarginMillis: 5000, Tasks: 1,
				ErrorsTolerance: "none"},
		},
		{
			name:   "binlog CDC source under Debezium's class is a reserved source",
			config: `"connector.class":"io.debezium.connector.mariadb.MariaDbConnector"`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, ReservedConcurrency: 1, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, ReportBatchItemFailures: true, DeadlineMarginMillis: 5000, Tasks: 1,
				ErrorsTolerance: "none"},
		},
		{
			name:   "sink defaults are not reserved, retry for ever, provisioned for the partial batch response",
			config: `"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, ReservedConcurrency: 0, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, ReportBatchItemFailures: true, DeadlineMarginMillis: 5000, Tasks: 1,
				ErrorsTolerance: "none", ProvisionedPollers: true},
		},
		{
			name:   "tolerance all without limits: no destination",
			config: `"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","errors.tolerance":"all"`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, ReportBatchItemFailures: true, DeadlineMarginMillis: 5000, Tasks: 1,
				ErrorsTolerance: "all", ProvisionedPollers: true},
		},
		{
			name:   "no error handling controls: on-demand pollers",
			config: `"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","aws.lambda.report.batch.item.failures":"false"`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, DeadlineMarginMillis: 5000, Tasks: 1, ErrorsTolerance: "none"},
		},
		{
			name: "schema registry makes the mapping provisioned even without error handling controls",
			config: `"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","aws.lambda.report.batch.item.failures":"false",
				"aws.lambda.schema.registry.uri":"https://registry.example.com:8081","aws.lambda.event.record.format":"JSON"`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, DeadlineMarginMillis: 5000, Tasks: 1, ErrorsTolerance: "none",
				SchemaRegistryURI: "https://registry.example.com:8081", EventRecordFormat: "JSON", ValidateValue: true, ProvisionedPollers: true},
		},
		{
			name: "schema registry validating key and value",
			config: `"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
				"aws.lambda.schema.registry.uri":"http://10.0.0.5:8081","aws.lambda.event.record.format":"SOURCE",
				"aws.lambda.schema.validation.attributes":"KEY, VALUE"`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, ReportBatchItemFailures: true, DeadlineMarginMillis: 5000, Tasks: 1, ErrorsTolerance: "none",
				SchemaRegistryURI: "http://10.0.0.5:8081", EventRecordFormat: "SOURCE", ValidateKey: true, ValidateValue: true, ProvisionedPollers: true},
		},
		{
			name: "sink overrides, numbers as JSON numbers",
			config: `"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
				"aws.lambda.memory.mb":1024,"aws.lambda.timeout.seconds":"30","aws.lambda.batch.size":"10000",
				"aws.lambda.maximum.batching.window.seconds":"0","aws.lambda.starting.position":"LATEST",
				"aws.lambda.consumer.group.id":"g1","aws.lambda.maximum.retry.attempts":"0",
				"aws.lambda.maximum.record.age.seconds":"604800","aws.lambda.bisect.batch.on.error":true,
				"aws.lambda.report.batch.item.failures":"false","aws.lambda.reserved.concurrency":"3","errors.tolerance":"all"`,
			want: Deployment{MemoryMB: 1024, TimeoutSeconds: 30, ReservedConcurrency: 3, BatchSize: 10000,
				MaxBatchingWindowSeconds: 0, StartingPosition: "LATEST", ConsumerGroupID: "g1",
				MaxRetryAttempts: 0, MaxRecordAgeSeconds: 604800, BisectBatchOnError: true, ReportBatchItemFailures: false,
				DeadlineMarginMillis: 5000, Tasks: 1, ErrorsTolerance: "all", OnFailureDestination: true, ProvisionedPollers: true},
		},
		{
			name:   "source with 4 tasks reserves 4 pollers",
			config: `"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","tasks.max":4`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, ReservedConcurrency: 4, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, ReportBatchItemFailures: true, DeadlineMarginMillis: 5000, Tasks: 4,
				ErrorsTolerance: "none"},
		},
		{
			name: "provisioned pollers of the connector make the mapping provisioned",
			config: `"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","aws.lambda.report.batch.item.failures":"false",
				"aws.lambda.provisioned.pollers.min":"2","aws.lambda.provisioned.pollers.max":"10","aws.lambda.reserved.concurrency":"-1"`,
			want: Deployment{MemoryMB: 256, TimeoutSeconds: 60, BatchSize: 100,
				MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-c",
				MaxRetryAttempts: -1, MaxRecordAgeSeconds: -1, DeadlineMarginMillis: 5000, ErrorsTolerance: "none",
				ProvisionedPollers: true, MinimumPollers: 2, MaximumPollers: 10, Tasks: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("c.json", []byte(`{"name":"c","config":{`+tt.config+`}}`))
			if err != nil {
				t.Fatal(err)
			}
			if c.Deploy != tt.want {
				t.Errorf("Deploy = %+v\nwant     %+v", c.Deploy, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		errHas []string
	}{
		{"bad json", `{`, []string{"parse JSON"}},
		{"unknown class", `{"name":"c","config":{"connector.class":"x.Y"}}`, []string{`connector.class "x.Y"`}},
		{"missing name", `{"config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector"}}`, []string{`missing "name"`}},
		{"sink without topics", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector"}}`, []string{`needs "topics"`}},
		{"all range problems together", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
			"aws.lambda.batch.size":"0","aws.lambda.maximum.record.age.seconds":"59","aws.lambda.timeout.seconds":"x",
			"aws.lambda.starting.position":"AT_TIMESTAMP","aws.lambda.bisect.batch.on.error":"yes","aws.lambda.memroy.mb":"1"}}`,
			[]string{`"0" for config key "aws.lambda.batch.size": value must be at least 1`,
				`"59" for config key "aws.lambda.maximum.record.age.seconds": value must be -1 or between 60 and 604800`,
				`"x" for config key "aws.lambda.timeout.seconds"`,
				`"AT_TIMESTAMP" for config key "aws.lambda.starting.position"`,
				`"yes" for config key "aws.lambda.bisect.batch.on.error"`,
				`"aws.lambda.memroy.mb": unknown config key; did you mean "aws.lambda.memory.mb"?`}},
		{"bad poll interval", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","poll.interval.ms":"-5"}}`, []string{"poll.interval.ms"}},
		{"object value", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","x":{}}}`, []string{`key "x"`}},
		{"tolerance none with a retry limit and a record age", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
			"aws.lambda.maximum.retry.attempts":"10","aws.lambda.maximum.record.age.seconds":"3600"}}`,
			[]string{`"10" for config key "aws.lambda.maximum.retry.attempts": with errors.tolerance=none must be -1`,
				`"3600" for config key "aws.lambda.maximum.record.age.seconds": with errors.tolerance=none must be -1`}},
		{"explicit tolerance none with zero retries", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
			"errors.tolerance":"none","aws.lambda.maximum.retry.attempts":"0"}}`,
			[]string{`"0" for config key "aws.lambda.maximum.retry.attempts": with errors.tolerance=none must be -1`}},
		{"unknown tolerance", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","errors.tolerance":"some"}}`,
			[]string{`"some" for config key "errors.tolerance": value must be one of none, all`}},
		{"registry without record format", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
			"aws.lambda.schema.registry.uri":"https://r:8081"}}`, []string{`config key "aws.lambda.schema.registry.uri": needs aws.lambda.event.record.format (JSON or SOURCE)`}},
		{"record format without registry", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
			"aws.lambda.event.record.format":"JSON"}}`, []string{`config key "aws.lambda.event.record.format": needs aws.lambda.schema.registry.uri`}},
		{"bad registry values", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
			"aws.lambda.schema.registry.uri":"arn:aws:glue:us-east-1:123456789012:registry/r","aws.lambda.event.record.format":"AVRO",
			"aws.lambda.schema.validation.attributes":"VALUE,HEADERS"}}`,
			[]string{`"arn:aws:glue:us-east-1:123456789012:registry/r" for config key "aws.lambda.schema.registry.uri": value must match ^https?://`,
				`"AVRO" for config key "aws.lambda.event.record.format": value must be one of JSON, SOURCE`,
				`config key "aws.lambda.schema.validation.attributes": item 1 "HEADERS": value must be one of KEY, VALUE`}},
		{"registry on a source", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector",
			"aws.lambda.schema.registry.uri":"https://r:8081","aws.lambda.event.record.format":"JSON"}}`, []string{`config key "aws.lambda.schema.registry.uri": configures a sink's event source mapping; c is a source`}},
		{"pollers on a source", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector",
			"aws.lambda.provisioned.pollers.min":"2"}}`, []string{`config key "aws.lambda.provisioned.pollers.min": configures a sink's event source mapping`}},
		{"pollers max below min", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
			"aws.lambda.provisioned.pollers.min":"5","aws.lambda.provisioned.pollers.max":"2"}}`, []string{`config key "aws.lambda.provisioned.pollers.max": must be at least`}},
		{"margin above timeout", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","aws.lambda.timeout.seconds":"5"}}`, []string{"deadline.margin.ms"}},
		{"sink with tasks", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","tasks.max":"2"}}`,
			[]string{`"tasks.max"`, "sinks take only 1"}},
		{"binlog with tasks", `{"name":"c","config":{"connector.class":"io.debezium.connector.mysql.MySqlConnector","tasks.max":"2"}}`,
			[]string{`"tasks.max"`, "io.debezium.connector.mysql.MySqlConnector takes only 1"}},
		{"tasks out of range", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","tasks.max":"101"}}`,
			[]string{`"101"`, `"tasks.max"`, "no more than 100"}},
		{"reservation below tasks", `{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector","tasks.max":"4","aws.lambda.reserved.concurrency":"2"}}`,
			[]string{`"aws.lambda.reserved.concurrency"`, "is below tasks.max=4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.json", []byte(tt.doc))
			if err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

func TestLoadDuplicateNamesAndEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil {
		t.Error("empty folder: no error")
	}
	doc := []byte(`{"name":"same","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector"}}`)
	for _, f := range []string{"a.json", "b.json"} {
		if err := os.WriteFile(filepath.Join(dir, f), doc, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("duplicate names: err = %v", err)
	}
}

func TestScheduleMinutes(t *testing.T) {
	tests := []struct {
		name string
		poll string
		want int
		dur  time.Duration
	}{
		{"default 5s rounds up to one minute", "", 1, 5 * time.Second},
		{"exact minute", "60000", 1, time.Minute},
		{"just over a minute", "60001", 2, 60001 * time.Millisecond},
		{"five minutes", "300000", 5, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Connector{Config: map[string]string{}}
			if tt.poll != "" {
				c.Config["poll.interval.ms"] = tt.poll
			}
			if got := c.ScheduleMinutes(); got != tt.want {
				t.Errorf("ScheduleMinutes = %d, want %d", got, tt.want)
			}
			if got := c.PollInterval(); got != tt.dur {
				t.Errorf("PollInterval = %v, want %v", got, tt.dur)
			}
		})
	}
}

func TestTopicsAndSecrets(t *testing.T) {
	c := Connector{Config: map[string]string{
		"topics":              " a, b ,,c",
		"connection.password": "${secretsmanager:db/main:password}",
		"sasl.jaas":           "u=${secretsmanager:kafka:user} p=${secretsmanager:kafka:pass}",
		"ssl.key.password":    "${secretsmanager:arn:aws:secretsmanager:eu-west-1:111122223333:secret:tls-AbCdEf:key}",
		"other":               "${env:HOME}",
	}}
	if got, want := c.Topics(), []string{"a", "b", "c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Topics = %v, want %v", got, want)
	}
	want := []SecretRef{
		{ID: "arn:aws:secretsmanager:eu-west-1:111122223333:secret:tls-AbCdEf", Key: "key"},
		{ID: "db/main", Key: "password"},
		{ID: "kafka", Key: "pass"},
		{ID: "kafka", Key: "user"},
	}
	if got := c.SecretRefs(); !reflect.DeepEqual(got, want) {
		t.Errorf("SecretRefs = %v\nwant %v", got, want)
	}
}

// TestTopicPrefix: a source's topic prefix (its MSK produce grant) is the
// one its plugin declares, for the JDBC and the binlog source alike.
func TestTopicPrefix(t *testing.T) {
	for _, tc := range []struct{ name, file, want string }{
		{"jdbc source", `{"name":"s","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","connection.url":"jdbc:mysql://h/db","mode":"bulk","topic.prefix":"shop-","bootstrap.servers":"b:9092"}}`, "shop-"},
		{"binlog source", `{"name":"b","config":{"connector.class":"io.debezium.connector.mariadb.MariaDbConnector","database.hostname":"h","database.user":"u","database.server.id":"7","topic.prefix":"cdc","snapshot.mode":"no_data","bootstrap.servers":"b:9092"}}`, "cdc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.name+".json", []byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := c.TopicPrefix(); got != tc.want {
				t.Errorf("TopicPrefix = %q, want %q", got, tc.want)
			}
		})
	}
	if got := (Connector{Config: map[string]string{"topic.prefix": "x"}}).TopicPrefix(); got != "" {
		t.Errorf("TopicPrefix without a plugin = %q, want every topic", got)
	}
}

func TestResolveSecretARNs(t *testing.T) {
	known := []string{
		"arn:aws:secretsmanager:eu-west-1:111122223333:secret:db/main-AbCdEf",
		"arn:aws:secretsmanager:eu-west-1:111122223333:secret:kafka-123456",
		"arn:aws:secretsmanager:eu-west-1:111122223333:secret:unused-654321",
	}
	tests := []struct {
		name    string
		refs    []SecretRef
		want    []string
		wantErr string
	}{
		{"by name and by ARN, deduplicated", []SecretRef{{ID: "kafka", Key: "a"}, {ID: "kafka", Key: "b"}, {ID: known[0]}},
			[]string{known[0], known[1]}, ""},
		{"by name with suffix", []SecretRef{{ID: "db/main-AbCdEf"}}, []string{known[0]}, ""},
		{"unknown secret", []SecretRef{{ID: "db"}, {ID: "nope"}}, nil, "db, nope"},
		{"none", nil, []string{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveSecretARNs(tt.refs, known)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// The worker file is not a connector; its text and references reach every
// connector of the folder.
func TestLoadWorkerFile(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"a.json":   `{"name":"a","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t"}}`,
		WorkerFile: "{\n \"bootstrap.servers\": \"${env:BROKERS}\",\n \"sasl.password\": \"${secretsmanager:kafka:password}\"\n}",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Worker == nil {
		t.Fatalf("connectors = %+v, want one with the worker file", cs)
	}
	c := cs[0]
	if c.Worker.Text != `{"bootstrap.servers":"${env:BROKERS}","sasl.password":"${secretsmanager:kafka:password}"}` {
		t.Errorf("worker text = %q, want compact JSON", c.Worker.Text)
	}
	if got := c.EnvRefs(); len(got) != 1 || got[0] != (EnvRef{Key: "bootstrap.servers", Var: "BROKERS"}) {
		t.Errorf("EnvRefs = %v", got)
	}
	if got := c.SecretRefs(); len(got) != 1 || got[0] != (SecretRef{ID: "kafka", Key: "password"}) {
		t.Errorf("SecretRefs = %v", got)
	}
}
