package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// plan is everything needed to read one partition, built once.
type plan struct {
	part   connectors.Partition
	label  string // "db.table" or "query", for messages
	topic  string
	codecs []colCodec
	value  *connect.Schema
	key    *connect.Schema // nil without a primary key
	keyIdx []int
	q      keysetQuery
	mode   Mode
	incIdx int   // incrementing column index, -1 when unused
	tsIdx  []int // timestamp column indexes, COALESCE order
	tieIdx []int // hidden tie-breaker columns (timestamp mode, bulk)
	// trimTies: the keyset order is not unique (timestamp mode without a
	// key); a full page drops its trailing group of equal timestamps.
	trimTies bool
	// singlePage: bulk without any key; the result must fit one page.
	singlePage bool
	// gapStep is the server's auto_increment_increment when the page must
	// stop before young gaps in ids (incrementing mode on the table's
	// AUTO_INCREMENT column with incrementing.gap.timeout.ms > 0); 0 means
	// gaps are not looked for.
	gapStep int64
	// stmts are the prepared page queries by number of keyset values;
	// guarded by Source.mu.
	stmts map[int]*sql.Stmt
}

func (s *Source) plan(ctx context.Context, p connectors.Partition) (*plan, error) {
	k := p.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if pl, ok := s.plans[k]; ok {
		return pl, nil
	}
	pl, err := s.buildPlan(ctx, p)
	if err != nil {
		return nil, err
	}
	s.plans[k] = pl
	return pl, nil
}

func (s *Source) buildPlan(ctx context.Context, p connectors.Partition) (*plan, error) {
	cfg := s.cfg
	pl := &plan{part: p, mode: cfg.Mode, incIdx: -1}
	var cols []Column
	var pk []string
	var schemaName string
	if _, ok := p[partitionQueryKey]; ok {
		if cfg.Query == "" {
			return nil, planErr("mysql source: partition %s: not in query mode", p)
		}
		rows, err := s.db.QueryContext(ctx, "SELECT * FROM "+queryFrom(cfg.Query)+" LIMIT 0")
		if err != nil {
			return nil, fmt.Errorf("mysql source: describe query: %w", err)
		}
		cts, err := rows.ColumnTypes()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("mysql source: describe query: %w", err)
		}
		cols = columnsFromResult(cts)
		pl.label, pl.topic = "query", cfg.TopicPrefix
		pl.q = keysetQuery{Select: "*", From: queryFrom(cfg.Query)}
		if cfg.Mode == ModeBulk && cfg.IncrementingColumn != "" {
			pk = []string{cfg.IncrementingColumn}
		}
	} else {
		q, ok := p[partitionTableKey]
		db, name, found := strings.Cut(q, ".")
		if !ok || !found || p[partitionProtocolKey] != partitionProtocol {
			return nil, planErr("mysql source: partition %s: want {\"protocol\":\"1\",\"table\":\"db.table\"}", p)
		}
		from, err := QuoteQualified(q)
		if err != nil {
			return nil, planErr("mysql source: partition %s: %w", p, err)
		}
		t, err := LoadTable(ctx, s.db, db, name)
		if err != nil {
			return nil, err
		}
		cols, pk = t.Columns, t.PrimaryKey
		pl.label, pl.topic, schemaName = q, tableTopic(cfg.TopicPrefix, name), name
		pl.q = keysetQuery{Select: selectList(cols), From: from}
		if cfg.Mode == ModeIncrementing || cfg.Mode == ModeTimestampIncrementing {
			if cfg.IncrementingColumn == "" {
				for _, c := range cols {
					if c.AutoIncrement {
						cfg.IncrementingColumn = c.Name
					}
				}
				if cfg.IncrementingColumn == "" {
					return nil, planErr("mysql source: table %s has no AUTO_INCREMENT column; set incrementing.column.name", q)
				}
			}
		}
	}
	pl.q.Limit, pl.q.Suffix = cfg.BatchMaxRows, cfg.QuerySuffix
	index := func(name string) int {
		for i, c := range cols {
			if c.Name == name {
				return i
			}
		}
		return -1
	}

	// Schemas, built once; records share these pointers.
	fields := make([]connect.Field, len(cols))
	pl.codecs = make([]colCodec, len(cols))
	var errs []error
	for i, c := range cols {
		sch, k, err := mapColumn(pl.label, c, cfg.Types)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		pl.codecs[i] = colCodec{table: pl.label, col: c, schema: sch, kind: k}
		fields[i] = connect.Field{Name: c.Name, Schema: sch}
	}
	if len(errs) > 0 {
		return nil, errclass.Permanent(errors.Join(errs...))
	}
	pl.value = connect.NewStructSchema(schemaName, fields...)
	if len(pk) > 0 && pl.q.Select != "*" {
		kf := make([]connect.Field, len(pk))
		for i, n := range pk {
			j := index(n)
			pl.keyIdx = append(pl.keyIdx, j)
			kf[i] = connect.Field{Name: n, Schema: fields[j].Schema}
		}
		pl.key = connect.NewStructSchema(pl.label+".Key", kf...)
	}

	// Keyset order per mode.
	if cfg.Mode == ModeIncrementing || cfg.Mode == ModeTimestampIncrementing {
		i := index(cfg.IncrementingColumn)
		if i < 0 {
			return nil, planErr("mysql source: %s: incrementing.column.name %q is not a column", pl.label, cfg.IncrementingColumn)
		}
		switch pl.codecs[i].kind {
		case kInt8, kInt16, kInt32, kInt64:
		default:
			return nil, planErr("mysql source: %s: incrementing column %q is %s; an integer column is required", pl.label, cfg.IncrementingColumn, cols[i].ColumnType)
		}
		if cfg.ValidateNonNull && cols[i].Nullable {
			return nil, planErr("mysql source: %s: incrementing column %q is nullable; make it NOT NULL or set validate.non.null=false", pl.label, cfg.IncrementingColumn)
		}
		pl.incIdx = i
	}
	if cfg.Mode == ModeTimestamp || cfg.Mode == ModeTimestampIncrementing {
		allNullable := true
		for _, n := range cfg.TimestampColumns {
			i := index(n)
			if i < 0 {
				return nil, planErr("mysql source: %s: timestamp.column.name %q is not a column", pl.label, n)
			}
			if k := pl.codecs[i].kind; !k.isTimestamp() {
				return nil, planErr("mysql source: %s: timestamp column %q is %s; DATETIME, TIMESTAMP or DATE is required", pl.label, n, cols[i].ColumnType)
			}
			allNullable = allNullable && cols[i].Nullable
			pl.tsIdx = append(pl.tsIdx, i)
		}
		if cfg.ValidateNonNull && allNullable {
			return nil, planErr("mysql source: %s: timestamp columns %s are all nullable; make one NOT NULL or set validate.non.null=false", pl.label, strings.Join(cfg.TimestampColumns, ","))
		}
	}
	ts := timestampExpr(cfg.TimestampColumns)
	switch cfg.Mode {
	case ModeIncrementing:
		pl.q.Order = []string{QuoteIdent(cfg.IncrementingColumn)}
		pl.q.SkipNullFirst = cols[pl.incIdx].Nullable
		if cols[pl.incIdx].AutoIncrement && cfg.GapTimeout > 0 {
			// Ids are handed out in steps of auto_increment_increment; read
			// once per Source (a cold start), like the table's metadata.
			if err := s.db.QueryRowContext(ctx, "SELECT @@auto_increment_increment").Scan(&pl.gapStep); err != nil {
				return nil, fmt.Errorf("mysql source: %s: read auto_increment_increment: %w", pl.label, err)
			}
			pl.gapStep = max(pl.gapStep, 1)
		}
	case ModeTimestampIncrementing:
		pl.q.Order = []string{ts, QuoteIdent(cfg.IncrementingColumn)}
		pl.q.Upper, pl.q.Delay = ts, cfg.TimestampDelay
	case ModeTimestamp:
		pl.q.Order = []string{ts}
		pl.q.Upper, pl.q.Delay = ts, cfg.TimestampDelay
		if len(pk) > 0 {
			pl.q.Params = []string{""}
			for _, n := range pk {
				i := index(n)
				pl.q.Order = append(pl.q.Order, QuoteIdent(n))
				pl.q.Params = append(pl.q.Params, keyParam(cols[i]))
				pl.tieIdx = append(pl.tieIdx, i)
			}
		} else {
			pl.trimTies = true
		}
	case ModeBulk:
		if len(pk) == 0 {
			pl.singlePage = true
			pl.q.Limit = cfg.BatchMaxRows + 1
		}
		for _, n := range pk {
			i := index(n)
			if i < 0 {
				return nil, planErr("mysql source: %s: key column %q is not a column", pl.label, n)
			}
			pl.q.Order = append(pl.q.Order, QuoteIdent(n))
			pl.q.Params = append(pl.q.Params, keyParam(cols[i]))
			pl.tieIdx = append(pl.tieIdx, i)
		}
	}
	s.log.Info("mysql source: partition ready", "partition", p.String(), "columns", len(cols),
		"primary_key", pk, "mode", string(cfg.Mode), "topic", pl.topic, "gap_step", pl.gapStep)
	return pl, nil
}

// planErr is a permanent error in a partition's setup (config or table
// definition): retrying cannot fix it, so the connector goes FAILED.
func planErr(format string, args ...any) error {
	return errclass.Permanent(fmt.Errorf(format, args...))
}

// keyParam is the placeholder a key column is compared with. Key values
// travel as text in the position; a DECIMAL compared with text would be
// compared as DOUBLE, so it is cast back to the column's exact type.
func keyParam(c Column) string {
	switch c.DataType {
	case "decimal", "numeric", "dec", "fixed":
		return fmt.Sprintf("CAST(? AS DECIMAL(%d,%d))", c.Precision, c.Scale)
	}
	return ""
}
