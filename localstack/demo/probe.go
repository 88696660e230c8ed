package demo

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	gomysql "github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
)

// Snapshot is the pipeline's state at one moment, as the progress line and
// the summary show it. Counts that could not be read are -1.
type Snapshot struct {
	Elapsed      time.Duration
	SourceRows   int64
	TopicRecords int64 // sum of the topic's high watermarks
	ReplicaRows  int64
	DynamoItems  int64
	DLQRecords   int64
	// Lag is each sink consumer group's lag (sum over partitions); a group
	// that has not committed yet lags by the whole topic.
	Lag map[string]int64
}

// Line renders the one-line progress view.
func (s Snapshot) Line(p Pipeline) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%5.1fs] source %s rows | topic %s %s records | %s.%s %s rows | dynamodb %s %s items",
		s.Elapsed.Seconds(), count(s.SourceRows), p.Source.Topic, count(s.TopicRecords),
		p.MySQLSink.Database, p.MySQLSink.Table, count(s.ReplicaRows), p.DynamoSink.Table, count(s.DynamoItems))
	lags := make([]string, 0, len(p.SinkConfigs))
	for _, sk := range p.SinkConfigs {
		if l, ok := s.Lag[sk.Group]; ok {
			lags = append(lags, fmt.Sprintf("%s %s", sk.Connector, count(l)))
		}
	}
	if len(lags) > 0 {
		b.WriteString(" | lag " + strings.Join(lags, ", "))
	}
	if s.DLQRecords > 0 {
		fmt.Fprintf(&b, " | DLQ %d", s.DLQRecords)
	}
	return b.String()
}

func count(n int64) string {
	if n < 0 {
		return "?"
	}
	return fmt.Sprint(n)
}

// Probe reads the counts of every stage.
type Probe struct {
	Pipeline Pipeline
	MySQL    *sql.DB
	Dynamo   *dynamodb.Client
	Admin    *kadm.Client
}

// Snapshot reads every count; a stage that cannot be read (e.g. the
// replica table before auto.create made it) reads as 0 when it does not
// exist yet and -1 on other errors, whose first is returned.
func (p *Probe) Snapshot(ctx context.Context) (Snapshot, error) {
	var errs []error
	keep := func(n int64, err error) int64 {
		if err != nil {
			errs = append(errs, err)
			return -1
		}
		return n
	}
	s := Snapshot{Lag: map[string]int64{}}
	s.SourceRows = keep(CountRows(ctx, p.MySQL, p.Pipeline.Source.Database, p.Pipeline.Source.Table))
	ends, err := p.endOffsets(ctx, p.Pipeline.Source.Topic)
	s.TopicRecords = keep(sum(ends), err)
	s.ReplicaRows = keep(CountRows(ctx, p.MySQL, p.Pipeline.MySQLSink.Database, p.Pipeline.MySQLSink.Table))
	s.DynamoItems = keep(CountItems(ctx, p.Dynamo, p.Pipeline.DynamoSink.Table))
	var dlq int64
	for _, t := range p.dlqTopics() {
		e, err := p.endOffsets(ctx, t)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		dlq += sum(e)
	}
	s.DLQRecords = dlq
	if err == nil {
		for _, sk := range p.Pipeline.SinkConfigs {
			lag, err := p.lag(ctx, sk.Group, p.Pipeline.Source.Topic, ends)
			s.Lag[sk.Group] = keep(lag, err)
		}
	}
	return s, errors.Join(errs...)
}

func (p *Probe) dlqTopics() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range p.Pipeline.SinkConfigs {
		if s.DLQTopic != "" && !seen[s.DLQTopic] {
			seen[s.DLQTopic] = true
			out = append(out, s.DLQTopic)
		}
	}
	return out
}

// endOffsets returns the high watermark of every partition of topic; a
// topic that does not exist yet has none.
func (p *Probe) endOffsets(ctx context.Context, topic string) (map[int32]int64, error) {
	listed, err := p.Admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("demo: end offsets of %s: %w", topic, err)
	}
	out := map[int32]int64{}
	for _, ps := range listed {
		for _, o := range ps {
			if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
				continue
			}
			if o.Err != nil {
				return nil, fmt.Errorf("demo: end offset of %s[%d]: %w", topic, o.Partition, o.Err)
			}
			out[o.Partition] = o.Offset
		}
	}
	return out, nil
}

// lag is Σ (high watermark − committed offset) over the topic's partitions;
// an uncommitted partition counts from 0 (the topic is created fresh).
func (p *Probe) lag(ctx context.Context, group, topic string, ends map[int32]int64) (int64, error) {
	committed, err := p.Admin.FetchOffsets(ctx, group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return 0, fmt.Errorf("demo: committed offsets of group %s: %w", group, err)
	}
	return Lag(ends, func(part int32) (int64, bool) {
		o, ok := committed.Lookup(topic, part)
		if !ok || o.Err != nil || o.At < 0 {
			return 0, false
		}
		return o.At, true
	}), nil
}

// Lag sums high watermark minus committed offset over ends' partitions;
// committed reports a partition's committed offset, false when none (which
// counts the whole partition).
func Lag(ends map[int32]int64, committed func(int32) (int64, bool)) int64 {
	var total int64
	for part, end := range ends {
		c, ok := committed(part)
		if !ok {
			c = 0
		}
		if end > c {
			total += end - c
		}
	}
	return total
}

func sum(m map[int32]int64) int64 {
	var t int64
	for _, v := range m {
		t += v
	}
	return t
}

// CountRows returns the number of rows of db.table, 0 when the table does
// not exist (yet).
func CountRows(ctx context.Context, conn *sql.DB, db, table string) (int64, error) {
	q, err := mysql.QuoteQualified(db + "." + table)
	if err != nil {
		return 0, fmt.Errorf("demo: table %s.%s: %w", db, table, err)
	}
	var n int64
	err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+q).Scan(&n)
	var me *gomysql.MySQLError
	if errors.As(err, &me) && (me.Number == 1146 || me.Number == 1049) { // no such table / database
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("demo: count rows of %s.%s: %w", db, table, err)
	}
	return n, nil
}

// CountItems returns the number of items of a DynamoDB table (a paginated
// COUNT scan), 0 when the table does not exist.
func CountItems(ctx context.Context, api ScanAPI, table string) (int64, error) {
	var n int64
	var start map[string]types.AttributeValue
	for {
		res, err := api.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table), Select: types.SelectCount, ExclusiveStartKey: start})
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("demo: count items of %s: %w", table, err)
		}
		n += int64(res.Count)
		if len(res.LastEvaluatedKey) == 0 {
			return n, nil
		}
		start = res.LastEvaluatedKey
	}
}

// Percentiles holds latency statistics of a sample set.
type Percentiles struct {
	N                       int
	Min, P50, P90, P99, Max time.Duration
}

// ComputePercentiles uses the nearest-rank method (the smallest sample at
// or above the rank), so a reported p99 is a latency that really happened.
func ComputePercentiles(samples []time.Duration) Percentiles {
	if len(samples) == 0 {
		return Percentiles{}
	}
	s := append([]time.Duration(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := func(p float64) time.Duration {
		// nearest rank: ceil(p/100 * N), 1-based
		k := int(p*float64(len(s))/100 + 0.999999999)
		if k < 1 {
			k = 1
		}
		if k > len(s) {
			k = len(s)
		}
		return s[k-1]
	}
	return Percentiles{N: len(s), Min: s[0], P50: rank(50), P90: rank(90), P99: rank(99), Max: s[len(s)-1]}
}
