package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Kind says whether a connector reads into Kafka (Source) or writes out of
// it (Sink).
type Kind int

// Connector kinds.
const (
	Source Kind = iota + 1
	Sink
)

// String returns "source" or "sink".
func (k Kind) String() string {
	switch k {
	case Source:
		return "source"
	case Sink:
		return "sink"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Canonical connector.class values.
const (
	MySQLSourceClass  = "io.slkc.connect.mysql.MySqlSourceConnector"
	MySQLSinkClass    = "io.slkc.connect.mysql.MySqlSinkConnector"
	DynamoDBSinkClass = "io.slkc.connect.dynamodb.DynamoDbSinkConnector"
	// MySQLCDCClass and MariaDBCDCClass run the binlog change-data-capture
	// source (connectors/binlog) under Debezium's class names.
	MySQLCDCClass       = "io.debezium.connector.mysql.MySqlConnector"
	MariaDBCDCClass     = "io.debezium.connector.mariadb.MariaDbConnector"
	jdbcSourceAlias     = "io.confluent.connect.jdbc.JdbcSourceConnector"
	jdbcSinkAlias       = "io.confluent.connect.jdbc.JdbcSinkConnector"
	dynamoDBSinkAliasCC = "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector"
)

type classInfo struct {
	kind      Kind
	canonical string
}

var classes = map[string]classInfo{
	MySQLSourceClass:    {Source, MySQLSourceClass},
	jdbcSourceAlias:     {Source, MySQLSourceClass},
	MySQLSinkClass:      {Sink, MySQLSinkClass},
	jdbcSinkAlias:       {Sink, MySQLSinkClass},
	DynamoDBSinkClass:   {Sink, DynamoDBSinkClass},
	dynamoDBSinkAliasCC: {Sink, DynamoDBSinkClass},
	MySQLCDCClass:       {Source, MySQLCDCClass},
	MariaDBCDCClass:     {Source, MariaDBCDCClass},
}

// ConnectorKind maps a connector.class value, canonical or one of the
// aliases users know from Confluent's connectors (JdbcSourceConnector,
// JdbcSinkConnector, the Confluent DynamoDbSinkConnector), to its kind and
// canonical class. Surrounding spaces are ignored. An unknown class is an
// error listing the known ones.
func ConnectorKind(class string) (Kind, string, error) {
	c, ok := classes[strings.TrimSpace(class)]
	if !ok {
		known := slices.Sorted(maps.Keys(classes))
		return 0, "", fmt.Errorf("config: unknown %s %q; known: %s", KeyConnectorClass, class, strings.Join(known, ", "))
	}
	return c.kind, c.canonical, nil
}

// ConnectorClasses returns every accepted connector.class value (canonical
// classes and aliases), sorted.
func ConnectorClasses() []string { return slices.Sorted(maps.Keys(classes)) }
