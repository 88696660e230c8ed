package dynamodb

import (
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// TestReferenceIsCurrent fails when the checked-in REFERENCE.md differs
// from what the key definitions generate; SLKC_UPDATE_REFERENCE=1
// regenerates it.
func TestReferenceIsCurrent(t *testing.T) {
	text := connectors.Reference("DynamoDB sink", "`TestReferenceIsCurrent` (connectors/dynamodb/reference_test.go)", Plugin)
	if err := config.CheckReference("REFERENCE.md", text); err != nil {
		t.Fatal(err)
	}
}
