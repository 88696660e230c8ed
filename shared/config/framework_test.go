package config

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sinkProps() map[string]string {
	return map[string]string{
		KeyName:             "orders-sink",
		KeyConnectorClass:   "io.confluent.connect.jdbc.JdbcSinkConnector",
		KeyTopics:           "orders,customers",
		KeyBootstrapServers: "127.0.0.1:9092",
	}
}

func sourceProps() map[string]string {
	return map[string]string{
		KeyName:             "inventory",
		KeyConnectorClass:   MySQLSourceClass,
		KeyBootstrapServers: "b1:9092, b2:9092",
	}
}

func TestFrameworkDefaults(t *testing.T) {
	_, fw, err := ParseConnector(sinkProps(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Framework{
		Name: "orders-sink", Class: MySQLSinkClass, Kind: Sink, TasksMax: 1,
		Topics:         []string{"orders", "customers"},
		KeyConverter:   Converter{Class: JsonConverter, Props: map[string]string{"schemas.enable": "true"}},
		ValueConverter: Converter{Class: JsonConverter, Props: map[string]string{"schemas.enable": "true"}},
		// Kafka Connect's default header converter.
		HeaderConverter: Converter{Class: SimpleHeaderConverter, Props: map[string]string{}},
		Transforms:      Transforms{Props: map[string]map[string]string{}, PredicateProps: map[string]map[string]string{}, Kind: Sink},
		Errors:          Errors{Tolerance: "none", RetryDelayMaxMs: 60000, DLQReplicationFactor: 3},
		Kafka:           Kafka{Bootstrap: []string{"127.0.0.1:9092"}, SecurityProtocol: "PLAINTEXT"},
		Producer:        Producer{Compression: "none", LingerMs: 5, BatchBytes: 1_000_000},
		Lambda: Lambda{MemoryMB: 256, TimeoutSeconds: 60, ReservedConcurrency: -1, BatchSize: 100,
			MaxBatchingWindowSeconds: 1, StartingPosition: "TRIM_HORIZON", ConsumerGroupID: "connect-orders-sink",
			MaximumRetryAttempts: -1, MaximumRecordAgeSeconds: -1, ReportBatchItemFailures: true, DeadlineMarginMs: 5000,
			SchemaValidation: []string{"VALUE"}},
	}
	if !reflect.DeepEqual(fw, want) {
		t.Fatalf("framework\n got %+v\nwant %+v", fw, want)
	}

	_, src, err := ParseConnector(sourceProps(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.Kind != Source || src.Lambda.ReservedConcurrency != 1 || src.Topics != nil || src.PollIntervalMs != 5000 ||
		!reflect.DeepEqual(src.Kafka.Bootstrap, []string{"b1:9092", "b2:9092"}) {
		t.Fatalf("source framework = %+v", src)
	}
	p := sourceProps()
	p[KeyTopics] = "x"
	if _, _, err := ParseConnector(p, nil); err == nil || !strings.Contains(err.Error(), `config key "topics": unknown config key`) {
		t.Fatalf("topics on a source: %v", err)
	}
}

func TestFrameworkAllSettings(t *testing.T) {
	p := sinkProps()
	for k, v := range map[string]string{
		KeyTasksMax: "1", KeyValueConverter: StringConverter, KeyKeySchemas: "False", "value.converter.encoding": "UTF-8",
		KeyTransforms: "unwrap, route", "transforms.unwrap.type": "io.debezium.transforms.ExtractNewRecordState",
		"transforms.unwrap.drop.tombstones": "false", "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
		"transforms.route.regex": "(.*)", "transforms.route.predicate": "orders", KeyPredicates: "orders",
		"predicates.orders.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "predicates.orders.pattern": "orders.*", KeyErrorsTolerance: "all", KeyDLQTopic: "dlq", KeyDLQReplicationFactor: "1",
		KeyDLQContextHeaders: "true", KeyErrorsLogEnable: "true", KeyErrorsLogIncludeMessage: "true",
		KeySecurityProtocol: "sasl_ssl", KeySASLMechanism: "scram-sha-512", KeySASLUsername: "u", KeySASLPassword: "p4ss",
		KeySSLCALocation: "/ca.pem", KeyProducerCompress: "zstd", KeyProducerLingerMs: "20", KeyProducerBatchSize: "65536",
		KeyLambdaMemoryMB: "1024", KeyLambdaTimeoutSeconds: "300", KeyLambdaReservedConcurrency: "5", KeyLambdaBatchSize: "500",
		KeyLambdaBatchingWindow: "0", KeyLambdaStartingPosition: "LATEST", KeyLambdaConsumerGroupID: "my-group",
		KeyLambdaMaxRetryAttempts: "3", KeyLambdaMaxRecordAge: "3600", KeyLambdaBisectOnError: "true",
		KeyLambdaReportItemFailures: "false", KeyLambdaDeadlineMarginMs: "10000",
	} {
		p[k] = v
	}
	_, fw, err := ParseConnector(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fw.TasksMax != 1 || fw.ValueConverter.Class != StringConverter ||
		!reflect.DeepEqual(fw.ValueConverter.Props, map[string]string{"encoding": "UTF-8"}) ||
		fw.KeyConverter.Props["schemas.enable"] != "false" {
		t.Fatalf("converters = %+v %+v", fw.KeyConverter, fw.ValueConverter)
	}
	if !reflect.DeepEqual(fw.Transforms.Aliases, []string{"unwrap", "route"}) ||
		!reflect.DeepEqual(fw.Transforms.Props["unwrap"], map[string]string{"type": "io.debezium.transforms.ExtractNewRecordState", "drop.tombstones": "false"}) {
		t.Fatalf("transforms = %+v", fw.Transforms)
	}
	if !reflect.DeepEqual(fw.Transforms.Predicates, []string{"orders"}) ||
		!reflect.DeepEqual(fw.Transforms.PredicateProps["orders"], map[string]string{"type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches", "pattern": "orders.*"}) ||
		fw.Transforms.Props["route"]["predicate"] != "orders" {
		t.Fatalf("predicates = %+v", fw.Transforms)
	}
	if fw.Errors != (Errors{Tolerance: "all", RetryDelayMaxMs: 60000, DLQTopic: "dlq", DLQReplicationFactor: 1, ContextHeaders: true, LogEnable: true, LogIncludeMessages: true}) {
		t.Fatalf("errors = %+v", fw.Errors)
	}
	if fw.Kafka.SecurityProtocol != "SASL_SSL" || fw.Kafka.SASLMechanism != "SCRAM-SHA-512" || fw.Kafka.Password.Value() != "p4ss" || fw.Kafka.CALocation != "/ca.pem" {
		t.Fatalf("kafka = %+v", fw.Kafka)
	}
	if fw.Producer != (Producer{"zstd", 20, 65536}) {
		t.Fatalf("producer = %+v", fw.Producer)
	}
	if !reflect.DeepEqual(fw.Lambda, Lambda{1024, 300, 5, 500, 0, "LATEST", "my-group", 3, 3600, true, false, 10000, "", "", []string{"VALUE"}}) {
		t.Fatalf("lambda = %+v", fw.Lambda)
	}
}

// TestFrameworkInvalidValues sets each framework key to a bad value; the
// error must name that key.
func TestFrameworkInvalidValues(t *testing.T) {
	cases := []struct{ key, value string }{
		{KeyName, ""},
		{KeyConnectorClass, "com.example.Unknown"},
		{KeyConnectorClass, "not a class"},
		{KeyTasksMax, "0"},
		{KeyTasksMax, "many"},
		{KeyTasksMax, "4"},
		{KeyTopics, ""},
		{KeyTopics, "ok,bad topic"},
		{KeyIdentifiersPermissive, "yes"},
		{KeyKeyConverter, "io.confluent.connect.protobuf.ProtobufConvertr"},
		{KeyValueConverter, "org.apache.kafka.connect.json.JsonConvertr"},
		{KeyHeaderConverter, "x.Y"},
		{KeyKeySchemas, "yes"},
		{KeyValueSchemas, "1"},
		{KeyTransforms, "a b"},
		{KeyPredicates, "a b"},
		{KeyErrorsTolerance, "some"},
		{KeyErrorsRetryTimeout, "-2"},
		{KeyErrorsRetryDelayMax, "0"},
		{KeyDLQReplicationFactor, "0"},
		{KeyDLQContextHeaders, "on"},
		{KeyErrorsLogEnable, "off"},
		{KeyErrorsLogIncludeMessage, "2"},
		{KeyBootstrapServers, ""},
		{KeyBootstrapServers, "localhost"},
		{KeySecurityProtocol, "TLS"},
		{KeySASLMechanism, "GSSAPI"},
		{KeyProducerCompress, "brotli"},
		{KeyProducerLingerMs, "-1"},
		{KeyProducerBatchSize, "0"},
		{KeyTopicCreationPartitions, "0"},
		{KeyTopicCreationReplication, "-2"},
		{KeyLambdaMemoryMB, "64"},
		{KeyLambdaTimeoutSeconds, "901"},
		{KeyLambdaReservedConcurrency, "-5"},
		{KeyLambdaReservedConcurrency, "0"},
		{KeyLambdaPollersMin, "0"},
		{KeyLambdaPollersMax, "2001"},
		{KeyLambdaBatchSize, "10001"},
		{KeyLambdaBatchingWindow, "301"},
		{KeyLambdaStartingPosition, "EARLIEST"},
		{KeyLambdaConsumerGroupID, "bad group"},
		{KeyLambdaMaxRetryAttempts, "10001"},
		{KeyLambdaMaxRecordAge, "30"},
		{KeyLambdaBisectOnError, "y"},
		{KeyLambdaReportItemFailures, "n"},
		{KeyLambdaDeadlineMarginMs, "-1"},
		{KeyLambdaSchemaRegistryURI, "http://registry:8081/a b"},
		{KeyLambdaEventRecordFormat, "AVRO"},
		{KeyLambdaSchemaValidation, "KEY,HEADERS"},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.key] = true
		t.Run(c.key+"="+c.value, func(t *testing.T) {
			p := sinkProps()
			p[c.key] = c.value
			def := FrameworkDef(Sink)
			_, err := def.Parse(p)
			if err == nil {
				t.Fatal("Parse accepted the value")
			}
			if !strings.Contains(err.Error(), `config key "`+c.key+`"`) {
				t.Fatalf("error does not name %q: %v", c.key, err)
			}
			if c.value != "" && !strings.Contains(err.Error(), `"`+c.value+`"`) {
				t.Fatalf("error does not show the value: %v", err)
			}
		})
	}
	p := sourceProps()
	p[KeyPollIntervalMs] = "10"
	if _, err := FrameworkDef(Source).Parse(p); err == nil || !strings.Contains(err.Error(), `invalid value "10" for config key "poll.interval.ms"`) {
		t.Fatalf("poll.interval.ms: %v", err)
	}
	covered[KeyPollIntervalMs] = true
	// Kafka Connect keys with a serverless meaning: the values that do not
	// match what the functions do are refused, saying why.
	for _, c := range []struct{ key, value, why string }{
		{KeyExactlyOnceSupport, "required", "at-least-once"},
		{KeyTransactionBoundary, "connector", "no Kafka transactions"},
		{KeyTopicCreationGroups, "compacted", "only the default group"},
	} {
		covered[c.key] = true
		p := sourceProps()
		p[c.key] = c.value
		_, err := FrameworkDef(Source).Parse(p)
		if err == nil || !strings.Contains(err.Error(), `invalid value "`+c.value+`" for config key "`+c.key+`"`) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("%s=%s: %v", c.key, c.value, err)
		}
	}
	for _, k := range FrameworkDef(Source).Merge(SinkDef()).Keys() {
		if k.Type == String && k.Validator == nil || k.Type == Password {
			continue // free text: nothing is invalid on its own
		}
		if !covered[k.Name] {
			t.Errorf("no invalid-value case for framework key %q", k.Name)
		}
	}
}

func TestFrameworkCrossChecks(t *testing.T) {
	cases := []struct {
		name string
		set  map[string]string
		want []string
	}{
		{"transform without type", map[string]string{KeyTransforms: "a"}, []string{`config key "transforms.a.type": missing`}},
		{"transform type not a class", map[string]string{KeyTransforms: "a", "transforms.a.type": "x y"}, []string{`config key "transforms.a.type"`}},
		{"unlisted transform keys", map[string]string{"transforms.b.type": "x.Y"}, []string{`config key "transforms.b.type": transform alias "b" is not listed`}},
		{"duplicate alias", map[string]string{KeyTransforms: "a,a", "transforms.a.type": "x.Y"}, []string{`duplicate transform alias "a"`}},
		{"predicate without type", map[string]string{KeyPredicates: "p"}, []string{`config key "predicates.p.type": missing`}},
		{"unlisted predicate keys", map[string]string{"predicates.q.type": "x.Y"}, []string{`config key "predicates.q.type": predicate alias "q" is not listed`}},
		{"sasl without mechanism", map[string]string{KeySecurityProtocol: "SASL_SSL"}, []string{`config key "sasl.mechanism": required`}},
		{"mechanism without sasl", map[string]string{KeySASLMechanism: "PLAIN"}, []string{`config key "sasl.mechanism"`, "only used with SASL"}},
		{"scram without credentials", map[string]string{KeySecurityProtocol: "SASL_SSL", KeySASLMechanism: "SCRAM-SHA-256"},
			[]string{`config key "sasl.password": required`, `config key "sasl.username": required`}},
		{"iam needs ssl", map[string]string{KeySecurityProtocol: "SASL_PLAINTEXT", KeySASLMechanism: "AWS_MSK_IAM"}, []string{`config key "security.protocol"`, "AWS_MSK_IAM needs SASL_SSL"}},
		{"cert without key", map[string]string{KeySSLCertLocation: "/c.pem"}, []string{`config key "ssl.key.location"`}},
		{"topic creation half set", map[string]string{KeyTopicCreationPartitions: "3"}, []string{`config key "topic.creation.default.replication.factor"`}},
		{"topic configs without creation", map[string]string{"topic.creation.default.cleanup.policy": "compact"}, []string{`config key "topic.creation.default.cleanup.policy"`}},
		{"dlq is a consumed topic", map[string]string{KeyDLQTopic: "orders"}, []string{`invalid value "orders" for config key "errors.deadletterqueue.topic.name": must not be one of the consumed topics`}},
		{"pollers max below min", map[string]string{KeyLambdaPollersMin: "5", KeyLambdaPollersMax: "2"}, []string{`config key "aws.lambda.provisioned.pollers.max"`, "must be at least"}},
		{"registry uri without format", map[string]string{KeyLambdaSchemaRegistryURI: "https://registry.example.com:8081"}, []string{`config key "aws.lambda.schema.registry.uri"`, "needs aws.lambda.event.record.format"}},
		{"format without registry uri", map[string]string{KeyLambdaEventRecordFormat: "JSON"}, []string{`config key "aws.lambda.event.record.format"`, "needs aws.lambda.schema.registry.uri"}},
		{"deadline margin over timeout", map[string]string{KeyLambdaTimeoutSeconds: "5", KeyLambdaDeadlineMarginMs: "5000"}, []string{`config key "aws.lambda.deadline.margin.ms"`, "must be less than"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := sinkProps()
			for k, v := range c.set {
				p[k] = v
			}
			_, _, err := ParseConnector(p, nil)
			if err == nil {
				t.Fatal("accepted")
			}
			last := -1
			for _, w := range c.want {
				i := strings.Index(err.Error(), w)
				if i < 0 || i < last {
					t.Fatalf("error %q lacks (in order) %q", err, w)
				}
				last = i
			}
		})
	}
	// Valid IAM and topic creation.
	p := sourceProps()
	p[KeySecurityProtocol], p[KeySASLMechanism] = "SASL_SSL", "AWS_MSK_IAM"
	p[KeyTopicCreationPartitions], p[KeyTopicCreationReplication], p["topic.creation.default.cleanup.policy"] = "6", "-1", "compact"
	_, fw, err := ParseConnector(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !(fw.TopicCreation.Enabled && fw.TopicCreation.Partitions == 6 && fw.TopicCreation.ReplicationFactor == -1 &&
		reflect.DeepEqual(fw.TopicCreation.Configs, map[string]string{"cleanup.policy": "compact"})) {
		t.Fatalf("topic creation = %+v", fw.TopicCreation)
	}
}

func TestConnectorKind(t *testing.T) {
	cases := []struct {
		class     string
		kind      Kind
		canonical string
	}{
		{MySQLSourceClass, Source, MySQLSourceClass},
		{"io.confluent.connect.jdbc.JdbcSourceConnector", Source, MySQLSourceClass},
		{MySQLSinkClass, Sink, MySQLSinkClass},
		{" io.confluent.connect.jdbc.JdbcSinkConnector ", Sink, MySQLSinkClass},
		{DynamoDBSinkClass, Sink, DynamoDBSinkClass},
		{"io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector", Sink, DynamoDBSinkClass},
		{MySQLCDCClass, Source, MySQLCDCClass},
		{MariaDBCDCClass, Source, MariaDBCDCClass},
	}
	for _, c := range cases {
		k, canon, err := ConnectorKind(c.class)
		if err != nil || k != c.kind || canon != c.canonical {
			t.Errorf("ConnectorKind(%q) = %v %q %v", c.class, k, canon, err)
		}
	}
	if _, _, err := ConnectorKind("io.debezium.connector.postgresql.PostgresConnector"); err == nil || !strings.Contains(err.Error(), "known: io.confluent") {
		t.Fatalf("unknown class err = %v", err)
	}
	if Source.String() != "source" || Sink.String() != "sink" {
		t.Fatal("Kind.String")
	}
}

func TestParseConnectorWithConnectorDef(t *testing.T) {
	mysqlSink := NewDef(
		Key{Name: "connection.url", Type: String, Required: true, Validator: NonEmpty()},
		Key{Name: "connection.password", Type: Password, Default: Default("")},
		Key{Name: "insert.mode", Type: String, Default: Default("insert"), Validator: OneOf("insert", "upsert", "update")},
		// A connector may change a framework default.
		Key{Name: KeyLambdaTimeoutSeconds, Type: Int, Default: Default("120"), Validator: Range(1, 900)},
	)
	p := sinkProps()
	p["connection.url"] = "jdbc:mysql://db:3306/app"
	p["connection.password"] = "pw"
	p["insert.mode"] = "upsert"
	vals, fw, err := ParseConnector(p, mysqlSink)
	if err != nil {
		t.Fatal(err)
	}
	if vals.String("insert.mode") != "upsert" || vals.Password("connection.password").Value() != "pw" || fw.Lambda.TimeoutSeconds != 120 {
		t.Fatalf("vals = %v fw.Lambda = %+v", vals.Redacted(), fw.Lambda)
	}
	p["insert.mode"] = "merge"
	p["conection.url"] = "x"
	_, _, err = ParseConnector(p, mysqlSink)
	if err == nil || !strings.Contains(err.Error(), `config key "conection.url": unknown config key; did you mean "connection.url"?`) ||
		!strings.Contains(err.Error(), `invalid value "merge" for config key "insert.mode": value must be one of insert, upsert, update`) {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := ParseConnector(map[string]string{}, nil); err == nil || !strings.Contains(err.Error(), `config key "connector.class": missing`) {
		t.Fatalf("missing class err = %v", err)
	}
	if _, err := ParseFramework(vals2(t)); err == nil || !strings.Contains(err.Error(), "not parsed with FrameworkDef") {
		t.Fatalf("ParseFramework on foreign values: %v", err)
	}
}

func vals2(t *testing.T) Values {
	v, err := NewDef(Key{Name: "x", Type: String}).Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPipelineEndToEnd loads the testdata pipeline, resolves its references
// with fake providers and parses each connector.
func TestPipelineEndToEnd(t *testing.T) {
	files, err := LoadDir(filepath.Join("testdata", "pipeline"))
	if err != nil {
		t.Fatal(err)
	}
	prov := Providers{
		LookupEnv: func(k string) (string, bool) {
			return map[string]string{"SLKC_KAFKA_BOOTSTRAP": "127.0.0.1:9092"}[k], k == "SLKC_KAFKA_BOOTSTRAP"
		},
		Secrets: newFake(),
	}
	var got []*Framework
	for _, f := range files {
		props, err := Resolve(context.Background(), f.Config, prov)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		_, fw, err := ParseConnector(props, nil)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		got = append(got, fw)
	}
	src, sink := got[0], got[1]
	if src.Class != MySQLSourceClass || src.Lambda.TimeoutSeconds != 120 || !src.TopicCreation.Enabled ||
		src.Transforms.Props["route"]["replacement"] != "mysql.$1" || src.Kafka.Bootstrap[0] != "127.0.0.1:9092" {
		t.Fatalf("source = %+v", src)
	}
	if sink.Kafka.Username != "svc" || sink.Kafka.Password.Value() != "s3cr3t-pw" || sink.Lambda.BatchSize != 500 ||
		!reflect.DeepEqual(sink.Topics, []string{"orders", "customers"}) || sink.Errors.DLQTopic != "orders-dlq" {
		t.Fatalf("sink = %+v", sink)
	}
}

// Keys of Kafka Connect that cannot work here are refused whatever their
// value, with the reason; the values that match are accepted.
func TestConnectKeysStatus(t *testing.T) {
	p := sourceProps()
	p[KeyOffsetsStorageTopic] = "my-offsets"
	p[KeyExactlyOnceSupport] = "requested"
	p[KeyTransactionBoundary] = "poll"
	p[KeyTasksMax] = "1"
	_, err := FrameworkDef(Source).Parse(p)
	want := `invalid value "my-offsets" for config key "offsets.storage.topic": not supported: source offsets are kept in the DynamoDB offsets table`
	if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), "config key") != 1 {
		t.Errorf("error = %v, want only %s", err, want)
	}
	s := sinkProps()
	s[KeyTopicsRegex] = "orders.*"
	if _, err := FrameworkDef(Sink).Parse(s); err == nil || !strings.Contains(err.Error(), "fixed list of topics") {
		t.Errorf("topics.regex: %v", err)
	}
}

// TestFrameworkSchemaRegistryKeys reads the sink mapping's schema registry
// settings into Framework.Lambda.
func TestFrameworkSchemaRegistryKeys(t *testing.T) {
	props := sinkProps()
	props[KeyLambdaSchemaRegistryURI] = "https://registry.example.com:8081"
	props[KeyLambdaEventRecordFormat] = "SOURCE"
	props[KeyLambdaSchemaValidation] = "KEY, VALUE"
	_, fw, err := ParseConnector(props, nil)
	if err != nil {
		t.Fatal(err)
	}
	l := fw.Lambda
	if l.SchemaRegistryURI != "https://registry.example.com:8081" || l.EventRecordFormat != "SOURCE" || !reflect.DeepEqual(l.SchemaValidation, []string{"KEY", "VALUE"}) {
		t.Fatalf("lambda = %+v", l)
	}
}

// TestDefaultProducer checks DefaultProducer against the Producer of a
// parsed connector that sets no producer key.
func TestDefaultProducer(t *testing.T) {
	_, fw, err := ParseConnector(sinkProps(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := DefaultProducer(); got != fw.Producer || got.BatchBytes != 1_000_000 {
		t.Fatalf("DefaultProducer() = %+v; parsed connector's %+v, want batch size 1000000", got, fw.Producer)
	}
}
