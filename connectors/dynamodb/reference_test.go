package dynamodb

import (
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// TestReferenceIsCurrent fails when the checked-in REFERENCE.md differs
// from what the key definitions generate; SLKC_UPDATE_REFERENCE=1
// regenerates it.
func TestReferenceIsCurrent(t *testing.T) {
	text := config.Reference("DynamoDB sink", "`TestReferenceIsCurrent` (connectors/dynamodb/reference_test.go)",
		config.ReferenceSection{Heading: "Sink (`" + config.DynamoDBSinkClass + "`, alias `io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector`)",
			Def: config.FrameworkDef(config.Sink).Merge(ConfigDef()).Merge(CompatDef())})
	if err := config.CheckReference("REFERENCE.md", text); err != nil {
		t.Fatal(err)
	}
}
