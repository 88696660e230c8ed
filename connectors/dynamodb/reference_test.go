package dynamodb

import (
	"os"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// referencePath is the generated config reference of the DynamoDB sink.
// Regenerate it with SLKC_UPDATE_REFERENCE=1 go test -run
// TestReferenceIsCurrent ./connectors/dynamodb.
const referencePath = "REFERENCE.md"

func reference() string {
	var b strings.Builder
	b.WriteString("# DynamoDB sink: config reference\n\n")
	b.WriteString("Generated from the key definitions by `TestReferenceIsCurrent` (connectors/dynamodb/reference_test.go); do not edit.\n")
	b.WriteString("Status: **honoured** keys work as documented; keys with a **serverless meaning** are accepted only with the values ")
	b.WriteString("that match what the function does (the reason says why); **refused** keys are refused whatever their value.\n\n")
	b.WriteString("## Sink (`" + config.DynamoDBSinkClass + "`, alias `io.confluent.connect.aws.dynamodb.DynamoDbSinkConnector`)\n\n")
	b.WriteString(config.FrameworkDef(config.Sink).Merge(ConfigDef()).Merge(CompatDef()).Markdown())
	return b.String()
}

// TestReferenceIsCurrent fails when the checked-in REFERENCE.md differs
// from what the definitions generate.
func TestReferenceIsCurrent(t *testing.T) {
	want := reference()
	if os.Getenv("SLKC_UPDATE_REFERENCE") == "1" {
		if err := os.WriteFile(referencePath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is stale: run SLKC_UPDATE_REFERENCE=1 go test -run TestReferenceIsCurrent ./connectors/dynamodb", referencePath)
	}
}
