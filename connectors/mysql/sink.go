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

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// Sink is the MySQL/MariaDB destination, behaving like the Confluent JDBC
// sink connector: insert/upsert/update modes, pk.mode, deletes on
// tombstones, auto.create and auto.evolve.
//
// Each Write groups records by table; per table it collapses the batch so
// the last write of each key wins, runs any DDL (DDL commits implicitly in
// MySQL, so it runs before the transaction), then writes all rows of the
// table in one transaction: deletes first, then inserts/upserts as
// multi-row statements in batch order. A Sink is safe for sequential use;
// Write calls must not run concurrently.
type Sink struct {
	cfg SinkConfig
	db  *sql.DB
	log *slog.Logger

	mu       sync.Mutex
	detected bool
	style    upsertStyle
	version  string

	// columns caches the lower-cased column names of existing tables, so a
	// Write does not query information_schema: it is refreshed when a
	// record has a column the cache lacks, dropped after DDL, and dropped
	// (and the table retried once) when the server reports an unknown
	// column or table.
	columns map[string]map[string]bool
	// stmts caches prepared statements across Writes (database/sql
	// re-prepares one per pooled connection on first use there); at
	// maxCachedStmts entries it is emptied.
	stmts map[string]*sql.Stmt
}

// maxCachedStmts bounds the prepared statements the sink keeps per pool
// connection; MySQL's max_prepared_stmt_count (16382) is server-wide.
const maxCachedStmts = 128

var _ connectors.Destination = (*Sink)(nil)

// NewSink returns a sink writing through db, which must point at the
// target database (table names are relative to it unless qualified) and
// whose sessions should run a strict sql_mode (OpenSink sets SinkSQLMode).
// The server flavour (MySQL or MariaDB) is detected on the first Write,
// which fails if that session's sql_mode is not strict.
func NewSink(cfg SinkConfig, db *sql.DB) (*Sink, error) {
	if db == nil {
		return nil, errors.New("mysql sink: nil *sql.DB")
	}
	if cfg.TableNameFormat == "" || cfg.BatchSize <= 0 || cfg.InsertMode == "" || cfg.PKMode == "" {
		return nil, errors.New("mysql sink: config not built by ParseSinkConfig (empty table.name.format, batch.size, insert.mode or pk.mode)")
	}
	if cfg.PKMode == PKModeKafka && len(cfg.PKFields) != 3 {
		return nil, fmt.Errorf("mysql sink: pk.mode=kafka needs 3 pk.fields, got %v", cfg.PKFields)
	}
	return &Sink{cfg: cfg, db: db, log: slog.Default().With("component", "mysql-sink")}, nil
}

// SinkSQLMode is the sql_mode of every session OpenSink opens, whatever
// the server's default: strict, so a value that does not
// fit its column (too long, out of range, an invalid date, NULL into NOT
// NULL) fails its record instead of being truncated with a warning. It is
// MySQL 8's default without ONLY_FULL_GROUP_BY, with STRICT_ALL_TABLES
// added, in the order the server reports it; every mode in it exists on
// MySQL 5.7+ and MariaDB 10.2+.
const SinkSQLMode = "STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"

// OpenSink opens a connection pool from cfg.Conn and returns a sink using
// it; Close closes the pool. Every connection runs SET sql_mode to
// SinkSQLMode when it opens (ParseSinkConfig refuses a sql_mode parameter
// in connection.url; one in a config built otherwise is replaced).
func OpenSink(cfg SinkConfig) (*Sink, error) {
	dc, err := cfg.Conn.DriverConfig()
	if err != nil {
		return nil, fmt.Errorf("mysql sink: %w", err)
	}
	for k := range dc.Params {
		if strings.EqualFold(k, "sql_mode") {
			delete(dc.Params, k)
		}
	}
	dc.Params["sql_mode"] = "'" + SinkSQLMode + "'"
	conn, err := cfg.Conn.connector(dc)
	if err != nil {
		return nil, fmt.Errorf("mysql sink: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return NewSink(cfg, db)
}

// Close closes the cached statements and the database pool given to
// NewSink or opened by OpenSink.
func (s *Sink) Close() error {
	s.mu.Lock()
	for q, st := range s.stmts {
		_ = st.Close()
		delete(s.stmts, q)
	}
	s.mu.Unlock()
	return s.db.Close()
}

// stmt returns the cached statement for query, preparing it on first use.
func (s *Sink) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.stmts == nil || len(s.stmts) >= maxCachedStmts {
		for _, old := range s.stmts {
			_ = old.Close()
		}
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[query] = st
	return st, nil
}

// forgetTable drops the cached columns of table.
func (s *Sink) forgetTable(table string) {
	s.mu.Lock()
	delete(s.columns, table)
	s.mu.Unlock()
}

// staleSchema reports a server error that a stale column cache can cause.
func staleSchema(err error) bool {
	switch mysqlErrorNumber(err) {
	case 1054, 1146: // ER_BAD_FIELD_ERROR, ER_NO_SUCH_TABLE
		return true
	}
	return false
}

// detect reads SELECT VERSION() once to choose the upsert syntax, and
// refuses a session without strict sql_mode, in which MySQL would
// truncate values that do not fit instead of failing their record.
func (s *Sink) detect(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.detected {
		return nil
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "SELECT VERSION(), @@SESSION.sql_mode").Scan(&s.version, &mode); err != nil {
		return fmt.Errorf("mysql sink: detect server version: %w", err)
	}
	if !strictMode(mode) {
		return errclass.Permanent(fmt.Errorf("mysql sink: the session sql_mode %q is not strict (neither STRICT_ALL_TABLES nor STRICT_TRANS_TABLES): values that do not fit would be truncated silently; open the sink with OpenSink (which sets sql_mode=%s) or set a strict sql_mode on the connections", mode, SinkSQLMode))
	}
	s.style = upsertStyleFor(s.version)
	s.detected = true
	return nil
}

// strictMode reports whether a sql_mode value makes data errors fail the
// statement on transactional tables.
func strictMode(mode string) bool {
	for _, m := range strings.Split(mode, ",") {
		if m == "STRICT_ALL_TABLES" || m == "STRICT_TRANS_TABLES" {
			return true
		}
	}
	return false
}

// sinkStats counts one Write for its log line.
type sinkStats struct {
	written, deleted, failed, skipped, collapsed, statements int
}

// Write writes the records; see connectors.Destination for the result. A
// *connectors.BatchError names records that can never be written as they
// are (bad field types, missing key, a missing table or column that
// auto.create/auto.evolve may not add, and MySQL data errors such as value
// too long, out of range or NULL into NOT NULL); every other record was
// committed. Any other error (deadlock, lock wait timeout, lost
// connection, ctx done) means the batch must be retried; tables written
// before the failing one are committed, which replays leave unchanged in
// upsert and update modes.
func (s *Sink) Write(ctx context.Context, records []connect.Record) error {
	start := time.Now()
	if err := s.detect(ctx); err != nil {
		return err
	}
	berr := connectors.NewBatchError()
	var st sinkStats
	var order []string
	byTable := map[string][]sinkRow{}
	for i := range records {
		r := &records[i]
		table, err := s.cfg.tableName(r.Topic)
		if err != nil {
			berr.Fail(i, errclass.Permanent(fmt.Errorf("mysql sink: %s: %w", r.Where(), err)))
			continue
		}
		var prev *sinkRow
		if rs := byTable[table]; len(rs) > 0 {
			prev = &rs[len(rs)-1]
		}
		row, err := s.cfg.extractRowAfter(i, table, r, prev)
		if errors.Is(err, errSkipTombstone) {
			st.skipped++
			continue
		}
		if err != nil {
			berr.Fail(i, errclass.Data(fmt.Errorf("mysql sink: %s: table %s: %w", r.Where(), table, err)))
			continue
		}
		if _, ok := byTable[table]; !ok {
			if len(order) == 0 {
				// Most batches fill one table: size it for the rest of the
				// batch rather than grow it by copying.
				byTable[table] = make([]sinkRow, 0, len(records)-i)
			}
			order = append(order, table)
		}
		byTable[table] = append(byTable[table], row)
	}
	for _, table := range order {
		rows := collapse(byTable[table])
		st.collapsed += len(byTable[table]) - len(rows)
		before := st
		w := tableWriter{s: s, table: table, records: records, berr: berr, st: &st}
		err := w.write(ctx, rows)
		if err != nil && staleSchema(err) {
			// The cached columns may be out of date (a table or column
			// dropped behind the sink's back): re-read them and retry the
			// table once; the failed attempt was rolled back.
			s.log.InfoContext(ctx, "mysql sink: table changed; re-reading its columns", "table", table, "error", err)
			s.forgetTable(table)
			st = before
			for _, r := range rows {
				delete(berr.Failed, r.index)
			}
			w = tableWriter{s: s, table: table, records: records, berr: berr, st: &st}
			err = w.write(ctx, rows)
		}
		if err != nil {
			s.log.ErrorContext(ctx, "mysql sink batch failed", "table", table, "records", len(records), "error", err)
			return err
		}
	}
	st.failed = len(berr.Failed)
	s.log.InfoContext(ctx, "mysql sink batch",
		"records", len(records), "tables", len(order), "written", st.written, "deleted", st.deleted,
		"failed", st.failed, "tombstones_skipped", st.skipped, "collapsed", st.collapsed,
		"statements", st.statements, "duration_ms", time.Since(start).Milliseconds())
	if len(berr.Failed) > 0 {
		return berr
	}
	return nil
}

// tableWriter writes the rows of one table in one Write.
type tableWriter struct {
	s       *Sink
	table   string // unquoted
	quoted  string
	records []connect.Record
	berr    *connectors.BatchError
	st      *sinkStats
	tx      *sql.Tx
	stmts   map[string]*sql.Stmt
}

// fail records a permanent failure of one row: a MySQL data error or a
// table that cannot take the row. Both are marked permanent explicitly,
// since errclass does not know every row-level MySQL error number.
func (w *tableWriter) fail(row sinkRow, err error) {
	err = fmt.Errorf("mysql sink: %s: table %s: %w", w.records[row.index].Where(), w.table, err)
	if isRecordError(err) {
		err = errclass.Data(err)
	} else {
		err = errclass.Permanent(err)
	}
	w.berr.Fail(row.index, err)
}

func (w *tableWriter) write(ctx context.Context, rows []sinkRow) (err error) {
	w.quoted, err = quoteQualified(w.table, w.s.cfg.PermissiveIdentifiers)
	if err != nil {
		return err // tableName validated it already
	}
	rows, err = w.ensureSchema(ctx, rows)
	if err != nil || len(rows) == 0 {
		return err
	}
	w.tx, err = w.s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mysql sink: table %s: begin: %w", w.table, err)
	}
	w.stmts = map[string]*sql.Stmt{}
	defer func() {
		for _, st := range w.stmts {
			_ = st.Close()
		}
		if err != nil {
			_ = w.tx.Rollback()
		}
	}()
	// Keys are unique after collapse, so deletes and writes touch different
	// rows; deleting first frees secondary unique values a write may reuse.
	dels, writes := splitDeletes(rows)
	for _, run := range runs(dels) {
		if err = w.deleteRun(ctx, run); err != nil {
			return err
		}
	}
	for _, run := range runs(writes) {
		if w.s.cfg.InsertMode == InsertModeUpdate {
			err = w.updateRun(ctx, run)
		} else {
			err = w.insertRun(ctx, run)
		}
		if err != nil {
			return err
		}
	}
	if err = w.tx.Commit(); err != nil {
		return fmt.Errorf("mysql sink: table %s: commit: %w", w.table, err)
	}
	return nil
}

// splitDeletes returns the delete rows and the write rows of rows, each in
// order; writes is rows itself when there is no delete.
func splitDeletes(rows []sinkRow) (dels, writes []sinkRow) {
	n := 0
	for _, r := range rows {
		if r.delete {
			n++
		}
	}
	if n == 0 {
		return nil, rows
	}
	dels, writes = make([]sinkRow, 0, n), make([]sinkRow, 0, len(rows)-n)
	for _, r := range rows {
		if r.delete {
			dels = append(dels, r)
		} else {
			writes = append(writes, r)
		}
	}
	return dels, writes
}

// runs splits rows into maximal runs of consecutive rows with the same
// columns, keeping order.
func runs(rows []sinkRow) [][]sinkRow {
	var out [][]sinkRow
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j].sig == rows[i].sig {
			j++
		}
		out = append(out, rows[i:j])
		i = j
	}
	return out
}

// chunks splits a run into statements of at most per rows and about
// maxStatementBytes of parameters.
func chunks(run []sinkRow, per int) [][]sinkRow {
	var out [][]sinkRow
	for i := 0; i < len(run); {
		j, size := i, 0
		for j < len(run) && j-i < per && (j == i || size+run[j].bytes <= maxStatementBytes) {
			size += run[j].bytes
			j++
		}
		out = append(out, run[i:j])
		i = j
	}
	return out
}

func (w *tableWriter) names(r sinkRow) []string {
	names := make([]string, len(r.cols))
	for i, c := range r.cols {
		names[i] = c.name
	}
	return names
}

// exec runs query with args in the transaction through the sink's cached
// prepared statement (prepared once per pooled connection).
func (w *tableWriter) exec(ctx context.Context, query string, args []any) error {
	st, ok := w.stmts[query]
	if !ok {
		dbst, err := w.s.stmt(ctx, query)
		if err != nil {
			return err
		}
		st = w.tx.StmtContext(ctx, dbst)
		w.stmts[query] = st
	}
	w.st.statements++
	_, err := st.ExecContext(ctx, args...)
	return err
}

// execChunk runs the statement for a chunk; when it fails with a data
// error it splits the chunk in halves and runs each (left first, so rows
// are still written in batch order) until the failing rows stand alone:
// k bad rows among n cost about 2k·log2(n) statements instead of n.
// InnoDB rolls back just the failed statement on such errors, so the
// transaction and the rows before it stay intact (no savepoint needed).
// explain, when not nil, turns a lone row's data error into the error
// reported for it; it returns nil when it wrote the row after all, and a
// non-nil fatal error to fail the batch.
func (w *tableWriter) execChunk(ctx context.Context, chunk []sinkRow, build func(n int) string, args func([]sinkRow) []any, explain explainFunc) error {
	err := w.exec(ctx, build(len(chunk)), args(chunk))
	if err == nil {
		return nil
	}
	if !isRecordError(err) {
		return fmt.Errorf("mysql sink: table %s: %w", w.table, err)
	}
	if len(chunk) > 1 {
		w.s.log.DebugContext(ctx, "mysql sink: data error in multi-row statement, splitting it", "table", w.table, "rows", len(chunk), "error", err)
		half := len(chunk) / 2
		if err := w.execChunk(ctx, chunk[:half], build, args, explain); err != nil {
			return err
		}
		return w.execChunk(ctx, chunk[half:], build, args, explain)
	}
	if explain != nil {
		var fatal error
		if err, fatal = explain(ctx, chunk[0], err); fatal != nil {
			return fmt.Errorf("mysql sink: table %s: %w", w.table, fatal)
		}
		if err == nil {
			return nil
		}
	}
	w.fail(chunk[0], err)
	return nil
}

// explainFunc maps a row's data error to the error reported for the
// record (nil: the row was written after all) or a fatal error.
type explainFunc func(ctx context.Context, row sinkRow, err error) (rowErr, fatal error)

// explainUniqueKey explains the unique key errors of an upsert (or of a
// pk.mode=kafka insert, which keeps existing rows): the key guard tripped
// (a unique value of the record is held by a row with another key) or
// updating the row with the record's key would duplicate another row's
// unique value. For the guard it runs the row as a plain INSERT, which
// fails with the server's duplicate entry error naming the index (and
// writes the row if that row is gone by now); the index's columns are
// then read from information_schema. Only failing rows pay for this.
func (w *tableWriter) explainUniqueKey(ctx context.Context, row sinkRow, err error) (error, error) {
	switch mysqlErrorNumber(err) {
	case keyGuardErrorNumber:
		names := w.names(row)
		err = w.exec(ctx, buildInsert(w.quoted, names, row.nkeys, 1, insertPlain, w.s.style), row.vals)
		if err == nil {
			return nil, nil
		}
		if !isRecordError(err) {
			return nil, err
		}
		if mysqlErrorNumber(err) != duplicateEntry {
			return err, nil
		}
	case duplicateEntry:
	default:
		return err, nil
	}
	var me *gomysql.MySQLError
	if !errors.As(err, &me) {
		return err, nil
	}
	ue := &uniqueKeyError{Key: duplicateKeyName(me.Message, w.table), RecordKey: w.names(row)[:row.nkeys], Err: err}
	if ue.Key != "" {
		ue.Columns = w.s.indexColumns(ctx, w.table, ue.Key)
	}
	return ue, nil
}

// indexColumns returns the columns of an index of table in order, or nil
// when information_schema cannot tell (the error is only decoration).
func (s *Sink) indexColumns(ctx context.Context, table, index string) []string {
	schema, name := schemaAndName(table)
	rows, err := s.db.QueryContext(ctx,
		"SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ? AND INDEX_NAME = ? ORDER BY SEQ_IN_INDEX",
		schema, name, index)
	if err != nil {
		return nil
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if rows.Scan(&c) != nil {
			return nil
		}
		cols = append(cols, c)
	}
	if rows.Err() != nil {
		return nil
	}
	return cols
}

func allVals(rows []sinkRow) []any {
	n := 0
	for _, r := range rows {
		n += len(r.vals)
	}
	out := make([]any, 0, n)
	for _, r := range rows {
		out = append(out, r.vals...)
	}
	return out
}

func keyVals(rows []sinkRow) []any {
	out := make([]any, 0, len(rows)*rows[0].nkeys)
	for _, r := range rows {
		out = append(out, r.vals[:r.nkeys]...)
	}
	return out
}

func (w *tableWriter) insertRun(ctx context.Context, run []sinkRow) error {
	names := w.names(run[0])
	nkeys := run[0].nkeys
	kind := insertPlain
	switch {
	case w.s.cfg.InsertMode == InsertModeUpsert:
		kind = insertUpsert
	case w.s.cfg.PKMode == PKModeKafka:
		// The key is the record's Kafka coordinates, so an existing row is
		// this very record written by an earlier delivery (Lambda delivers
		// at least once): keep it instead of failing on a duplicate.
		kind = insertKeepExisting
	}
	build := func(n int) string { return buildInsert(w.quoted, names, nkeys, n, kind, w.s.style) }
	var explain explainFunc
	if kind != insertPlain {
		explain = w.explainUniqueKey
	}
	for _, c := range chunks(run, statementRows(run, len(names), w.s.cfg.BatchSize)) {
		before := len(w.berr.Failed)
		if err := w.execChunk(ctx, c, build, allVals, explain); err != nil {
			return err
		}
		w.st.written += len(c) - (len(w.berr.Failed) - before)
	}
	return nil
}

func (w *tableWriter) deleteRun(ctx context.Context, run []sinkRow) error {
	names := w.names(run[0])[:run[0].nkeys]
	build := func(n int) string { return buildDelete(w.quoted, names, n) }
	for _, c := range chunks(run, statementRows(run, len(names), w.s.cfg.BatchSize)) {
		before := len(w.berr.Failed)
		if err := w.execChunk(ctx, c, build, keyVals, nil); err != nil {
			return err
		}
		w.st.deleted += len(c) - (len(w.berr.Failed) - before)
	}
	return nil
}

// updateRun runs one UPDATE per row (rows have different WHERE values, and
// a multi-row UPDATE would need a join on a derived table).
func (w *tableWriter) updateRun(ctx context.Context, run []sinkRow) error {
	names := w.names(run[0])
	nkeys := run[0].nkeys
	if len(names) == nkeys {
		return nil // nothing but the key: an update changes nothing
	}
	query := buildUpdate(w.quoted, names, nkeys)
	build := func(int) string { return query }
	args := func(rows []sinkRow) []any {
		r := rows[0]
		out := make([]any, 0, len(r.vals))
		out = append(out, r.vals[nkeys:]...)
		return append(out, r.vals[:nkeys]...)
	}
	for i := range run {
		before := len(w.berr.Failed)
		if err := w.execChunk(ctx, run[i:i+1], build, args, nil); err != nil {
			return err
		}
		if len(w.berr.Failed) == before {
			w.st.written++
		}
	}
	return nil
}

// schemaAndName splits a possibly db-qualified table name into the
// TABLE_SCHEMA parameter of an information_schema query (nil: the
// connection's database, for COALESCE(?, DATABASE())) and the table name.
func schemaAndName(table string) (schema any, name string) {
	if db, t, ok := strings.Cut(table, "."); ok {
		return db, t
	}
	return nil, table
}

// tableColumns returns the lower-cased column names of the table and
// whether it exists.
func (s *Sink) tableColumns(ctx context.Context, table string) (map[string]bool, bool, error) {
	schema, name := schemaAndName(table)
	rows, err := s.db.QueryContext(ctx,
		"SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?",
		schema, name)
	if err != nil {
		return nil, false, fmt.Errorf("mysql sink: read columns of %s: %w", table, err)
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, false, fmt.Errorf("mysql sink: read columns of %s: %w", table, err)
		}
		cols[strings.ToLower(c)] = true
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("mysql sink: read columns of %s: %w", table, err)
	}
	return cols, len(cols) > 0, nil
}

// ensureSchema creates the table (auto.create) or adds missing columns
// (auto.evolve) and returns the rows that can be written; rows that
// cannot are failed in the BatchError. A returned error fails the batch.
func (w *tableWriter) ensureSchema(ctx context.Context, rows []sinkRow) ([]sinkRow, error) {
	var union []sinkColumn
	seen := map[string]bool{}
	for i, r := range rows {
		if i > 0 && r.sig == rows[i-1].sig {
			continue // same columns as the row before
		}
		for _, c := range r.cols {
			if l := strings.ToLower(c.name); !seen[l] {
				seen[l] = true
				union = append(union, c)
			}
		}
	}
	w.s.mu.Lock()
	cols, exists := w.s.columns[w.table]
	w.s.mu.Unlock()
	for _, c := range union {
		if exists && !cols[strings.ToLower(c.name)] {
			exists = false // a column the cache lacks: re-read before evolving
			break
		}
	}
	if !exists {
		var err error
		if cols, exists, err = w.s.tableColumns(ctx, w.table); err != nil {
			return nil, err
		}
		if exists {
			w.s.mu.Lock()
			if w.s.columns == nil {
				w.s.columns = map[string]map[string]bool{}
			}
			w.s.columns[w.table] = cols
			w.s.mu.Unlock()
		}
	}
	failAll := func(err error) ([]sinkRow, error) {
		for _, r := range rows {
			w.fail(r, err)
		}
		return nil, nil
	}
	if !exists {
		if !w.s.cfg.AutoCreate {
			return failAll(fmt.Errorf("table %s does not exist and %s=false", w.table, SinkKeyAutoCreate))
		}
		ddl, err := buildCreateTable(w.quoted, union)
		if err != nil {
			return failAll(fmt.Errorf("auto.create: %w", err))
		}
		if _, err := w.s.db.ExecContext(ctx, ddl); err != nil {
			return nil, fmt.Errorf("mysql sink: auto.create table %s: %w", w.table, err)
		}
		w.s.forgetTable(w.table)
		w.s.log.InfoContext(ctx, "mysql sink created table", "table", w.table, "columns", len(union))
		return rows, nil
	}
	bad := map[string]error{}
	for _, c := range union {
		l := strings.ToLower(c.name)
		if cols[l] {
			continue
		}
		if !w.s.cfg.AutoEvolve {
			bad[l] = fmt.Errorf("table %s has no column %q and %s=false", w.table, c.name, SinkKeyAutoEvolve)
			continue
		}
		ddl, err := buildAddColumn(w.quoted, c)
		if err != nil {
			bad[l] = fmt.Errorf("auto.evolve: %w", err)
			continue
		}
		w.s.forgetTable(w.table)
		if _, err := w.s.db.ExecContext(ctx, ddl); err != nil && mysqlErrorNumber(err) != duplicateColumn {
			return nil, fmt.Errorf("mysql sink: auto.evolve table %s add column %q: %w", w.table, c.name, err)
		}
		w.s.log.InfoContext(ctx, "mysql sink added column", "table", w.table, "column", c.name)
	}
	if len(bad) == 0 {
		return rows, nil
	}
	kept := rows[:0:0]
	for _, r := range rows {
		var rowErr error
		for _, c := range r.cols {
			if err, ok := bad[strings.ToLower(c.name)]; ok {
				rowErr = err
				break
			}
		}
		if rowErr != nil {
			w.fail(r, rowErr)
		} else {
			kept = append(kept, r)
		}
	}
	return kept, nil
}
