package reliability

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	ddbsink "github.com/serverless-kafka-connect/slkc/connectors/dynamodb"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
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
	seed := testSeed(t)
	for run := 0; run < runs(); run++ {
		rng := NewRand(seed + uint64(run))
		var dups int
		ok := t.Run(fmt.Sprintf("run%02d", run), func(t *testing.T) {
			env := testenv.New(t)
			table := env.DynamoTable(t, &dynamodb.CreateTableInput{
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeN}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			})
			px, err := NewProxy(HostPort(env.DynamoEndpoint()))
			if err != nil {
				t.Fatal(err)
			}
			defer px.Close()
			cl := dynamodb.NewFromConfig(env.AWSConfig(t), func(o *dynamodb.Options) {
				o.BaseEndpoint = aws.String("http://" + px.Addr())
				o.RetryMaxAttempts = 1
			})
			cfg, err := ddbsink.ParseConfig(map[string]string{"table.name.format": table, "aws.dynamodb.pk.hash": "value.id",
				"aws.dynamodb.pk.sort": "", ddbsink.KeyMaxRetryTime: "1"})
			if err != nil {
				t.Fatal(err)
			}
			sink, err := ddbsink.NewSink(cfg, cl)
			if err != nil {
				t.Fatal(err)
			}
			dest := &countingDest{inner: sink}
			conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}, false)
			if err != nil {
				t.Fatal(err)
			}
			task := &sinktask.Task{Name: "rel-ddb-sink", Destination: dest, KeyConverter: conv, ValueConverter: conv,
				Tolerance: sinktask.ToleranceNone, ReportBatchItemFailures: rng.IntN(2) == 0, Logger: quietLogger()}
			recs, want := genBatch(rng, "orders", 40+rng.IntN(100), 2, 20, nil)
			cutFrom, cutTo := 1, 2+rng.IntN(3) // unavailable for 1 to 3 invocations
			e := &esm{task: task, batch: 5 + rng.IntN(30), maxCalls: 200, beforeCall: func(call int) {
				switch call {
				case cutFrom:
					px.Cut()
				case cutTo:
					px.Restore()
				}
			}}
			if pending := e.deliver(t, recs); len(pending) > 0 {
				t.Fatalf("records never delivered: %v", pending)
			}
			px.Restore()
			for _, err := range e.errs {
				if errclass.IsPermanent(err) {
					t.Errorf("outage failure classified permanent: %v", err)
				}
			}
			if cutFrom <= e.calls && len(e.errs)+len(e.failures) == 0 {
				t.Errorf("no invocation failed while DynamoDB was cut (calls %d..%d of %d)", cutFrom, cutTo, e.calls)
			}
			got := dynamoDigest(t, env.Dynamo(t), table)
			if !equalStrings(got, want) {
				t.Errorf("table has %d items, want %d; %s", len(got), len(want), firstDiff(got, want))
			}
			dups = dest.applied - len(recs)
		})
		tally.Add("sink/dynamodb-unavailable-then-back", Figures{Runs: 1, Passes: b2i(ok), Duplicates: max(0, dups)})
	}
}
