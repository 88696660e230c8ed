package config

// The connector classes the tests of this package use, registered as the
// connectors registry registers them in the functions (connectors/all):
// this package cannot import the connectors, which import it.
const (
	MySQLSourceClass  = "io.slkc.connect.mysql.MySqlSourceConnector"
	MySQLSinkClass    = "io.slkc.connect.mysql.MySqlSinkConnector"
	DynamoDBSinkClass = "io.slkc.connect.dynamodb.DynamoDbSinkConnector"
	MySQLCDCClass     = "io.debezium.connector.mysql.MySqlConnector"
	MariaDBCDCClass   = "io.debezium.connector.mariadb.MariaDbConnector"
)

func init() {
	RegisterClass(Source, MySQLSourceClass, "io.confluent.connect.jdbc.JdbcSourceConnector")
	RegisterClass(Sink, MySQLSinkClass, "io.confluent.connect.jdbc.JdbcSinkConnector")
	RegisterClass(Sink, DynamoDBSinkClass, "io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector")
	RegisterClass(Source, MySQLCDCClass)
	RegisterClass(Source, MariaDBCDCClass)
}
