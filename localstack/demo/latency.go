package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
)

// Observed is the latest (amount, status) a sink shows for an id.
type Observed struct {
	Cents  int64
	Status string
}

// Lookup reads the current amount and status of ids from one sink; ids it
// does not have are absent from the result.
type Lookup func(ctx context.Context, ids []int64) (map[int64]Observed, error)

// Tracker times changes from their source commit until a sink shows them.
// It samples every Interval, so a latency is precise to about Interval.
// Safe for concurrent Add and Poll.
type Tracker struct {
	Sink     string
	Lookup   Lookup
	Interval time.Duration

	mu      sync.Mutex
	pending map[int64]Change
	samples []time.Duration
}

// NewTracker returns a tracker for one sink; interval defaults to 100 ms.
func NewTracker(sink string, lookup Lookup, interval time.Duration) *Tracker {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	return &Tracker{Sink: sink, Lookup: lookup, Interval: interval, pending: map[int64]Change{}}
}

// Add starts timing changes.
func (t *Tracker) Add(cs ...Change) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range cs {
		t.pending[c.ID] = c
	}
}

// Pending returns how many changes the sink does not show yet.
func (t *Tracker) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// Samples returns the measured latencies.
func (t *Tracker) Samples() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]time.Duration(nil), t.samples...)
}

// Poll looks the pending ids up once and records a latency (now − commit
// time) for every id whose sink row now shows the change's values.
func (t *Tracker) Poll(ctx context.Context) error {
	t.mu.Lock()
	ids := make([]int64, 0, len(t.pending))
	for id := range t.pending {
		ids = append(ids, id)
	}
	t.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	got, err := t.Lookup(ctx, ids)
	now := time.Now()
	if err != nil {
		return fmt.Errorf("demo: %s: %w", t.Sink, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for id, o := range got {
		c, ok := t.pending[id]
		if ok && o.Cents == c.Cents && o.Status == c.Status {
			t.samples = append(t.samples, now.Sub(c.Committed))
			delete(t.pending, id)
		}
	}
	return nil
}

// Run polls every Interval until ctx ends; lookup errors are retried.
func (t *Tracker) Run(ctx context.Context) {
	tick := time.NewTicker(t.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			_ = t.Poll(ctx)
		}
	}
}

// MySQLLookup reads amount and status of ids from db.table.
func MySQLLookup(conn *sql.DB, db, table string) Lookup {
	return func(ctx context.Context, ids []int64) (map[int64]Observed, error) {
		from, err := mysql.QuoteQualified(db + "." + table)
		if err != nil {
			return nil, err
		}
		out := map[int64]Observed{}
		for start := 0; start < len(ids); start += 500 {
			chunk := ids[start:min(start+500, len(ids))]
			args := make([]any, len(chunk))
			for i, id := range chunk {
				args[i] = id
			}
			q := "SELECT id, CAST(amount AS CHAR), status FROM " + from + " WHERE id IN (?" + strings.Repeat(",?", len(chunk)-1) + ")"
			rows, err := conn.QueryContext(ctx, q, args...)
			var me *gomysql.MySQLError
			if errors.As(err, &me) && me.Number == 1146 {
				return out, nil // not created yet
			}
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id int64
				var amount, status string
				if err := rows.Scan(&id, &amount, &status); err != nil {
					rows.Close()
					return nil, err
				}
				c, err := parseCents(amount)
				if err != nil {
					rows.Close()
					return nil, err
				}
				out[id] = Observed{Cents: c, Status: status}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
}

// BatchGetAPI is the part of *dynamodb.Client DynamoLookup uses.
type BatchGetAPI interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// DynamoLookup reads amount and status of ids from a table keyed by the
// number attribute "id", 100 keys per BatchGetItem (DynamoDB's limit),
// with consistent reads.
func DynamoLookup(api BatchGetAPI, table string) Lookup {
	return func(ctx context.Context, ids []int64) (map[int64]Observed, error) {
		out := map[int64]Observed{}
		for start := 0; start < len(ids); start += 100 {
			chunk := ids[start:min(start+100, len(ids))]
			keys := make([]map[string]types.AttributeValue, len(chunk))
			for i, id := range chunk {
				keys[i] = map[string]types.AttributeValue{"id": &types.AttributeValueMemberN{Value: strconv.FormatInt(id, 10)}}
			}
			req := map[string]types.KeysAndAttributes{table: {
				Keys: keys, ConsistentRead: aws.Bool(true),
				ProjectionExpression:     aws.String("id, amount, #s"),
				ExpressionAttributeNames: map[string]string{"#s": "status"},
			}}
			for len(req) > 0 {
				res, err := api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
				if err != nil {
					return nil, err
				}
				for _, item := range res.Responses[table] {
					d := itemDecoder{item: item}
					id, amount, status := d.int("id"), d.num("amount"), d.str("status")
					if d.err != nil {
						return nil, d.err
					}
					c, err := parseCents(amount)
					if err != nil {
						return nil, err
					}
					out[id] = Observed{Cents: c, Status: status}
				}
				req = res.UnprocessedKeys
			}
		}
		return out, nil
	}
}
