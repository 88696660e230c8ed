package demo

// The change data capture variant (`make demo-cdc`, connectors/pipeline-cdc):
// a binlog source (Debezium's MariaDbConnector) captures one table, the
// MySQL sink replicates its topic through ExtractNewRecordState with
// delete.enabled. RunCDC seeds the table (read by the initial snapshot),
// inserts rows, updates the same rows several times in a burst between
// two polls, deletes rows, and after each step waits until the replica
// equals the source; it ends with the change events counted by op on the
// topic, checked against what the script did.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/connectors/binlog"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// CDCPipeline is what the CDC demo needs to know about its connector files.
type CDCPipeline struct {
	Source     CDCSourceInfo
	Sink       SinkInfo
	Connectors []string // every connector name, in file order
}

// CDCSourceInfo describes the binlog source connector.
type CDCSourceInfo struct {
	Connector string
	// Database and Table are the captured table (table.include.list, which
	// must name exactly one table as db\.table).
	Database, Table string
	// Topic is <topic.prefix>.<db>.<table>, as the binlog source names it.
	Topic string
	// PollInterval is poll.interval.ms, the runner's schedule of the source.
	PollInterval time.Duration
}

// LoadCDCPipeline reads the connector files of dir (resolving references
// through prov like LoadPipeline). It expects exactly one binlog source
// capturing one table and one MySQL sink reading its topic, and reports
// every problem together.
func LoadCDCPipeline(ctx context.Context, dir string, prov config.Providers) (CDCPipeline, error) {
	var p CDCPipeline
	var sources, sinks int
	names, errs, err := eachConnector(ctx, dir, prov, func(name string, kind config.Kind, class string, props map[string]string) error {
		switch {
		case kind == config.Source && (class == binlog.MariaDBClass || class == binlog.MySQLClass):
			sources++
			s, err := cdcSourceInfo(name, props)
			p.Source = s
			return err
		case kind == config.Sink && class == mysql.SinkClass:
			sinks++
			s, err := sinkInfo(name, class, props)
			p.Sink = s
			return err
		}
		return fmt.Errorf("class %s is not part of the CDC demo", class)
	})
	if err != nil {
		return CDCPipeline{}, err
	}
	p.Connectors = names
	if sources != 1 || sinks != 1 {
		errs = append(errs, fmt.Errorf("want exactly one binlog source and one MySQL sink, found %d and %d", sources, sinks))
	}
	if err := errors.Join(errs...); err != nil {
		return CDCPipeline{}, fmt.Errorf("demo: pipeline %s: %w", dir, err)
	}
	if len(p.Sink.Topics) != 1 || p.Sink.Topics[0] != p.Source.Topic {
		return CDCPipeline{}, fmt.Errorf("demo: pipeline %s: sink %q reads %v, want the source's topic %q", dir, p.Sink.Connector, p.Sink.Topics, p.Source.Topic)
	}
	return p, nil
}

// plainName is a database or table name without regular expression
// metacharacters, so table.include.list names exactly that table.
var plainName = regexp.MustCompile(`^[A-Za-z0-9_$]+$`)

func cdcSourceInfo(name string, props map[string]string) (CDCSourceInfo, error) {
	own := config.DefinedOnly(binlog.ConfigDef(), props)
	own[config.KeyConnectorClass] = props[config.KeyConnectorClass]
	cfg, err := binlog.ParseConfig(own)
	if err != nil {
		return CDCSourceInfo{}, err
	}
	list := strings.TrimSpace(props["table.include.list"])
	db, table, ok := strings.Cut(list, `\.`)
	if !ok || !plainName.MatchString(db) || !plainName.MatchString(table) {
		return CDCSourceInfo{}, fmt.Errorf(`table.include.list %q: the CDC demo captures exactly one table, written db\.table (letters, digits, _ and $)`, list)
	}
	sv, err := config.NewDef().WithFrameworkKey(config.Source, config.KeyPollIntervalMs).ParseOwn(props)
	if err != nil {
		return CDCSourceInfo{}, err
	}
	return CDCSourceInfo{Connector: name, Database: db, Table: table, Topic: cfg.TopicPrefix + "." + db + "." + table,
		PollInterval: time.Duration(sv.Long(config.KeyPollIntervalMs)) * time.Millisecond}, nil
}

// CDCScript is what RunCDC does to the source table; zero fields get the
// defaults in brackets. Ids 1..Seed are seeded before the runner starts
// (the initial snapshot reads them), Seed+1..Seed+Inserts inserted, ids
// 1..Updated updated UpdatesEach times each in one burst (every update its
// own transaction), and ids 1..Deletes deleted: the first rows are updated
// and then deleted, the next ones keep their last update.
type CDCScript struct {
	Seed, Inserts, Updated, UpdatesEach, Deletes int // [20, 10, 6, 5, 3]
}

func (s *CDCScript) defaults() {
	for _, f := range []struct {
		n *int
		v int
	}{{&s.Seed, 20}, {&s.Inserts, 10}, {&s.Updated, 6}, {&s.UpdatesEach, 5}, {&s.Deletes, 3}} {
		if *f.n == 0 {
			*f.n = f.v
		}
	}
}

// WantEvents is the number of change events by op the script produces on
// the topic: r (snapshot reads), c, u, d and the tombstone after each
// delete.
func (s CDCScript) WantEvents() map[string]int {
	return map[string]int{"r": s.Seed, "c": s.Inserts, "u": s.Updated * s.UpdatesEach, "d": s.Deletes, OpTombstone: s.Deletes}
}

// OpTombstone counts the records with a null value in CDCSummary.Events.
const OpTombstone = "tombstone"

// CDCSummary is the result of RunCDC.
type CDCSummary struct {
	Pipeline CDCPipeline
	Script   CDCScript
	// Events counts the topic's change events by op (OpTombstone for null values).
	Events map[string]int
	// SourceRows and ReplicaRows are the final row counts.
	SourceRows, ReplicaRows int
	// Mismatches lists the differences between replica and source ("" when equal).
	Mismatches string
	Elapsed    time.Duration
}

// OK reports whether the replica equals the source and the topic holds
// exactly the change events the script produced.
func (s CDCSummary) OK() bool {
	return s.Mismatches == "" && eventsEqual(s.Events, s.Script.WantEvents())
}

func eventsEqual(got, want map[string]int) bool {
	for op, n := range want {
		if got[op] != n {
			return false
		}
	}
	for op, n := range got {
		if want[op] != n {
			return false
		}
	}
	return true
}

// Render writes the summary.
func (s CDCSummary) Render(w io.Writer) error {
	want := s.Script.WantEvents()
	var b strings.Builder
	fmt.Fprintf(&b, "\n== CDC summary (%s -> %s -> %s.%s) after %.1fs ==\n", s.Pipeline.Source.Connector, s.Pipeline.Source.Topic,
		s.Pipeline.Sink.Database, s.Pipeline.Sink.Table, s.Elapsed.Seconds())
	fmt.Fprintf(&b, "script: %d rows seeded, %d inserted, %d rows updated %d times each, %d deleted\n",
		s.Script.Seed, s.Script.Inserts, s.Script.Updated, s.Script.UpdatesEach, s.Script.Deletes)
	b.WriteString("change events on the topic by op:\n")
	for _, op := range []string{"r", "c", "u", "d", OpTombstone} {
		mark := "ok"
		if s.Events[op] != want[op] {
			mark = "MISMATCH"
		}
		fmt.Fprintf(&b, "  %-9s %5d (want %d) %s\n", op, s.Events[op], want[op], mark)
	}
	for op, n := range s.Events {
		if _, ok := want[op]; !ok {
			fmt.Fprintf(&b, "  %-9s %5d (want 0) MISMATCH\n", op, n)
		}
	}
	fmt.Fprintf(&b, "rows: source %d, replica %d\n", s.SourceRows, s.ReplicaRows)
	if s.Mismatches == "" {
		b.WriteString("verify: the replica equals the source row by row (deleted rows gone, last updates present)\n")
	} else {
		b.WriteString("verify: MISMATCH\n" + s.Mismatches + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// RunCDC runs the CDC demo on the pipeline of c.PipelineDir with script s
// (c's Rows, Rounds and the per-round counts are not used). It returns the
// summary (also rendered to c.Out) and nil only when the replica equals
// the source and the topic holds exactly the expected change events. The
// runner is stopped before RunCDC returns.
func RunCDC(ctx context.Context, c Config, s CDCScript) (CDCSummary, error) {
	c.Defaults()
	s.defaults()
	sum := CDCSummary{Script: s}
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(c.Out, "[%5.1fs] "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
	}
	p, err := LoadCDCPipeline(ctx, c.PipelineDir, c.providers())
	if err != nil {
		return sum, err
	}
	sum.Pipeline = p
	say("pipeline %s: %s (binlog of %s.%s) -> topic %s -> %s (MySQL %s.%s)", c.PipelineDir, p.Source.Connector,
		p.Source.Database, p.Source.Table, p.Source.Topic, p.Sink.Connector, p.Sink.Database, p.Sink.Table)

	admin := kadm.NewClient(c.Kafka)
	topics := []string{p.Source.Topic}
	if p.Sink.DLQTopic != "" {
		topics = append(topics, p.Sink.DLQTopic)
	}
	if err := deleteGroups(ctx, admin, []string{p.Sink.Group}); err != nil {
		return sum, err
	}
	if err := deleteTopics(ctx, admin, topics); err != nil {
		return sum, err
	}
	if err := cleanState(ctx, c.Dynamo, c.Tables, p.Connectors); err != nil {
		return sum, err
	}
	if err := state.CreateTables(ctx, c.Dynamo, c.Tables); err != nil {
		return sum, fmt.Errorf("demo: state tables: %w", err)
	}
	src, err := mysql.QuoteQualified(p.Source.Database + "." + p.Source.Table)
	if err != nil {
		return sum, fmt.Errorf("demo: source table: %w", err)
	}
	replica, err := mysql.QuoteQualified(p.Sink.Database + "." + p.Sink.Table)
	if err != nil {
		return sum, fmt.Errorf("demo: replica table: %w", err)
	}
	dbs := []string{p.Source.Database}
	if p.Sink.Database != p.Source.Database {
		dbs = append(dbs, p.Sink.Database)
	}
	stmts := make([]string, 0, 2*len(dbs)+2)
	for _, d := range dbs {
		stmts = append(stmts, "DROP DATABASE IF EXISTS "+mysql.QuoteIdent(d), "CREATE DATABASE "+mysql.QuoteIdent(d)+" CHARACTER SET utf8mb4")
	}
	stmts = append(stmts, "CREATE TABLE "+src+" (id INT NOT NULL PRIMARY KEY, item VARCHAR(40) CHARACTER SET utf8mb4 NOT NULL, "+
		"qty INT NOT NULL, price DECIMAL(10,2) NOT NULL, version INT NOT NULL)")
	exec := func(q string, args ...any) error {
		if _, err := c.MySQL.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("demo: %s: %w", q, err)
		}
		return nil
	}
	for _, q := range stmts {
		if err := exec(q); err != nil {
			return sum, err
		}
	}
	insert := "INSERT INTO " + src + " (id, item, qty, price, version) VALUES (?, ?, ?, ?, 0)"
	items := []string{"apple", "Zoë's pear", "李子", "fig 🚀", "quince"}
	for id := 1; id <= s.Seed; id++ {
		if err := exec(insert, id, items[id%len(items)], id, fmt.Sprintf("%d.%02d", id, id%100)); err != nil {
			return sum, err
		}
	}
	say("cleaned the previous run; created %s with %d rows (the initial snapshot reads them)", src, s.Seed)

	runner, logPath, stopRunner, err := startRunner(ctx, c, say)
	if err != nil {
		return sum, err
	}
	defer stopRunner()

	// converge waits until the replica equals the source.
	converge := func(what string) error {
		deadline := time.Now().Add(c.Timeout)
		for {
			want, werr := readItems(ctx, c.MySQL, src)
			got, gerr := readItems(ctx, c.MySQL, replica)
			if werr != nil {
				return werr
			}
			if gerr == nil && slices.Equal(want, got) {
				say("%s: the replica equals the source (%d rows)", what, len(want))
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("demo: %s: %w", what, ctx.Err())
			case <-runner.Done():
				return fmt.Errorf("demo: %s: the runner exited (%v); last lines of %s:\n%s", what, runner.Err(), logPath, tailFile(logPath, 15))
			case <-time.After(c.ProgressEvery):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("demo: %s: the replica did not converge within %s (source %d rows, replica %d rows, read error %v); see %s",
					what, c.Timeout, len(want), len(got), gerr, logPath)
			}
		}
	}
	if err := converge("initial snapshot"); err != nil {
		return sum, err
	}
	for id := s.Seed + 1; id <= s.Seed+s.Inserts; id++ {
		if err := exec(insert, id, items[id%len(items)], id, fmt.Sprintf("%d.50", id)); err != nil {
			return sum, err
		}
	}
	say("inserted ids %d..%d", s.Seed+1, s.Seed+s.Inserts)
	if err := converge("inserts"); err != nil {
		return sum, err
	}
	burst := time.Now()
	for v := 1; v <= s.UpdatesEach; v++ {
		for id := 1; id <= s.Updated; id++ {
			if err := exec("UPDATE "+src+" SET qty = qty + 1, price = price + 0.25, version = ? WHERE id = ?", v, id); err != nil {
				return sum, err
			}
		}
	}
	say("updated ids 1..%d %d times each in one burst of %s (the source polls every %s)", s.Updated, s.UpdatesEach,
		time.Since(burst).Round(time.Millisecond), p.Source.PollInterval)
	if err := converge("repeated updates"); err != nil {
		return sum, err
	}
	if err := exec("DELETE FROM "+src+" WHERE id <= ?", s.Deletes); err != nil {
		return sum, err
	}
	say("deleted ids 1..%d", s.Deletes)
	if err := converge("deletes"); err != nil {
		return sum, err
	}

	if sum.Events, err = countOps(ctx, c.Kafka, p.Source.Topic); err != nil {
		return sum, err
	}
	want, err := readItems(ctx, c.MySQL, src)
	if err != nil {
		return sum, err
	}
	got, err := readItems(ctx, c.MySQL, replica)
	if err != nil {
		return sum, err
	}
	sum.SourceRows, sum.ReplicaRows = len(want), len(got)
	if !slices.Equal(want, got) {
		sum.Mismatches = fmt.Sprintf("source:  %s\nreplica: %s", strings.Join(want, " "), strings.Join(got, " "))
	}
	sum.Elapsed = time.Since(start)
	if err := sum.Render(c.Out); err != nil {
		return sum, err
	}
	if !sum.OK() {
		return sum, fmt.Errorf("demo: %w (or the topic's change events differ from the script's)", ErrMismatch)
	}
	return sum, nil
}

// readItems lists a CDC demo table's rows as "id:item:qty:price:version"
// in id order (table is quoted and qualified).
func readItems(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT id, item, qty, CAST(price AS CHAR), version FROM "+table+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("demo: read %s: %w", table, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, qty, version int64
		var item, price string
		if err := rows.Scan(&id, &item, &qty, &price, &version); err != nil {
			return nil, fmt.Errorf("demo: read %s: %w", table, err)
		}
		out = append(out, fmt.Sprintf("%d:%s:%d:%s:%d", id, item, qty, price, version))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("demo: read %s: %w", table, err)
	}
	return out, nil
}

// countOps reads topic from its start to its current end and counts the
// change events by op: the value's op field (JsonConverter, with or
// without the schema envelope), OpTombstone for a null value.
func countOps(ctx context.Context, cl *kgo.Client, topic string) (map[string]int, error) {
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("demo: end offsets of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			want[o.Partition] = o.Offset
		}
	})
	seeds, _ := cl.OptValue(kgo.SeedBrokers).([]string)
	parts := map[int32]kgo.Offset{}
	for p := range want {
		parts[p] = kgo.NewOffset().AtStart()
	}
	counts := map[string]int{}
	if len(parts) == 0 {
		return counts, nil
	}
	consumer, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: parts}))
	if err != nil {
		return nil, fmt.Errorf("demo: consume %s: %w", topic, err)
	}
	defer consumer.Close()
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var errs []error
	for len(want) > 0 {
		fs := consumer.PollFetches(rctx)
		if rctx.Err() != nil {
			return nil, fmt.Errorf("demo: read %s: %w (partitions left: %v)", topic, rctx.Err(), want)
		}
		fs.EachError(func(_ string, _ int32, err error) { errs = append(errs, err) })
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("demo: read %s: %w", topic, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			op, err := changeOp(r.Value)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s[%d]@%d: %w", topic, r.Partition, r.Offset, err))
			}
			counts[op]++
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("demo: read %s: %w", topic, err)
		}
	}
	return counts, nil
}

// changeOp returns a Debezium change event's op.
func changeOp(value []byte) (string, error) {
	if value == nil {
		return OpTombstone, nil
	}
	var v struct {
		Op      *string `json:"op"`
		Payload *struct {
			Op *string `json:"op"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(value, &v); err != nil {
		return "", fmt.Errorf("value is not JSON: %w", err)
	}
	switch {
	case v.Payload != nil && v.Payload.Op != nil:
		return *v.Payload.Op, nil
	case v.Op != nil:
		return *v.Op, nil
	}
	return "", errors.New("value has no op field")
}
