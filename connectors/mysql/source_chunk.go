package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// Parallel initial load (initial.load.max.parallelism > 1, mode
// incrementing on tables): Chunks splits a table's incrementing column
// range into chunks; each chunk is a partition of its own,
// {"protocol":"1","table":"db.t","initial_load_chunk":"2/4","after":"500","through":"750"},
// whose pages read after < id <= through in id order, and whose position
// is the usual {"incrementing": id}.
const (
	chunkKey        = "initial_load_chunk" // "i/n", 1-based
	chunkAfterKey   = "after"              // exclusive lower bound
	chunkThroughKey = "through"            // inclusive upper bound
)

var _ connectors.Chunker = (*Source)(nil)

func isChunk(p connectors.Partition) bool {
	_, ok := p[chunkKey]
	return ok
}

// Chunks implements connectors.Chunker: with initial.load.max.parallelism
// P > 1 it splits table p's incrementing column range, MIN..MAX as of now,
// into at most P chunks of equal key width, each at least two pages wide
// (none when the range is narrower than four pages or the table is empty).
// then is {"incrementing": MAX}: incremental reads continue after the
// range. The incrementing column must be the only column of a unique index
// (PRIMARY KEY or UNIQUE), so that ranges are index range reads and every
// row is in exactly one chunk; otherwise Chunks fails with a permanent
// error naming the table and column.
func (s *Source) Chunks(ctx context.Context, p connectors.Partition) ([]connectors.Partition, connectors.Position, error) {
	if s.cfg.InitialLoadParallelism < 2 || s.cfg.Mode != ModeIncrementing || isChunk(p) {
		return nil, nil, nil
	}
	if _, ok := p[partitionTableKey]; !ok {
		return nil, nil, nil // query mode is refused at config time
	}
	pl, err := s.plan(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	col := pl.codecs[pl.incIdx].col.Name
	if err := s.checkChunkKey(ctx, pl.label, col); err != nil {
		return nil, nil, err
	}
	var lo, hi sql.NullInt64
	q := "SELECT MIN(" + pl.q.Order[0] + "), MAX(" + pl.q.Order[0] + ") FROM " + pl.q.From
	if err := s.db.QueryRowContext(ctx, q).Scan(&lo, &hi); err != nil {
		return nil, nil, fmt.Errorf("mysql source: %s: read the key range of %s: %w", pl.label, col, err)
	}
	if !lo.Valid || !hi.Valid {
		return nil, nil, nil
	}
	// after = lo-1 must not wrap, nor the span hi-lo+1.
	if lo.Int64 <= -1<<62 || hi.Int64 >= 1<<62 {
		return nil, nil, nil
	}
	span := hi.Int64 - lo.Int64 + 1
	page := int64(s.cfg.BatchMaxRows)
	n := min(int64(s.cfg.InitialLoadParallelism), span/(2*page))
	if n < 2 {
		return nil, nil, nil
	}
	width := (span + n - 1) / n
	chunks := make([]connectors.Partition, 0, n)
	for i := int64(0); i < n; i++ {
		after := lo.Int64 - 1 + i*width
		through := min(after+width, hi.Int64)
		if after >= through {
			break
		}
		chunks = append(chunks, connectors.Partition{
			partitionProtocolKey: partitionProtocol, partitionTableKey: p[partitionTableKey],
			chunkKey:      fmt.Sprintf("%d/%d", i+1, n),
			chunkAfterKey: strconv.FormatInt(after, 10), chunkThroughKey: strconv.FormatInt(through, 10),
		})
	}
	top := hi.Int64
	return chunks, SourcePosition{Incrementing: &top}.Encode(), nil
}

// checkChunkKey refuses a column that is not the only column of a unique
// index of table ("db.table").
func (s *Source) checkChunkKey(ctx context.Context, table, col string) error {
	db, name, _ := strings.Cut(table, ".")
	var idx string
	err := s.db.QueryRowContext(ctx, `SELECT INDEX_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
		GROUP BY INDEX_NAME HAVING COUNT(*) = 1 AND MAX(COLUMN_NAME) = ? LIMIT 1`, db, name, col).Scan(&idx)
	switch {
	case err == sql.ErrNoRows:
		return errclass.Permanent(fmt.Errorf("mysql source: table %s: %s needs an indexed unique single-column integer key to split the first load into chunks, "+
			"but the incrementing column %q is not the only column of a unique index (PRIMARY KEY or UNIQUE); add such an index or set %s=1",
			table, KeyInitialLoadMaxParallelism, col, KeyInitialLoadMaxParallelism))
	case err != nil:
		return fmt.Errorf("mysql source: table %s: read the indexes of %q: %w", table, col, err)
	}
	return nil
}

// readChunk reads the page of chunk p after pos (nil: from the chunk's
// start): rows with after < id <= through, in id order.
func (s *Source) readChunk(ctx context.Context, p connectors.Partition, pos connectors.Position) (connectors.Page, error) {
	after, err1 := strconv.ParseInt(p[chunkAfterKey], 10, 64)
	through, err2 := strconv.ParseInt(p[chunkThroughKey], 10, 64)
	if err1 != nil || err2 != nil || after >= through {
		return connectors.Page{}, planErr("mysql source: chunk partition %s: want integer %q < %q", p, chunkAfterKey, chunkThroughKey)
	}
	cp, err := s.chunkPlan(ctx, connectors.Partition{partitionProtocolKey: p[partitionProtocolKey], partitionTableKey: p[partitionTableKey]})
	if err != nil {
		return connectors.Page{}, err
	}
	sp, err := ParsePosition(pos)
	if err != nil {
		return connectors.Page{}, errclass.Permanent(err)
	}
	start := after
	if sp.Incrementing != nil {
		start = *sp.Incrementing
	}
	stmt, err := s.stmt(ctx, cp, 1)
	if err != nil {
		return connectors.Page{}, err
	}
	rows, err := stmt.QueryContext(ctx, append(keysetArgs([]any{start}), through)...)
	if err != nil {
		return connectors.Page{}, fmt.Errorf("mysql source: read chunk %s of %s: %w", p[chunkKey], cp.label, err)
	}
	recs, last, err := s.scanPage(cp, rows)
	if err != nil {
		return connectors.Page{}, err
	}
	page := connectors.Page{Records: recs, More: len(recs) >= cp.q.Limit, Next: pos}
	if len(last) > 0 {
		page.Next = SourcePosition{Incrementing: &last[len(last)-1].inc}.Encode()
	}
	return page, nil
}

// chunkPlan is the table's plan with the chunk's upper bound, built once
// per Source and kept with the plans (Close closes its statements).
func (s *Source) chunkPlan(ctx context.Context, table connectors.Partition) (*plan, error) {
	pl, err := s.plan(ctx, table)
	if err != nil {
		return nil, err
	}
	if s.cfg.Mode != ModeIncrementing || pl.incIdx < 0 {
		return nil, planErr("mysql source: %s: initial load chunks need mode incrementing", pl.label)
	}
	k := "chunk " + table.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cp, ok := s.plans[k]; ok {
		return cp, nil
	}
	cp := *pl
	cp.q.Through = "?"
	cp.q.SkipNullFirst = false
	cp.gapStep = 0
	cp.stmts = nil
	s.plans[k] = &cp
	return &cp, nil
}
