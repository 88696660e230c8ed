package reliability

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// offsetVersion is one version of an offset item as DynamoDB stored it.
type offsetVersion struct {
	Connector, Partition string
	Version              int64
	Position             connectors.Position
}

// streamedOffsetsTable creates an offsets table whose DynamoDB stream
// records every item version written (NEW_IMAGE), so the history of every
// offset can be read back whichever code path wrote it.
func streamedOffsetsTable(t *testing.T, env *testenv.Env) string {
	t.Helper()
	in := state.OffsetsTableInput("offsets")
	in.StreamSpecification = &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewImage}
	return env.DynamoTable(t, in)
}

// offsetHistory reads every offset version written to table from its
// stream, in stream order.
func offsetHistory(t *testing.T, env *testenv.Env, table string) []offsetVersion {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	desc, err := env.Dynamo(t).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil || desc.Table.LatestStreamArn == nil {
		t.Fatalf("offsets table %s has no stream: %v", table, err)
	}
	st := dynamodbstreams.NewFromConfig(env.AWSConfig(t), func(o *dynamodbstreams.Options) {
		if ep := env.DynamoEndpoint(); ep != "" {
			o.BaseEndpoint = aws.String(ep)
		}
	})
	var shards []streamtypes.Shard
	var start *string
	for {
		d, err := st.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: desc.Table.LatestStreamArn, ExclusiveStartShardId: start})
		if err != nil {
			t.Fatalf("describe stream of %s: %v", table, err)
		}
		shards = append(shards, d.StreamDescription.Shards...)
		if start = d.StreamDescription.LastEvaluatedShardId; start == nil {
			break
		}
	}
	var out []offsetVersion
	for _, sh := range shards {
		it, err := st.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: desc.Table.LatestStreamArn,
			ShardId: sh.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon})
		if err != nil {
			t.Fatalf("shard iterator of %s: %v", table, err)
		}
		for next := it.ShardIterator; next != nil; {
			recs, err := st.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: next})
			if err != nil {
				t.Fatalf("read stream of %s: %v", table, err)
			}
			for _, r := range recs.Records {
				if r.Dynamodb == nil || r.Dynamodb.NewImage == nil {
					continue // a delete (none are expected)
				}
				img := r.Dynamodb.NewImage
				v, _ := strconv.ParseInt(streamN(img, "version"), 10, 64)
				out = append(out, offsetVersion{Connector: streamS(img, "connector"), Partition: streamS(img, "partition"),
					Version: v, Position: connectors.Position(streamS(img, "offset"))})
			}
			if len(recs.Records) == 0 {
				break // an open shard has no end; empty means caught up
			}
			next = recs.NextShardIterator
		}
	}
	return out
}

func streamS(img map[string]streamtypes.AttributeValue, k string) string {
	if v, ok := img[k].(*streamtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func streamN(img map[string]streamtypes.AttributeValue, k string) string {
	if v, ok := img[k].(*streamtypes.AttributeValueMemberN); ok {
		return v.Value
	}
	return ""
}

// checkOffsetHistory returns an error unless, for every offset item, the
// versions written are exactly 1, 2, ..., n (none lost, none written twice)
// and each version's position is not before the previous one's in the
// mode's read order. It returns the number of versions checked.
func checkOffsetHistory(history []offsetVersion, mode mysql.Mode) (int, error) {
	byItem := map[string][]offsetVersion{}
	for _, v := range history {
		k := v.Connector + " " + v.Partition
		byItem[k] = append(byItem[k], v)
	}
	n := 0
	for k, vs := range byItem {
		slices.SortStableFunc(vs, func(a, b offsetVersion) int { return cmp.Compare(a.Version, b.Version) })
		for i, v := range vs {
			if v.Version != int64(i+1) {
				return n, fmt.Errorf("offset %s: version %d written where %d was due (versions %v)", k, v.Version, i+1, versionsOf(vs))
			}
			n++
			if i == 0 {
				continue
			}
			c, err := comparePositions(vs[i-1].Position, v.Position, mode)
			if err != nil {
				return n, fmt.Errorf("offset %s version %d: %w", k, v.Version, err)
			}
			if c > 0 {
				return n, fmt.Errorf("offset %s moved backwards: version %d %s after version %d %s", k, v.Version, v.Position, vs[i-1].Version, vs[i-1].Position)
			}
		}
	}
	return n, nil
}

func versionsOf(vs []offsetVersion) []int64 {
	out := make([]int64, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

// comparePositions orders two stored positions as the mode reads rows:
// incrementing by id, timestamp by (time, key), timestamp+incrementing by
// (time, id).
func comparePositions(a, b connectors.Position, mode mysql.Mode) (int, error) {
	pa, err := mysql.ParsePosition(a)
	if err != nil {
		return 0, err
	}
	pb, err := mysql.ParsePosition(b)
	if err != nil {
		return 0, err
	}
	inc := func(p mysql.SourcePosition) int64 {
		if p.Incrementing == nil {
			return -1
		}
		return *p.Incrementing
	}
	if mode == mysql.ModeIncrementing {
		return cmp.Compare(inc(pa), inc(pb)), nil
	}
	ta, _ := pa.Time()
	tb, _ := pb.Time()
	if c := ta.Compare(tb); c != 0 {
		return c, nil
	}
	if mode == mysql.ModeTimestampIncrementing {
		return cmp.Compare(inc(pa), inc(pb)), nil
	}
	key := func(p mysql.SourcePosition) int64 {
		if len(p.Key) != 1 {
			return -1
		}
		var k int64
		_ = json.Unmarshal(p.Key[0], &k)
		return k
	}
	return cmp.Compare(key(pa), key(pb)), nil
}

// TestOffsetHistoryFromStream checks the history reader on DynamoDB Local:
// three commits under a lease and a manual Put are all read back with
// their versions.
func TestOffsetHistoryFromStream(t *testing.T) {
	env := testenv.New(t)
	table := streamedOffsetsTable(t, env)
	store := state.NewOffsetStore(env.Dynamo(t), table)
	leases := state.NewLeaseStore(env.Dynamo(t), env.DynamoTable(t, state.LeasesTableInput("leases")))
	ctx := context.Background()
	lease, err := leases.Acquire(ctx, "c", "run-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p := mysql.TablePartition("db", "t")
	v := int64(0)
	for _, pos := range []string{`{"incrementing":3}`, `{"incrementing":5}`, `{"incrementing":9}`} {
		if v, err = store.Commit(ctx, lease, p, connectors.Position(pos), v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Put(ctx, "c", p, connectors.Position(`{"incrementing":4}`), v); err != nil {
		t.Fatal(err)
	}
	h := offsetHistory(t, env, table)
	if len(h) != 4 || string(h[3].Position) != `{"incrementing":4}` || h[3].Version != 4 {
		t.Fatalf("history = %+v; want the 4 versions", h)
	}
	if _, err := checkOffsetHistory(h[:3], mysql.ModeIncrementing); err != nil {
		t.Errorf("forward history rejected: %v", err)
	}
	if _, err := checkOffsetHistory(h, mysql.ModeIncrementing); err == nil {
		t.Error("the manual Put back to 4 was not reported as a backwards move")
	}
}
