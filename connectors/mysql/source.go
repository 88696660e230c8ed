package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// TimestampGuarantee is the exact delivery guarantee of the timestamp
// modes, written for the README (the lead copies it there); it is also what
// a status page or CLI can print.
const TimestampGuarantee = `In timestamp and timestamp+incrementing mode each page reads the rows whose timestamp ` +
	"(`timestamp.column.name`, or COALESCE of several columns) lies after the last row read, in (timestamp, tie-breaker) " +
	"order, and below an upper bound taken from the database's own clock when the page is read: " +
	"`CURRENT_TIMESTAMP(6) - timestamp.delay.interval.ms`. The tie-breaker is the incrementing column in " +
	"timestamp+incrementing mode and the primary key in timestamp mode (kept in the offset as \"key\"), so rows that " +
	"share one timestamp across a page boundary are never skipped (the JDBC source connector loses them in timestamp " +
	"mode). Without a primary key (or in query mode) a page that ends inside a group of equal timestamps is cut before " +
	"that group, which the next page reads whole; a group larger than `batch.max.rows` fails with an error asking for a " +
	"larger `batch.max.rows`. What can still be missed is a row that becomes visible (its transaction commits) after a " +
	"page has already read past its (timestamp, key): this happens when its timestamp was assigned more than " +
	"`timestamp.delay.interval.ms` before the commit (a long transaction; CURRENT_TIMESTAMP is fixed when the statement " +
	"starts), or was set by a client whose clock is behind the database's by more than the delay. Set " +
	"`timestamp.delay.interval.ms` to at least the longest transaction that writes the table plus the worst clock skew " +
	"of the clients that set the column; a row is then read only once nothing can still commit below the bound, at the " +
	"cost of delivering each row no sooner than the delay after its timestamp. In timestamp+incrementing mode the same " +
	"holds for an incrementing value allocated before, but committed after, a larger one with the same timestamp. Rows " +
	"written with a timestamp older than the stored offset (backdated) are never read, as with the JDBC connector."

// Source is the MySQL source connector: it reads tables (or one query) in
// bounded keyset pages like the Confluent JDBC source connector, without
// its lost-row failure modes. It implements connectors.Source and is safe
// for concurrent use.
type Source struct {
	cfg    SourceConfig
	db     *sql.DB
	dbName string
	loc    *time.Location
	log    *slog.Logger

	mu    sync.Mutex
	plans map[string]*plan
}

var _ connectors.Source = (*Source)(nil)

// OpenSource opens the database named by cfg.Conn (with
// ConnConfig.DriverConfig) and returns a Source owning it. It does not
// connect yet: the first Partitions or ReadPage does, so a cold start with
// the database briefly down fails in the handler (retryable), not at init.
func OpenSource(cfg SourceConfig) (*Source, error) {
	dc, err := cfg.Conn.DriverConfig()
	if err != nil {
		return nil, err
	}
	conn, err := cfg.Conn.connector(dc)
	if err != nil {
		return nil, fmt.Errorf("mysql source: %w", err)
	}
	db := sql.OpenDB(conn)
	s, err := NewSource(cfg, db)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// NewSource returns a Source reading with db, which must have been opened
// with cfg.Conn.DriverConfig() (parseTime and the session time zone matter).
// The Source owns db: Close closes it. Table metadata is read lazily, on the
// first ReadPage of each partition, and then reused for the Source's
// lifetime (schemas are pointer-stable); a table altered while a Source is
// alive is picked up by the next Source (the next cold start).
func NewSource(cfg SourceConfig, db *sql.DB) (*Source, error) {
	if db == nil {
		return nil, errors.New("mysql source: nil *sql.DB")
	}
	dc, err := cfg.Conn.DriverConfig()
	if err != nil {
		return nil, err
	}
	if cfg.BatchMaxRows <= 0 {
		cfg.BatchMaxRows = DefaultBatchMaxRows
	}
	if cfg.Types.NumericMapping == "" {
		cfg.Types.NumericMapping = NumericNone
	}
	if cfg.Types.Unsigned == "" {
		cfg.Types.Unsigned = UnsignedLong
	}
	if cfg.Types.TimePrecision == "" {
		cfg.Types.TimePrecision = TimeConnect
	}
	if len(cfg.TableTypes) == 0 {
		cfg.TableTypes = []string{"TABLE"}
	}
	if cfg.Mode == "" {
		return nil, errors.New("mysql source: mode is not set")
	}
	loc := cfg.Conn.Timezone
	if loc == nil {
		loc = time.UTC
	}
	return &Source{
		cfg:    cfg,
		db:     db,
		dbName: dc.DBName,
		loc:    loc,
		log:    slog.Default().With("component", "mysql-source", "db", dc.DBName),
		plans:  map[string]*plan{},
	}, nil
}

// Close closes the prepared statements and the database handle.
func (s *Source) Close() error {
	s.mu.Lock()
	var errs []error
	for _, pl := range s.plans {
		for _, st := range pl.stmts {
			errs = append(errs, st.Close())
		}
		pl.stmts = nil
	}
	s.mu.Unlock()
	errs = append(errs, s.db.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("mysql source: close: %w", err)
	}
	return nil
}

// Partitions returns one partition per table to read, sorted by name, or
// the single query partition. Without table.whitelist it lists the
// database's tables of table.types, minus table.blacklist.
func (s *Source) Partitions(ctx context.Context) ([]connectors.Partition, error) {
	if s.cfg.Query != "" {
		return []connectors.Partition{QueryPartition()}, nil
	}
	var names []string
	if len(s.cfg.Tables) > 0 {
		seen := map[string]bool{}
		for _, t := range s.cfg.Tables {
			db, name := s.split(t)
			q := db + "." + name
			if !seen[q] {
				seen[q] = true
				names = append(names, q)
			}
		}
	} else {
		types := make([]string, 0, 3)
		for _, t := range s.cfg.TableTypes {
			if t == "VIEW" {
				types = append(types, "'VIEW'")
			} else {
				types = append(types, "'BASE TABLE'", "'SYSTEM VERSIONED'")
			}
		}
		rows, err := s.db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ("+strings.Join(types, ", ")+") ORDER BY TABLE_NAME", s.dbName)
		if err != nil {
			return nil, fmt.Errorf("mysql source: list tables of %s: %w", s.dbName, err)
		}
		defer rows.Close()
		excluded := map[string]bool{}
		for _, t := range s.cfg.Exclude {
			db, name := s.split(t)
			excluded[db+"."+name] = true
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return nil, fmt.Errorf("mysql source: list tables of %s: %w", s.dbName, err)
			}
			if !excluded[s.dbName+"."+n] {
				names = append(names, s.dbName+"."+n)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("mysql source: list tables of %s: %w", s.dbName, err)
		}
	}
	out := make([]connectors.Partition, len(names))
	for i, q := range names {
		db, name, _ := strings.Cut(q, ".")
		out[i] = TablePartition(db, name)
	}
	return out, nil
}

// split resolves "table" or "db.table" against the connection's database.
func (s *Source) split(t string) (db, name string) {
	if d, n, ok := strings.Cut(t, "."); ok {
		return d, n
	}
	return s.dbName, t
}

// ReadPage reads the next page of partition p after pos (nil: from the
// beginning, or after timestamp.initial). The returned Next is the
// position after the last record; store it only once every record is
// acknowledged. More is true when the page was full.
//
// With timestamp.initial=-1 and no position, the first call resolves the
// database's current time and returns it as Next even when no row is read,
// so the start point does not move forward on every empty run.
func (s *Source) ReadPage(ctx context.Context, p connectors.Partition, pos connectors.Position) (connectors.Page, error) {
	if isChunk(p) {
		return s.readChunk(ctx, p, pos)
	}
	pl, err := s.plan(ctx, p)
	if err != nil {
		return connectors.Page{}, err
	}
	sp, err := ParsePosition(pos)
	if err != nil {
		return connectors.Page{}, errclass.Permanent(err)
	}
	start := time.Now()
	vals, changed, err := s.startValues(ctx, pl, &sp)
	if err != nil {
		return connectors.Page{}, err
	}
	stmt, err := s.stmt(ctx, pl, len(vals))
	if err != nil {
		return connectors.Page{}, err
	}
	rows, err := stmt.QueryContext(ctx, keysetArgs(vals)...)
	if err != nil {
		return connectors.Page{}, fmt.Errorf("mysql source: read %s: %w", pl.label, err)
	}
	recs, last, err := s.scanPage(pl, rows)
	if err != nil {
		return connectors.Page{}, err
	}
	full := len(recs) >= pl.q.Limit
	if pl.singlePage {
		if len(recs) > s.cfg.BatchMaxRows {
			return connectors.Page{}, planErr("mysql source: %s: bulk mode without a primary key reads the result in one page, but it has more than batch.max.rows=%d rows; add a primary key (or set incrementing.column.name to a unique column in query mode) or raise batch.max.rows", pl.label, s.cfg.BatchMaxRows)
		}
		full = false
	}
	var watch *gapWatch
	gapAware := pl.gapStep > 0
	if gapAware {
		var cut int
		if cut, watch, err = s.scanGaps(ctx, pl, sp, last); err != nil {
			return connectors.Page{}, err
		}
		if cut < len(recs) {
			recs, last, full = recs[:cut], last[:cut], false
		}
	}
	if pl.trimTies && full {
		n := len(recs)
		lastTS := last[n-1].ts
		for n > 0 && last[n-1].ts.Equal(lastTS) {
			n--
		}
		if n == 0 {
			return connectors.Page{}, planErr("mysql source: %s: all %d rows of the page share timestamp %s and there is no key to page within them; raise batch.max.rows above the largest group of equal timestamps, or use timestamp+incrementing", pl.label, len(recs), lastTS.Format(time.RFC3339Nano))
		}
		recs, last = recs[:n], last[:n]
	}

	page := connectors.Page{Records: recs, More: full}
	switch {
	case gapAware && (len(recs) > 0 || watch != nil):
		next := SourcePosition{Incrementing: sp.Incrementing}
		if len(last) > 0 {
			next.Incrementing = &last[len(last)-1].inc
		}
		if watch != nil {
			next.GapFirstSeen, next.GapHorizon = &watch.firstSeen, &watch.horizon
		}
		page.Next = next.Encode()
	case len(recs) > 0:
		l := last[len(last)-1]
		next := SourcePosition{}
		switch pl.mode {
		case ModeIncrementing:
			next.Incrementing = &l.inc
		case ModeTimestampIncrementing:
			next.SetTime(l.ts)
			next.Incrementing = &l.inc
		case ModeTimestamp:
			next.SetTime(l.ts)
			next.Key = l.key
		case ModeBulk:
			next.BulkRun = sp.BulkRun
			next.Key = l.key
			next.BulkDone = !full
		}
		page.Next = next.Encode()
	case pl.mode == ModeBulk:
		page.Next = SourcePosition{BulkRun: sp.BulkRun, BulkDone: true}.Encode()
	case changed:
		page.Next = sp.Encode()
	default:
		page.Next = pos
	}
	s.log.Debug("mysql source: page read", "partition", pl.label, "rows", len(recs), "more", page.More,
		"ms", time.Since(start).Milliseconds())
	return page, nil
}

// gapWatch is what the position remembers about missing ids: every id up
// to horizon that is missing now has been missing since firstSeen (epoch
// ms, database clock). It holds because rows never become uncommitted: an
// id missing now was missing at firstSeen too, unless it was committed and
// deleted since, which makes no difference.
type gapWatch struct {
	firstSeen, horizon int64
}

// scanGaps looks for missing ids in an incrementing page. Ids are handed
// out in steps of pl.gapStep, so after id n the next committed row should be
// n+step; a row above that means the ids between are missing: an insert
// still in flight that will commit later with a lower id than rows already
// visible (the JDBC connector skips it for good), a rollback, a failed
// insert, or a deleted row. A gap younger than incrementing.gap.timeout.ms
// stops the page before it (cut is the number of rows kept); an older one
// is taken for a rollback and read past. A gap's age counts from the first
// page that saw it: when a page meets a gap above the watched horizon, it
// starts a new watch from the database's clock up to the table's current
// maximum id, so a stretch of old gaps (rows deleted long ago) costs one
// timeout, not one per gap. watch is what the next position keeps (nil
// once the page read past the horizon). Without a position there is no
// previous id, so nothing before the first row counts as a gap.
func (s *Source) scanGaps(ctx context.Context, pl *plan, sp SourcePosition, marks []rowMark) (cut int, watch *gapWatch, err error) {
	if sp.GapHorizon != nil {
		watch = &gapWatch{firstSeen: *sp.GapFirstSeen, horizon: *sp.GapHorizon}
	}
	if sp.Incrementing == nil {
		return len(marks), nil, nil
	}
	prev := *sp.Incrementing
	var now int64 // database clock, epoch ms; read at the first gap only
	for i, m := range marks {
		if m.inc <= prev+pl.gapStep {
			prev = m.inc
			continue
		}
		missing := prev + pl.gapStep
		if now == 0 {
			if err := s.db.QueryRowContext(ctx, "SELECT CAST(ROUND(UNIX_TIMESTAMP(CURRENT_TIMESTAMP(3)) * 1000) AS SIGNED)").Scan(&now); err != nil {
				return 0, nil, fmt.Errorf("mysql source: %s: read database clock for the gap before id %d: %w", pl.label, m.inc, err)
			}
		}
		if watch == nil || missing > watch.horizon {
			var top sql.NullInt64
			q := "SELECT MAX(" + pl.q.Order[0] + ") FROM " + pl.q.From
			if err := s.db.QueryRowContext(ctx, q).Scan(&top); err != nil {
				return 0, nil, fmt.Errorf("mysql source: %s: read the highest id for the gap before id %d: %w", pl.label, m.inc, err)
			}
			watch = &gapWatch{firstSeen: now, horizon: max(top.Int64, m.inc)}
		}
		if age := now - watch.firstSeen; age < s.cfg.GapTimeout.Milliseconds() {
			s.log.Debug("mysql source: page stops before a gap in ids", "partition", pl.label, "missing_id", missing,
				"next_id", m.inc, "gap_age_ms", age)
			return i, watch, nil
		}
		prev = m.inc
	}
	if watch != nil && prev >= watch.horizon {
		watch = nil
	}
	return len(marks), watch, nil
}

// stmt returns the prepared page query of pl for n keyset values, preparing
// it once per Source: a page is then one round trip instead of three
// (prepare, execute, close).
func (s *Source) stmt(ctx context.Context, pl *plan, n int) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := pl.stmts[n]; ok {
		return st, nil
	}
	query := pl.q.SQL(n)
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("mysql source: prepare page query of %s (%s): %w", pl.label, query, err)
	}
	if pl.stmts == nil {
		pl.stmts = map[int]*sql.Stmt{}
	}
	pl.stmts[n] = st
	return st, nil
}

// startValues turns a position into the keyset values to read after. It
// reports whether it changed sp (a resolved timestamp.initial or a new bulk
// run).
func (s *Source) startValues(ctx context.Context, pl *plan, sp *SourcePosition) ([]any, bool, error) {
	switch pl.mode {
	case ModeIncrementing:
		if sp.Incrementing == nil {
			return nil, false, nil
		}
		return []any{*sp.Incrementing}, false, nil
	case ModeBulk:
		if sp.BulkRun == nil || sp.BulkDone {
			run := time.Now().UnixMilli()
			*sp = SourcePosition{BulkRun: &run}
			return nil, true, nil
		}
		vals, err := s.keyValues(pl, sp.Key)
		return vals, false, err
	}
	// Timestamp modes.
	changed := false
	if sp.Timestamp == nil {
		init := s.cfg.TimestampInitial
		if init == nil {
			return nil, false, nil
		}
		if *init == -1 {
			var now time.Time
			if err := s.db.QueryRowContext(ctx, "SELECT CURRENT_TIMESTAMP(6)").Scan(&now); err != nil {
				return nil, false, fmt.Errorf("mysql source: read database clock for timestamp.initial=-1: %w", err)
			}
			sp.SetTime(now)
		} else {
			sp.SetTime(time.UnixMilli(*init))
		}
		changed = true
	}
	t, _ := sp.Time()
	vals := []any{t}
	if pl.mode == ModeTimestampIncrementing && sp.Incrementing != nil {
		vals = append(vals, *sp.Incrementing)
	}
	if pl.mode == ModeTimestamp && len(sp.Key) > 0 {
		kv, err := s.keyValues(pl, sp.Key)
		if err != nil {
			return nil, false, err
		}
		vals = append(vals, kv...)
	}
	return vals, changed, nil
}
