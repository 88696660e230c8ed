package reliability

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ddbsink "github.com/serverless-kafka-connect/slkc/connectors/dynamodb"
	"github.com/serverless-kafka-connect/slkc/shared/sinktask"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// dynamoDigest scans table and returns "id=v" per item, sorted.
func dynamoDigest(t *testing.T, cl *dynamodb.Client, table string) []string {
	t.Helper()
	var out []string
	p := dynamodb.NewScanPaginator(cl, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, it := range page.Items {
			id, _ := it["id"].(*types.AttributeValueMemberN)
			v, _ := it["v"].(*types.AttributeValueMemberS)
			if id == nil || v == nil {
				t.Fatalf("item %v lacks id (N) or v (S)", it)
			}
			out = append(out, fmt.Sprintf("%s=%s", id.Value, v.Value))
		}
	}
	sort.Strings(out)
	return out
}

// TestSinkDynamoDBUnavailable: DynamoDB is unreachable (the test's proxy
// in front of DynamoDB Local cut) for some invocations, then back; failed
// invocations are retryable, are redelivered, and the table ends equal to
// the expected state.
func TestSinkDynamoDBUnavailable(t *testing.T) {
	runMatrix(t, "sink/dynamodb-unavailable-then-back", runs(), func(t *testing.T, rng *rand.Rand) Figures {
		env := testenv.New(t)
		table := env.DynamoTable(t, &dynamodb.CreateTableInput{
			AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeN}},
			KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		})
		px := newProxy(t, HostPort(env.DynamoEndpoint()))
		cfg, err := ddbsink.ParseConfig(map[string]string{"table.name.format": table, "aws.dynamodb.pk.hash": "value.id",
			"aws.dynamodb.pk.sort": "", ddbsink.KeyMaxRetryTime: "1"})
		if err != nil {
			t.Fatal(err)
		}
		sink, err := ddbsink.NewSink(cfg, dynamoVia(t, env, px, 1))
		if err != nil {
			t.Fatal(err)
		}
		dest := &countingDest{inner: sink}
		_, conv := jsonConverters(t)
		task := &sinktask.Task{Name: "rel-ddb-sink", Destination: dest, KeyConverter: conv, ValueConverter: conv,
			Tolerance: sinktask.ToleranceNone, ReportBatchItemFailures: rng.IntN(2) == 0, Logger: quietLogger()}
		recs, want := genBatch(rng, "orders", 40+rng.IntN(100), 2, 20, nil)
		deliverThroughOutage(t, rng, task, px, recs, "DynamoDB")
		checkDigest(t, "DynamoDB table "+table, dynamoDigest(t, env.Dynamo(t), table), want)
		return Figures{Duplicates: max(0, dest.applied-len(recs))}
	})
}
