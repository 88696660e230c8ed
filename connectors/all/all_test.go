package all

import (
	"errors"
	"slices"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// TestRegistry checks what importing this package registers: every class
// and alias resolves to its plugin, whose definitions parse with the
// framework keys of its kind, and the MySQL classifier reaches errclass.
func TestRegistry(t *testing.T) {
	tests := []struct {
		name, class, canonical string
		kind                   config.Kind
	}{
		{"jdbc source alias", "io.confluent.connect.jdbc.JdbcSourceConnector", "io.slkc.connect.mysql.MySqlSourceConnector", config.Source},
		{"jdbc sink alias", " io.confluent.connect.jdbc.JdbcSinkConnector ", "io.slkc.connect.mysql.MySqlSinkConnector", config.Sink},
		{"dynamodb sink", "io.slkc.connect.dynamodb.DynamoDbSinkConnector", "io.slkc.connect.dynamodb.DynamoDbSinkConnector", config.Sink},
		{"confluent dynamodb alias", "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector", "io.slkc.connect.dynamodb.DynamoDbSinkConnector", config.Sink},
		{"debezium mysql", "io.debezium.connector.mysql.MySqlConnector", "io.debezium.connector.mysql.MySqlConnector", config.Source},
		{"debezium mariadb", "io.debezium.connector.mariadb.MariaDbConnector", "io.debezium.connector.mariadb.MariaDbConnector", config.Source},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := connectors.Lookup(tc.class)
			if err != nil {
				t.Fatal(err)
			}
			if p.Class != tc.canonical || p.Kind != tc.kind {
				t.Errorf("Lookup = %s (%s), want %s (%s)", p.Class, p.Kind, tc.canonical, tc.kind)
			}
			if len(p.FullDef().Keys()) <= len(config.FrameworkDef(tc.kind).Keys()) {
				t.Errorf("%s defines no keys of its own", p.Class)
			}
		})
	}
	if _, err := connectors.Lookup("com.example.Nope"); err == nil {
		t.Error("an unknown class was found")
	}
	var classes []string
	for _, p := range connectors.Plugins() {
		classes = append(classes, p.Class)
		classes = append(classes, p.Aliases...)
	}
	slices.Sort(classes)
	if !slices.Equal(classes, config.ConnectorClasses()) {
		t.Errorf("config knows %q, the registry %q", config.ConnectorClasses(), classes)
	}
	if got := connectors.ClassesOf(config.Sink); !slices.Equal(got, []string{"io.slkc.connect.dynamodb.DynamoDbSinkConnector", "io.slkc.connect.mysql.MySqlSinkConnector"}) {
		t.Errorf("sinks = %q", got)
	}
	if got := errclass.Classify(errors.Join(errors.New("x"), &mysql.MySQLError{Number: 1146})); got != errclass.ClassPermanent {
		t.Errorf("a missing MySQL table classifies %v, want permanent (the MySQL connector's classifier)", got)
	}
}
