package testenv

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// These tests prove the real local stack does what every later integration
// test relies on.

func TestKafkaProduceConsumeWithCommittedOffsets(t *testing.T) {
	env := New(t)
	topic := env.Topic(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	prod := env.Kafka(t, kgo.RequiredAcks(kgo.AllISRAcks()), kgo.DefaultProduceTopic(topic))
	const n = 300
	for i := 0; i < n; i++ {
		r := &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i%17)), Value: []byte(fmt.Sprintf("v%d", i))}
		prod.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				t.Errorf("produce: %v", err)
			}
		})
	}
	if err := prod.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	group := UniqueName(t, "g", 100)
	consume := func(max int) int {
		cl := env.Kafka(t, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
		got := 0
		for got < max {
			fs := cl.PollRecords(ctx, max-got)
			if err := ctx.Err(); err != nil {
				t.Fatalf("consumed %d of %d before timeout", got, max)
			}
			fs.EachError(func(tp string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", tp, p, err) })
			got += fs.NumRecords()
		}
		if err := cl.CommitUncommittedOffsets(ctx); err != nil {
			t.Fatalf("commit: %v", err)
		}
		cl.Close()
		return got
	}
	// First member reads and commits 100; the next resumes after the commit.
	first := consume(100)
	adm := env.KafkaAdmin(t)
	offs, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	var committed int64
	offs.Each(func(o kadm.OffsetResponse) { committed += o.At })
	if committed != int64(first) {
		t.Fatalf("committed offsets sum to %d, want %d", committed, first)
	}
	rest := consume(n - first)
	if first+rest != n {
		t.Fatalf("consumed %d, want %d", first+rest, n)
	}
	lag, err := adm.Lag(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	if total := lag[group].Lag.Total(); total != 0 {
		t.Fatalf("lag after consuming everything = %d, want 0", total)
	}
}

func TestDynamoDBConditionalWritesAndTransactions(t *testing.T) {
	env := New(t)
	cl := env.Dynamo(t)
	table := env.DynamoTable(t, &dynamodb.CreateTableInput{
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	ctx := context.Background()
	put := func(version int) error {
		_, err := cl.PutItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(table),
			Item: map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: "a"},
				"v":  &types.AttributeValueMemberN{Value: fmt.Sprint(version)},
			},
			ConditionExpression:       aws.String("attribute_not_exists(pk) OR v < :v"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: fmt.Sprint(version)}},
		})
		return err
	}
	if err := put(2); err != nil {
		t.Fatalf("first put: %v", err)
	}
	var ccf *types.ConditionalCheckFailedException
	if err := put(1); !errors.As(err, &ccf) {
		t.Fatalf("older version put: got %v, want ConditionalCheckFailedException", err)
	}
	_, err := cl.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(table),
		Key:                       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}},
		UpdateExpression:          aws.String("SET v = v + :one"),
		ConditionExpression:       aws.String("v = :expect"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}, ":expect": &types.AttributeValueMemberN{Value: "9"}},
	})
	if !errors.As(err, &ccf) {
		t.Fatalf("update with wrong expected version: got %v, want ConditionalCheckFailedException", err)
	}

	// A transaction is all or nothing: one failing condition cancels both writes.
	_, err = cl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b"}}}},
		{ConditionCheck: &types.ConditionCheck{TableName: aws.String(table),
			Key:                       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}},
			ConditionExpression:       aws.String("v = :x"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":x": &types.AttributeValueMemberN{Value: "100"}}}},
	}})
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		t.Fatalf("transaction with failing condition: got %v, want TransactionCanceledException", err)
	}
	got, err := cl.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b"}}})
	if err != nil || got.Item != nil {
		t.Fatalf("cancelled transaction wrote item b: %v %v", got.Item, err)
	}
	_, err = cl.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b"}}}},
		{Update: &types.Update{TableName: aws.String(table),
			Key:                       map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}},
			UpdateExpression:          aws.String("SET v = :n"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: "3"}}}},
	}})
	if err != nil {
		t.Fatalf("transaction: %v", err)
	}
	got, err = cl.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}})
	if err != nil || got.Item["v"].(*types.AttributeValueMemberN).Value != "3" {
		t.Fatalf("transaction did not update a: %v %v", got.Item, err)
	}
}

func TestMariaDBDecimalAndDatetime6(t *testing.T) {
	env := New(t)
	db, _ := env.MySQLDatabase(t)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE orders (
		id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
		amount DECIMAL(20,4) NOT NULL,
		created DATETIME(6) NOT NULL,
		note VARCHAR(64) CHARACTER SET utf8mb4 NULL)`); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 11, 23, 10, 11, 12, 123456000, time.UTC)
	if _, err := db.ExecContext(ctx, "INSERT INTO orders (amount, created, note) VALUES (?, ?, ?), (?, ?, NULL)",
		"12345678901234.5678", ts, "naïve 🚀", "-0.0001", ts.Add(time.Microsecond)); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT amount, created, note FROM orders ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type row struct {
		amount  string
		created time.Time
		note    *string
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.amount, &r.created, &r.note); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d rows", len(got))
	}
	if got[0].amount != "12345678901234.5678" || got[1].amount != "-0.0001" {
		t.Fatalf("decimals not exact: %q %q", got[0].amount, got[1].amount)
	}
	if !got[0].created.Equal(ts) || !got[1].created.Equal(ts.Add(time.Microsecond)) {
		t.Fatalf("DATETIME(6) lost precision: %v %v", got[0].created, got[1].created)
	}
	if got[0].note == nil || *got[0].note != "naïve 🚀" || got[1].note != nil {
		t.Fatalf("utf8mb4/NULL round trip: %v %v", got[0].note, got[1].note)
	}
	var format string
	if err := db.QueryRowContext(ctx, "SELECT @@binlog_format").Scan(&format); err != nil || format != "ROW" {
		t.Fatalf("binlog_format = %q (%v), want ROW", format, err)
	}
	// The local stack bounds its binlogs (localstack/stack.sh, compose.yaml).
	var size, expire int64
	if err := db.QueryRowContext(ctx, "SELECT @@max_binlog_size, @@binlog_expire_logs_seconds").Scan(&size, &expire); err != nil || size != 256<<20 || expire != 3600 {
		t.Fatalf("max_binlog_size %d, binlog_expire_logs_seconds %d (%v); want 256 MiB and 3600", size, expire, err)
	}
}
