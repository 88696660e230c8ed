// Package all registers every connector of the project: importing it (the
// functions, slkc-local and the CDK app do) makes each connector's classes,
// key definitions, constructors and error classifier known to the
// connectors registry. Adding a connector is its package plus one line
// here.
package all

import (
	_ "github.com/serverless-kafka-connect/slkc/connectors/binlog"   // io.debezium.connector.{mysql.MySql,mariadb.MariaDb}Connector
	_ "github.com/serverless-kafka-connect/slkc/connectors/dynamodb" // io.slkc.connect.dynamodb.DynamoDbSinkConnector
	_ "github.com/serverless-kafka-connect/slkc/connectors/mysql"    // io.slkc.connect.mysql.MySql{Source,Sink}Connector
)
