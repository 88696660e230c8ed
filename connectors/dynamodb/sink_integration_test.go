package dynamodb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// hashTable creates a table with a string hash key "id" (and optionally a
// numeric sort key) and returns its name and a client.
func hashTable(t testing.TB, sortKey string) (string, *dynamodb.Client) {
	t.Helper()
	env := testenv.New(t)
	cl := env.Dynamo(t)
	in := &dynamodb.CreateTableInput{
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}
	if sortKey != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(sortKey), AttributeType: types.ScalarAttributeTypeN})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(sortKey), KeyType: types.KeyTypeRange})
	}
	return env.DynamoTable(t, in), cl
}

func integrationSink(t testing.TB, cl DynamoAPI, table string, kv ...string) *Sink {
	t.Helper()
	props := map[string]string{"table.name.format": table, "aws.dynamodb.pk.hash": "key.id", "aws.dynamodb.pk.sort": "", "delete.enabled": "true"}
	for i := 0; i+1 < len(kv); i += 2 {
		props[kv[i]] = kv[i+1]
	}
	cfg, err := ParseConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSink(cfg, cl)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// avString renders an attribute value deterministically (map keys sorted).
func avString(av types.AttributeValue) string {
	switch a := av.(type) {
	case *types.AttributeValueMemberS:
		return fmt.Sprintf("S%q", a.Value)
	case *types.AttributeValueMemberN:
		return "N" + a.Value
	case *types.AttributeValueMemberB:
		return "B" + hex.EncodeToString(a.Value)
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint("BOOL", a.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberL:
		parts := make([]string, len(a.Value))
		for i, e := range a.Value {
			parts[i] = avString(e)
		}
		return "L[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		return "M{" + itemString(a.Value) + "}"
	}
	return fmt.Sprintf("?%T", av)
}

func itemString(m map[string]types.AttributeValue) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + avString(m[k])
	}
	return strings.Join(parts, ",")
}

// scan returns every item keyed by its "id" attribute plus a checksum over
// the sorted items.
func scan(t *testing.T, cl *dynamodb.Client, table string) (map[string]map[string]types.AttributeValue, string) {
	t.Helper()
	items := map[string]map[string]types.AttributeValue{}
	var lines []string
	p := dynamodb.NewScanPaginator(cl, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			id := avString(it["id"])
			if s, ok := it["id"].(*types.AttributeValueMemberS); ok {
				id = s.Value
			}
			items[id] = it
			lines = append(lines, itemString(it))
		}
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return items, hex.EncodeToString(sum[:])
}

func write(t *testing.T, s *Sink, recs []connect.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Write(ctx, recs); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

var orderSchema = connect.NewStructSchema("order",
	connect.Field{Name: "n", Schema: connect.Primitive(connect.Int64)},
	connect.Field{Name: "amount", Schema: connect.DecimalSchema(2, 20)},
	connect.Field{Name: "note", Schema: connect.Primitive(connect.String).Optionally()},
)

var idKeySchema = connect.NewStructSchema("key", connect.Field{Name: "id", Schema: connect.Primitive(connect.String)})

func orderRec(off int64, id string, n int64, note any) connect.Record {
	k := connect.NewStruct(idKeySchema)
	k.Values[0] = id
	r := connect.Record{Topic: "orders", Offset: off, KeySchema: idKeySchema, Key: k}
	if n >= 0 {
		v := connect.NewStruct(orderSchema)
		copy(v.Values, []any{n, connect.Decimal{Unscaled: big.NewInt(n*100 + 5), Scale: 2}, note})
		r.ValueSchema, r.Value = orderSchema, v
	}
	return r
}

func TestSinkIntegrationPutDeleteReplay(t *testing.T) {
	table, cl := hashTable(t, "")
	s := integrationSink(t, cl, table)
	const n = 10_000
	recs := make([]connect.Record, 0, n)
	for i := int64(0); i < n; i++ {
		id := fmt.Sprintf("k%05d", i%9000)
		switch {
		case i%1000 == 999:
			recs = append(recs, orderRec(i, id, -1, nil)) // tombstone
		default:
			recs = append(recs, orderRec(i, id, i, fmt.Sprint("note ", i)))
		}
	}
	var sums []string
	for round := 0; round < 3; round++ {
		var ms runtime.MemStats
		start := time.Now()
		write(t, s, recs)
		d := time.Since(start)
		runtime.ReadMemStats(&ms)
		t.Logf("round %d: %d records in %v (%.0f records/s), heap in use %d MiB", round, n, d, n/d.Seconds(), ms.HeapInuse>>20)
		_, sum := scan(t, cl, table)
		sums = append(sums, sum)
	}
	if sums[0] != sums[1] || sums[1] != sums[2] {
		t.Errorf("table changed across replays: %v", sums)
	}
	items, _ := scan(t, cl, table)
	if len(items) != 9000-9 {
		t.Errorf("items = %d, want %d (9 keys deleted)", len(items), 9000-9)
	}
	it := items["k00005"]
	if avString(it["n"]) != "N9005" || avString(it["amount"]) != "N9005.05" || avString(it["note"]) != `S"note 9005"` {
		t.Errorf("k00005 = %s, want the last write (9005)", itemString(it))
	}
	if _, ok := items["k01999"]; ok {
		t.Error("k01999 should be deleted")
	}
}

func TestSinkIntegrationAttributeMapping(t *testing.T) {
	table, cl := hashTable(t, "")
	s := integrationSink(t, cl, table, "aws.dynamodb.pk.hash", "value.id", "delete.enabled", "false")
	unscaled, _ := new(big.Int).SetString("-123456789012345678901234567890123456", 10)
	value := map[string]any{"id": "x1", "nested": map[string]any{"l": []any{int64(1), "two", nil, true}}}
	schema := connect.NewStructSchema("all",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.String)},
		connect.Field{Name: "dec", Schema: connect.DecimalSchema(2, 38)},
		connect.Field{Name: "bin", Schema: connect.Primitive(connect.Bytes)},
		connect.Field{Name: "ts", Schema: connect.TimestampSchema()},
		connect.Field{Name: "f", Schema: connect.Primitive(connect.Float64)},
		connect.Field{Name: "m", Schema: &connect.Schema{Type: connect.Map, Keys: connect.Primitive(connect.String), Values: connect.Primitive(connect.Int32)}},
	)
	sv := connect.NewStruct(schema)
	copy(sv.Values, []any{"x2", connect.Decimal{Unscaled: unscaled, Scale: 2}, []byte{0, 255}, time.UnixMilli(1700000000123).UTC(), 0.1,
		[]connect.MapEntry{{Key: "a", Value: int32(1)}}})
	write(t, s, []connect.Record{
		{Topic: "t", Offset: 1, Value: value},
		{Topic: "t", Offset: 2, ValueSchema: schema, Value: sv},
	})
	items, _ := scan(t, cl, table)
	if got := itemString(items["x1"]); got != `id=S"x1",nested=M{l=L[N1,S"two",NULL,BOOLtrue]}` {
		t.Errorf("x1 = %s", got)
	}
	if got := itemString(items["x2"]); got != `bin=B00ff,dec=N-1234567890123456789012345678901234.56,f=N0.1,id=S"x2",m=M{a=N1},ts=N1700000000123` {
		t.Errorf("x2 = %s", got)
	}
}

func TestSinkIntegrationConditional(t *testing.T) {
	table, cl := hashTable(t, "")
	s := integrationSink(t, cl, table, "write.mode", "conditional")
	newer := []connect.Record{orderRec(100, "a", 100, "new"), orderRec(101, "b", 101, "new"), orderRec(102, "c", -1, nil)}
	older := []connect.Record{orderRec(50, "a", 50, "old"), orderRec(51, "b", 51, "old"), orderRec(52, "c", 52, "old"), orderRec(53, "d", 53, "old")}
	write(t, s, older)
	write(t, s, newer)
	_, sum := scan(t, cl, table)
	// Replaying the older batch (and the newer one) changes nothing.
	write(t, s, older)
	write(t, s, newer)
	items, again := scan(t, cl, table)
	if sum != again {
		t.Error("replay of older records changed the table")
	}
	if avString(items["a"]["note"]) != `S"new"` || avString(items["a"][OffsetVersionAttribute]) != "N100" {
		t.Errorf("a = %s, want the newer write", itemString(items["a"]))
	}
	if _, ok := items["c"]; ok {
		t.Error("c should be deleted by the newer tombstone")
	}
	if avString(items["d"]["note"]) != `S"old"` {
		t.Errorf("d = %s", itemString(items["d"]))
	}

	t.Run("version field", func(t *testing.T) {
		table, cl := hashTable(t, "")
		s := integrationSink(t, cl, table, "write.mode", "conditional", "version.field", "n")
		write(t, s, []connect.Record{orderRec(1, "a", 7, "v7")})
		write(t, s, []connect.Record{orderRec(2, "a", 3, "v3")}) // lower version, later offset
		items, _ := scan(t, cl, table)
		if avString(items["a"]["note"]) != `S"v7"` {
			t.Errorf("a = %s, want version 7 kept", itemString(items["a"]))
		}
		write(t, s, []connect.Record{orderRec(3, "a", 8, "v8")})
		items, _ = scan(t, cl, table)
		if avString(items["a"]["note"]) != `S"v8"` {
			t.Errorf("a = %s, want version 8", itemString(items["a"]))
		}
	})
}

func TestSinkIntegrationPerRecordErrors(t *testing.T) {
	table, cl := hashTable(t, "")
	s := integrationSink(t, cl, table)
	recs := []connect.Record{
		orderRec(0, "a", 1, "ok"),
		orderRec(1, "big", 2, strings.Repeat("x", 410*1024)), // over the 400 KB item limit
		orderRec(2, "c", 3, "ok"),
		{Topic: "orders", Offset: 3, Value: map[string]any{"no": "key"}},
	}
	err := s.Write(context.Background(), recs)
	var be *connectors.BatchError
	if !errors.As(err, &be) {
		t.Fatalf("want BatchError, got %v", err)
	}
	if len(be.Failed) != 2 || be.Failed[1] == nil || be.Failed[3] == nil {
		t.Fatalf("failed = %v, want records 1 and 3", be)
	}
	for i, e := range be.Failed {
		if !errclass.IsPermanent(e) {
			t.Errorf("record %d: %v is not permanent", i, e)
		}
	}
	items, _ := scan(t, cl, table)
	if len(items) != 2 || items["a"] == nil || items["c"] == nil {
		t.Errorf("items = %d, want a and c written", len(items))
	}

	t.Run("key of the wrong type", func(t *testing.T) {
		// The table's hash key is a string; partition numbers are N.
		s := integrationSink(t, cl, table, "aws.dynamodb.pk.hash", "partition:id", "delete.enabled", "false")
		err := s.Write(context.Background(), []connect.Record{{Topic: "orders", Partition: 1, Value: map[string]any{"v": "x"}}})
		if !errors.As(err, &be) || len(be.Failed) != 1 {
			t.Fatalf("want 1 failed record, got %v", err)
		}
	})
	t.Run("missing table fails the batch", func(t *testing.T) {
		s := integrationSink(t, cl, "no-such-table-slkc")
		err := s.Write(context.Background(), []connect.Record{orderRec(0, "a", 1, "x")})
		if err == nil || errors.As(err, &be) {
			t.Fatalf("want whole-batch error, got %v", err)
		}
	})
}

// BenchmarkSinkIntegrationPut10k measures Write of a 10,000-record batch
// (distinct keys, BatchWriteItem) into DynamoDB.
func BenchmarkSinkIntegrationPut10k(b *testing.B) {
	table, cl := hashTable(b, "")
	s := integrationSink(b, cl, table)
	s.log = slog.New(slog.DiscardHandler)
	const n = 10_000
	recs := make([]connect.Record, n)
	for i := range recs {
		recs[i] = orderRec(int64(i), fmt.Sprintf("k%05d", i), int64(i), "note")
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.Write(context.Background(), recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}
