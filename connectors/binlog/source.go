package binlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// DefaultPageTime bounds the binlog reading of one page.
const DefaultPageTime = 5 * time.Second

// Source reads change events from the binlog. It implements
// connectors.Source with one partition; pages end at transaction
// boundaries. Not safe for concurrent use (the task loop calls it from one
// goroutine at a time).
type Source struct {
	cfg     Config
	db      *sql.DB
	mariadb bool
	// gtids is set when the server writes GTIDs (MariaDB; MySQL with
	// gtid_mode=ON): positions then carry the GTID set (gtid.go).
	gtids bool
	// byGTID is set while the stream is resumed from the stored GTID set
	// because the stored file is not on the server (gtid.go).
	byGTID bool
	log    *slog.Logger
	// PageTime bounds the reading of one page (default DefaultPageTime);
	// a page read that hits it ends at the last complete transaction.
	PageTime time.Duration
	// Now is the clock of the envelope's ts_ms; nil means time.Now.
	Now func() time.Time

	tables map[string]*table // "db.table" → schema, dropped on DDL
	// shapeMap is the persisted form of tables, shared until it changes.
	shapeMap map[string]*shape

	syncer   *replication.BinlogSyncer
	streamer *replication.BinlogStreamer
	// streamAt is the boundary the open stream delivers next; zero when
	// the stream must be restarted before use.
	streamAt Position
}

var _ connectors.Source = (*Source)(nil)

// OpenSource connects to the server for metadata queries and checks that
// the binlog is on and in ROW format. The replication stream itself is
// opened by the first ReadPage. log may be nil.
func OpenSource(cfg Config, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.Default()
	}
	dc := mysqldrv.NewConfig()
	dc.User, dc.Passwd = cfg.User, cfg.Password.Value()
	dc.Net, dc.Addr = "tcp", net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	dc.Timeout, dc.ReadTimeout, dc.WriteTimeout = 10*time.Second, 30*time.Second, 30*time.Second
	conn, err := mysqldrv.NewConnector(dc)
	if err != nil {
		return nil, fmt.Errorf("binlog: connection config: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(2)
	s := &Source{cfg: cfg, db: db, log: log, tables: map[string]*table{}}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := s.checkServer(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Source) checkServer(ctx context.Context) error {
	var version, format string
	if err := s.db.QueryRowContext(ctx, "SELECT VERSION(), @@GLOBAL.binlog_format").Scan(&version, &format); err != nil {
		return fmt.Errorf("binlog: connect to %s:%d as %s: %w", s.cfg.Host, s.cfg.Port, s.cfg.User, err)
	}
	s.mariadb = strings.Contains(strings.ToLower(version), "mariadb")
	if s.cfg.SnapshotMode.readsTables() && !s.mariadb {
		return errclass.Permanent(fmt.Errorf("binlog: snapshot.mode=%s needs MariaDB (its consistent snapshots report their binlog position); %s:%d runs %s: use snapshot.mode=no_data",
			s.cfg.SnapshotMode, s.cfg.Host, s.cfg.Port, version))
	}
	if s.cfg.SignalTable != "" && !s.mariadb {
		return errclass.Permanent(fmt.Errorf("binlog: signal.data.collection needs MariaDB (its snapshots read chunks at an exact binlog position); %s:%d runs %s",
			s.cfg.Host, s.cfg.Port, version))
	}
	if !strings.EqualFold(format, "ROW") {
		return errclass.Permanent(fmt.Errorf("binlog: server %s:%d has binlog_format=%s; change data capture needs binlog_format=ROW", s.cfg.Host, s.cfg.Port, format))
	}
	return s.detectGTIDMode(ctx)
}

// Partitions returns the single partition {"server": topic.prefix}.
func (s *Source) Partitions(context.Context) ([]connectors.Partition, error) {
	return []connectors.Partition{partition(s.cfg.TopicPrefix)}, nil
}

// Close stops the replication stream and closes the connections.
func (s *Source) Close() error {
	s.closeStream()
	return s.db.Close()
}

func (s *Source) closeStream() {
	if s.syncer != nil {
		s.syncer.Close()
	}
	s.syncer, s.streamer, s.streamAt = nil, nil, Position{}
}

func (s *Source) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// masterStatus returns the server's current binlog end.
func (s *Source) masterStatus(ctx context.Context) (Position, error) {
	rows, err := s.db.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return Position{}, fmt.Errorf("binlog: SHOW MASTER STATUS: %w", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return Position{}, errclass.Permanent(errors.New("binlog: SHOW MASTER STATUS returned nothing: the server's binary log is off (set log_bin)"))
	}
	dst := make([]any, len(cols))
	var file string
	var pos uint32
	var executed sql.NullString
	dst[0], dst[1] = &file, &pos
	for i := 2; i < len(dst); i++ {
		dst[i] = new(sql.RawBytes)
		if strings.EqualFold(cols[i], "Executed_Gtid_Set") {
			dst[i] = &executed
		}
	}
	if err := rows.Scan(dst...); err != nil {
		return Position{}, fmt.Errorf("binlog: SHOW MASTER STATUS: %w", err)
	}
	return Position{File: file, Pos: pos, GTIDs: strings.ReplaceAll(executed.String, "\n", "")}, rows.Err()
}

// binaryLogs lists the binlog files the server still has, oldest first.
func (s *Source) binaryLogs(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return nil, fmt.Errorf("binlog: SHOW BINARY LOGS: %w", err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var files []string
	for rows.Next() {
		dst := make([]any, len(cols))
		var f string
		dst[0] = &f
		for i := 1; i < len(dst); i++ {
			dst[i] = new(sql.RawBytes)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("binlog: SHOW BINARY LOGS: %w", err)
		}
		files = append(files, f)
	}
	return files, rows.Err()
}

// initialPosition is where a connector without a stored offset starts.
func (s *Source) initialPosition(ctx context.Context) (Position, error) {
	if s.cfg.SnapshotMode == SnapshotNever {
		files, err := s.binaryLogs(ctx)
		if err != nil {
			return Position{}, err
		}
		if len(files) == 0 {
			return Position{}, errclass.Permanent(errors.New("binlog: the server lists no binary logs"))
		}
		pos := Position{File: files[0], Pos: 4}
		pos.GTIDs, err = s.gtidSetAt(ctx, pos, false)
		return pos, err
	}
	pos, err := s.masterStatus(ctx)
	if err != nil {
		return Position{}, err
	}
	pos.GTIDs, err = s.gtidSetAt(ctx, pos, true)
	return pos, err
}

// captureShapes reads the shape of every captured table, as Debezium's
// no_data mode captures the structure of the captured tables at its
// starting position (a DDL run between SHOW MASTER STATUS and this read
// is not seen).
func (s *Source) captureShapes(ctx context.Context) error {
	names, err := s.capturedTables(ctx)
	if err != nil {
		return err
	}
	s.tables = map[string]*table{}
	s.tablesChanged()
	for _, n := range names {
		if _, err := s.table(ctx, n[0], n[1]); err != nil && !errors.Is(err, errTableGone) {
			return errclass.Permanent(err)
		}
	}
	return nil
}

// capturedTables lists the captured base tables as {db, table}.
func (s *Source) capturedTables(ctx context.Context) ([][2]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'`)
	if err != nil {
		return nil, fmt.Errorf("binlog: list tables: %w", err)
	}
	defer rows.Close()
	var names [][2]string
	for rows.Next() {
		var db, name string
		if err := rows.Scan(&db, &name); err != nil {
			return nil, fmt.Errorf("binlog: list tables: %w", err)
		}
		if s.cfg.CapturesTable(db, name) {
			names = append(names, [2]string{db, name})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("binlog: list tables: %w", err)
	}
	return names, nil
}

// PurgedError reports a stored position the server no longer has.
type PurgedError struct {
	Pos   Position
	Cause error
}

func (e *PurgedError) Error() string {
	return fmt.Sprintf("binlog: the stored position %s:%d is no longer in the server's binary logs (purged, or the server was replaced): "+
		"the recovery is snapshot.mode=when_needed (MariaDB: every captured table is read again, then the stream continues from the current end), "+
		"or delete the connector's stored offset and restart with snapshot.mode=initial (MariaDB) "+
		"or snapshot.mode=no_data (the changes in between are lost): %v",
		e.Pos.File, e.Pos.Pos, e.Cause)
}

func (e *PurgedError) Unwrap() error { return e.Cause }

// checkAvailable fails with a permanent *PurgedError when pos's file is
// not among the server's binary logs.
func (s *Source) checkAvailable(ctx context.Context, pos Position) error {
	files, err := s.binaryLogs(ctx)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f == pos.File {
			return nil
		}
	}
	return errclass.Permanent(&PurgedError{Pos: pos, Cause: fmt.Errorf("the server has %s", strings.Join(files, ", "))})
}

func (s *Source) startStream(pos Position) error {
	s.closeStream()
	flavor := gomysql.MySQLFlavor
	if s.mariadb {
		flavor = gomysql.MariaDBFlavor
	}
	s.syncer = replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: s.cfg.ServerID, Flavor: flavor, Host: s.cfg.Host, Port: uint16(s.cfg.Port),
		User: s.cfg.User, Password: s.cfg.Password.Value(),
		TimestampStringLocation: time.UTC, DisableRetrySync: true,
		HeartbeatPeriod: time.Second, ReadTimeout: 30 * time.Second,
		Logger: s.log,
		// Rows of tables not captured are never decoded: less work on a
		// busy server, and a column type the decoder cannot read in some
		// other table does not stop this connector.
		RowsEventDecodeFunc: func(e *replication.RowsEvent, data []byte) error {
			pos, err := e.DecodeHeader(data)
			if err != nil {
				return err
			}
			if e.Table != nil && !s.cfg.CapturesTable(string(e.Table.Schema), string(e.Table.Table)) &&
				!s.cfg.isSignalTable(string(e.Table.Schema), string(e.Table.Table)) {
				return nil
			}
			return e.DecodeData(pos, data)
		},
	})
	var st *replication.BinlogStreamer
	var err error
	if s.byGTID {
		set, perr := gomysql.ParseGTIDSet(s.gtidFlavor(), pos.GTIDs)
		if perr != nil {
			s.closeStream()
			return errclass.Permanent(fmt.Errorf("binlog: stored GTID set %q: %w", pos.GTIDs, perr))
		}
		s.log.Info("binlog stream resumes from the stored GTID set: the stored file is not on the server", "gtids", pos.GTIDs, "file", pos.File, "pos", pos.Pos)
		st, err = s.syncer.StartSyncGTID(set)
	} else {
		st, err = s.syncer.StartSync(gomysql.Position{Name: pos.File, Pos: pos.Pos})
	}
	if err != nil {
		s.closeStream()
		return fmt.Errorf("binlog: start replication at %s:%d (GTID set %q) as server id %d: %w", pos.File, pos.Pos, pos.GTIDs, s.cfg.ServerID, err)
	}
	s.streamer, s.streamAt = st, pos
	return nil
}

// txn is the transaction being read.
type txn struct {
	open     bool
	explicit bool // started by a BEGIN query
	gtid     string
	start    uint32
	thread   int64
}

// pageReader holds one ReadPage's state.
type pageReader struct {
	s        *Source
	file     string
	cur      txn
	gtids    *gtidTracker
	boundary Position
	// progressed is set once a transaction ended in this page.
	progressed bool
	// snapshot is the initial snapshot's progress (nil: none running).
	snapshot *snapshotState
	// records holds the complete transactions' events, then those of the
	// open one; committed is the length up to the last boundary.
	records   []connect.Record
	committed int
}

// ReadPage reads the change events after pos (a transaction boundary) up
// to the server's binlog end as of the call, max.batch.size events or
// PageTime, whichever comes first, and always ends at a transaction
// boundary: Next is the position after the last complete transaction.
// Without a stored position it returns an empty page whose Next is the
// starting position of snapshot.mode, so that position is committed
// before anything is read.
//
// Errors: a position the server no longer has is a permanent
// *PurgedError (with snapshot.mode=when_needed, a new start instead; see
// whenneeded.go); a row that cannot be decoded is a permanent data error.
func (s *Source) ReadPage(ctx context.Context, p connectors.Partition, stored connectors.Position) (connectors.Page, error) {
	page, err := s.readPage(ctx, stored)
	if s.cfg.SnapshotMode == SnapshotWhenNeeded {
		return s.snapshotWhenPurged(ctx, page, err)
	}
	return page, err
}

func (s *Source) readPage(ctx context.Context, stored connectors.Position) (connectors.Page, error) {
	start, ok, err := ParsePosition(stored)
	if err != nil {
		return connectors.Page{}, errclass.Permanent(err)
	}
	if !ok {
		start, err = s.initialPosition(ctx)
		if err != nil {
			return connectors.Page{}, err
		}
		if err := s.captureShapes(ctx); err != nil {
			return connectors.Page{}, err
		}
		start.Tables = s.shapes()
		if s.cfg.SnapshotMode.readsTables() {
			if start.Snapshot, err = s.startSnapshot(); err != nil {
				return connectors.Page{}, err
			}
		}
		s.log.Info("binlog connector starts without a stored offset", "snapshot_mode", string(s.cfg.SnapshotMode), "file", start.File, "pos", start.Pos,
			"tables", len(start.Tables))
		return connectors.Page{Next: start.Encode(), More: true}, nil
	}
	reuse := s.streamer != nil && s.streamAt.at(start)
	if !reuse {
		// Decode with the shapes valid at the stored position.
		if err := s.restore(start); err != nil {
			return connectors.Page{}, errclass.Permanent(err)
		}
		// A stored position must be in a binlog file the server still
		// has, even when nothing new was written since; without it, the
		// stored GTID set is the way back in (gtid.go).
		s.byGTID = false
		if err := s.checkAvailable(ctx, start); err != nil {
			if !s.gtids || start.GTIDs == "" || !errors.As(err, new(*PurgedError)) {
				return connectors.Page{}, err
			}
			s.byGTID = true
		}
	}
	end, err := s.masterStatus(ctx)
	if err != nil {
		return connectors.Page{}, err
	}
	caughtUp := !start.before(end.File, end.Pos)
	if s.byGTID {
		if caughtUp, err = s.gtidCaughtUp(ctx, start.GTIDs, end.GTIDs); err != nil {
			return connectors.Page{}, err
		}
	}
	if caughtUp && start.Snapshot == nil {
		s.closeStream()
		return connectors.Page{Next: stored, More: false}, nil
	}
	if !reuse {
		if err := s.startStream(start); err != nil {
			return connectors.Page{}, err
		}
	}
	pageTime := s.PageTime
	if pageTime <= 0 {
		pageTime = DefaultPageTime
	}
	page, err := s.readFrom(ctx, start, stored, end, pageTime)
	if err != nil && reuse && !errclass.IsPermanent(err) && ctx.Err() == nil {
		if rerr := s.restore(start); rerr != nil {
			return connectors.Page{}, errclass.Permanent(rerr)
		}
		// A stream kept from an earlier page may have died while the
		// function was frozen between invocations: start afresh once.
		s.log.Info("binlog stream reused from an earlier page failed; restarting it", "error", err.Error())
		if err := s.startStream(start); err != nil {
			return connectors.Page{}, err
		}
		page, err = s.readFrom(ctx, start, stored, end, pageTime)
	}
	if err != nil || !page.More {
		// Caught up (the run ends here) or failed: the next page starts
		// a new stream from the committed position.
		s.closeStream()
	}
	return page, err
}

// readFrom reads one page from the open stream, positioned at start.
func (s *Source) readFrom(ctx context.Context, start Position, stored connectors.Position, end Position, pageTime time.Duration) (connectors.Page, error) {
	rctx, cancel := context.WithTimeout(ctx, pageTime)
	defer cancel()
	r := &pageReader{s: s, file: start.File, boundary: start, gtids: s.newGTIDTracker(start.GTIDs), snapshot: start.Snapshot}
	if !start.before(end.File, end.Pos) && !s.byGTID {
		return s.snapshotChunk(ctx, r, stored) // caught up already; only with a snapshot in progress
	}
	overtime := false
	for {
		ev, err := s.streamer.GetEvent(rctx)
		if err != nil {
			if rctx.Err() != nil && ctx.Err() == nil {
				if r.progressed {
					// Page time spent: end at the last boundary.
					return r.finish(stored, true)
				}
				if r.cur.open {
					// One transaction longer than a page: read on, up to
					// the invocation's own deadline, and end the page
					// with it.
					rctx, overtime = ctx, true
					continue
				}
				return connectors.Page{}, fmt.Errorf("binlog: no event within %s after %s:%d although the server's binlog ends at %s:%d",
					pageTime, start.File, start.Pos, end.File, end.Pos)
			}
			var me *gomysql.MyError
			if errors.As(err, &me) && me.Code == gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG {
				return connectors.Page{}, errclass.Permanent(&PurgedError{Pos: start, Cause: err})
			}
			return connectors.Page{}, fmt.Errorf("binlog: read events after %s:%d: %w", start.File, start.Pos, err)
		}
		atBoundary, err := r.handle(ctx, ev)
		if err != nil {
			return connectors.Page{}, err
		}
		if !atBoundary {
			if !r.cur.open && !r.boundary.before(end.File, end.Pos) && r.snapshot == nil {
				return r.finish(stored, false)
			}
			continue
		}
		if r.gtids.err != nil {
			return connectors.Page{}, errclass.Permanent(r.gtids.err)
		}
		if !r.boundary.before(end.File, end.Pos) {
			if r.snapshot != nil {
				return s.snapshotChunk(ctx, r, stored)
			}
			return r.finish(stored, false)
		}
		if r.committed >= s.cfg.MaxBatchSize || overtime {
			return r.finish(stored, true)
		}
	}
}

// finish returns the page up to the last boundary. The stream can be
// reused by the next page only when it stopped exactly there.
func (r *pageReader) finish(stored connectors.Position, more bool) (connectors.Page, error) {
	if r.cur.open {
		r.s.streamAt = Position{} // mid-transaction: restart next time
	} else {
		r.s.streamAt = r.boundary
	}
	next := stored
	if r.progressed {
		next = r.boundary.Encode()
	}
	return connectors.Page{Records: r.records[:r.committed:r.committed], Next: next, More: more}, nil
}

// handle processes one event; atBoundary reports that a transaction ended
// with it.
func (r *pageReader) handle(ctx context.Context, ev *replication.BinlogEvent) (atBoundary bool, err error) {
	h := ev.Header
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		r.file = string(e.NextLogName)
		if !r.cur.open {
			r.boundary = Position{File: r.file, Pos: uint32(e.Position), GTIDs: r.gtids.String(), TsSec: r.boundary.TsSec, Tables: r.boundary.Tables, Snapshot: r.snapshot}
		}
		return false, nil
	case *replication.MariadbGTIDEvent:
		r.begin(h, e.GTID.String(), false)
		return false, nil
	case *replication.GTIDEvent:
		g := ""
		if set, err := e.GTIDNext(); err == nil {
			g = set.String()
		}
		r.begin(h, g, false)
		return false, nil
	case *replication.QueryEvent:
		q := strings.TrimSpace(string(e.Query))
		switch {
		case strings.EqualFold(q, "BEGIN"):
			if !r.cur.open {
				r.begin(h, "", true)
			}
			r.cur.explicit = true
			r.cur.thread = int64(e.SlaveProxyID)
			return false, nil
		case strings.EqualFold(q, "COMMIT"), strings.EqualFold(q, "ROLLBACK"):
			// A ROLLBACK is logged only for a transaction that changed
			// non-transactional tables; those changes are in the rows
			// events and stand.
			return r.commit(h), nil
		case r.cur.explicit:
			return false, nil // SAVEPOINT and the like inside a transaction
		}
		// A statement outside BEGIN..COMMIT is DDL (ROW format logs DML as
		// row events): the table shapes may have changed.
		if isDDL(q) {
			r.s.invalidate(string(e.Schema), q)
			if r.s.cfg.IncludeSchemaChanges {
				if err := r.schemaChange(ctx, h, e, q); err != nil {
					return false, err
				}
			}
		}
		return r.commit(h), nil
	case *replication.XIDEvent:
		return r.commit(h), nil
	case *replication.MariadbBinlogCheckPointEvent, *replication.MariadbGTIDListEvent, *replication.PreviousGTIDsEvent:
		// Outside any transaction: the boundary moves past them, so a
		// binlog ending with one (a checkpoint written after a rotation)
		// still reads as caught up.
		if !r.cur.open && h.LogPos > r.boundary.Pos && r.file == r.boundary.File {
			r.boundary.Pos = h.LogPos
		}
		return false, nil
	case *replication.RowsEvent:
		return false, r.rows(ctx, h, e)
	}
	return false, nil
}

func (r *pageReader) begin(h *replication.EventHeader, gtid string, explicit bool) {
	r.records = r.records[:r.committed] // a transaction that never ended (cannot happen in a valid binlog)
	r.cur = txn{open: true, explicit: explicit, gtid: gtid, start: h.LogPos - h.EventSize, thread: -1}
}

func (r *pageReader) commit(h *replication.EventHeader) bool {
	if h.LogPos == 0 {
		return false
	}
	r.gtids.add(r.cur.gtid)
	r.committed = len(r.records)
	r.boundary = Position{File: r.file, Pos: h.LogPos, GTIDs: r.gtids.String(), TsSec: int64(h.Timestamp), Tables: r.s.shapes(), Snapshot: r.snapshot}
	r.cur = txn{}
	r.progressed = true
	return true
}

var ddlStart = regexp.MustCompile(`(?is)^\s*(/\*.*?\*/\s*)*(ALTER|CREATE|DROP|RENAME|TRUNCATE)\b`)

func isDDL(q string) bool { return ddlStart.MatchString(q) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func (s *Source) table(ctx context.Context, db, name string) (*table, error) {
	k := db + "." + name
	if t, ok := s.tables[k]; ok {
		return t, nil
	}
	t, err := loadTable(ctx, s.db, &s.cfg, s.mariadb, db, name)
	if err != nil {
		return nil, err
	}
	s.tables[k] = t
	s.tablesChanged()
	return t, nil
}

// rows turns one rows event into change events of the current transaction.
func (r *pageReader) rows(ctx context.Context, h *replication.EventHeader, e *replication.RowsEvent) error {
	if e.Table == nil {
		return nil
	}
	db, name := string(e.Table.Schema), string(e.Table.Table)
	if r.s.cfg.isSignalTable(db, name) {
		t, err := r.s.table(ctx, db, name)
		if err != nil {
			return err
		}
		r.signal(ctx, t, e)
	}
	if !r.s.cfg.CapturesTable(db, name) {
		return nil
	}
	t, err := r.s.table(ctx, db, name)
	if err != nil {
		return err
	}
	if err := t.checkShape(e.Table.ColumnType); err != nil {
		return errclass.Permanent(fmt.Errorf("%w (at %s:%d)", err, r.file, h.LogPos))
	}
	if !r.cur.open { // a rows event without BEGIN/GTID (should not happen)
		r.begin(h, "", false)
	}
	si := sourceInfo{ts: time.Unix(int64(h.Timestamp), 0), db: db, tbl: name, serverID: h.ServerID,
		gtid: r.cur.gtid, file: r.file, pos: h.LogPos - h.EventSize, thread: r.cur.thread}
	topic := topicName(r.s.cfg.TopicPrefix + "." + db + "." + name)
	now := r.s.now()
	emit := func(op string, before, after []any, row int) error {
		si.row = row
		var bv, av, key *connect.StructValue
		var err error
		if before != nil {
			if bv, key, err = t.row(before); err != nil {
				return errclass.Data(fmt.Errorf("%w (at %s:%d)", err, r.file, h.LogPos))
			}
		}
		if after != nil {
			var k *connect.StructValue
			if av, k, err = t.row(after); err != nil {
				return errclass.Data(fmt.Errorf("%w (at %s:%d)", err, r.file, h.LogPos))
			}
			if op == "u" && key != nil && !sameKey(key, k) {
				// Debezium: a primary key change is a delete (plus
				// tombstone) of the old key and a create of the new one.
				r.add(t, topic, key, t.envelope(&r.s.cfg, "d", bv, nil, si, now))
				r.tombstone(t, topic, key)
				r.add(t, topic, k, t.envelope(&r.s.cfg, "c", nil, av, si, now))
				return nil
			}
			key = k
		}
		r.add(t, topic, key, t.envelope(&r.s.cfg, op, bv, av, si, now))
		if op == "d" {
			r.tombstone(t, topic, key)
		}
		return nil
	}
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		for i, row := range e.Rows {
			if err := emit("c", nil, row, i); err != nil {
				return err
			}
		}
	case replication.EnumRowsEventTypeDelete:
		for i, row := range e.Rows {
			if err := emit("d", row, nil, i); err != nil {
				return err
			}
		}
	case replication.EnumRowsEventTypeUpdate:
		for i := 0; i+1 < len(e.Rows); i += 2 {
			if err := emit("u", e.Rows[i], e.Rows[i+1], i/2); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *pageReader) add(t *table, topic string, key, value *connect.StructValue) {
	rec := connect.Record{Topic: topic, ValueSchema: t.Envelope, Value: value}
	if key != nil {
		rec.KeySchema, rec.Key = t.Key, key
	}
	r.records = append(r.records, rec)
}

// tombstone follows a delete when tombstones.on.delete (only for tables
// with a key: a tombstone without a key deletes nothing).
func (r *pageReader) tombstone(t *table, topic string, key *connect.StructValue) {
	if !r.s.cfg.TombstonesOnDelete || key == nil {
		return
	}
	r.records = append(r.records, connect.Record{Topic: topic, KeySchema: t.Key, Key: key})
}

func sameKey(a, b *connect.StructValue) bool {
	return fmt.Sprint(a.Values...) == fmt.Sprint(b.Values...)
}

// topicName replaces characters Kafka does not allow in topic names with
// '_', as Debezium's topic naming does.
func topicName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}
