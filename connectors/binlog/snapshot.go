package binlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// Initial snapshot (snapshot.mode=initial), MariaDB only.
//
// The snapshot is read in chunks of incremental.snapshot.chunk.size rows
// per table, in primary key order, interleaved with the binlog stream and
// spread over as many pages and invocations as it needs; its progress
// (tables left, last key read) is part of the stored offset. A chunk is
// taken only when the stream has caught up, inside a transaction WITH
// CONSISTENT SNAPSHOT whose binlog position MariaDB reports exactly
// (binlog_snapshot_file/position): the chunk is the table's state at that
// position. The stream is then read up to that position, its events
// emitted first, and the chunk's rows follow as "r" events, so every key
// ends at its latest state. A DDL on the table between the stream's
// position and the chunk's drops the chunk; it is read again.

// snapshotState is the snapshot's progress, kept in the offset.
type snapshotState struct {
	// Tables are the "db.table" names still to read; the first is in
	// progress.
	Tables []string `json:"tables"`
	// LastKey is the primary key, as text, of the last row read from
	// Tables[0]; empty before its first chunk.
	LastKey []string `json:"last_key,omitempty"`
	// Rows counts the rows read so far.
	Rows int64 `json:"rows"`
	// Incremental marks an ad hoc snapshot (signal.go): its read events
	// carry source.snapshot = "incremental".
	Incremental bool `json:"incremental,omitempty"`
}

// startSnapshot lists the captured tables for the snapshot; each needs a
// primary key to be read in chunks.
func (s *Source) startSnapshot() (*snapshotState, error) {
	st := &snapshotState{Tables: slices.Sorted(func(yield func(string) bool) {
		for k := range s.tables {
			if !yield(k) {
				return
			}
		}
	})}
	for _, k := range st.Tables {
		if len(s.tables[k].keyCols) == 0 {
			return nil, errclass.Permanent(fmt.Errorf("binlog: table %s has no primary key: snapshot.mode=initial reads tables in primary key order; "+
				"exclude it (table.exclude.list) or use snapshot.mode=no_data", k))
		}
	}
	return st, nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// selectExpr reads a column as text the column converter understands the
// way it understands the binlog decoder's value (ENUM/SET/BIT as numbers).
func selectExpr(c *column) string {
	switch c.DataType {
	case "enum", "set", "bit":
		return "(" + quoteIdent(c.Name) + "+0)"
	}
	return quoteIdent(c.Name)
}

// chunk is one snapshot chunk read at binlog position at.
type chunk struct {
	at   Position
	rows [][]*string // nil = NULL
}

// readChunk reads the next chunk of t after lastKey in a consistent
// snapshot and returns it with the snapshot's binlog position.
func (s *Source) readChunk(ctx context.Context, t *table, lastKey []string) (chunk, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return chunk{}, fmt.Errorf("binlog: snapshot connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION time_zone = '+00:00'"); err != nil {
		return chunk{}, fmt.Errorf("binlog: snapshot session: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
		return chunk{}, fmt.Errorf("binlog: snapshot transaction: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck // read-only
	var ch chunk
	for _, v := range []struct {
		name string
		dst  any
	}{{"binlog_snapshot_file", &ch.at.File}, {"binlog_snapshot_position", &ch.at.Pos}} {
		var name string
		if err := conn.QueryRowContext(ctx, "SHOW STATUS LIKE '"+v.name+"'").Scan(&name, v.dst); err != nil {
			return chunk{}, fmt.Errorf("binlog: snapshot position (%s): %w", v.name, err)
		}
	}
	if ch.at.File == "" {
		return chunk{}, errclass.Permanent(errors.New("binlog: the server reports no binlog_snapshot_file: the binary log is off"))
	}
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = selectExpr(c)
	}
	keys := make([]string, len(t.keyCols))
	marks := make([]string, len(t.keyCols))
	for i, c := range t.keyCols {
		keys[i], marks[i] = quoteIdent(c.Name), "?"
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM " + quoteIdent(t.DB) + "." + quoteIdent(t.Name)
	var args []any
	if len(lastKey) > 0 {
		if len(lastKey) != len(keys) {
			return chunk{}, errclass.Permanent(fmt.Errorf("binlog: stored snapshot key %v does not fit the primary key of %s.%s (%s)", lastKey, t.DB, t.Name, strings.Join(keys, ", ")))
		}
		q += " WHERE (" + strings.Join(keys, ", ") + ") > (" + strings.Join(marks, ", ") + ")"
		for _, k := range lastKey {
			args = append(args, k)
		}
	}
	q += " ORDER BY " + strings.Join(keys, ", ") + " LIMIT " + strconv.Itoa(s.cfg.ChunkSize)
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return chunk{}, fmt.Errorf("binlog: snapshot chunk of %s.%s: %w", t.DB, t.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		raw := make([]sql.NullString, len(cols))
		dst := make([]any, len(cols))
		for i := range raw {
			dst[i] = &raw[i]
		}
		if err := rows.Scan(dst...); err != nil {
			return chunk{}, fmt.Errorf("binlog: snapshot chunk of %s.%s: %w", t.DB, t.Name, err)
		}
		row := make([]*string, len(cols))
		for i := range raw {
			if raw[i].Valid {
				v := raw[i].String
				row[i] = &v
			}
		}
		ch.rows = append(ch.rows, row)
	}
	if err := rows.Err(); err != nil {
		return chunk{}, fmt.Errorf("binlog: snapshot chunk of %s.%s: %w", t.DB, t.Name, err)
	}
	return ch, nil
}

// fromText turns a column's text (SELECT) into the value the binlog
// decoder would give, so one conversion serves both.
func fromText(c *column, v *string) (any, error) {
	if v == nil {
		return nil, nil
	}
	s := *v
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "bit", "enum", "set":
		if c.Unsigned || c.DataType == "bit" || c.DataType == "set" {
			return strconv.ParseUint(s, 10, 64)
		}
		return strconv.ParseInt(s, 10, 64)
	case "float":
		f, err := strconv.ParseFloat(s, 32)
		return float32(f), err
	case "double", "real":
		return strconv.ParseFloat(s, 64)
	case "year":
		return strconv.Atoi(s)
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return []byte(s), nil
	}
	return s, nil
}

// snapshotChunk reads one chunk of the snapshot in progress at the point
// where the stream has caught up: it streams on to the chunk's position,
// then adds the chunk's rows as read events.
func (s *Source) snapshotChunk(ctx context.Context, r *pageReader, stored connectors.Position) (connectors.Page, error) {
	st := r.snapshot
	key := st.Tables[0]
	db, name, _ := strings.Cut(key, ".")
	t, err := s.table(ctx, db, name)
	if errors.Is(err, errTableGone) {
		// Dropped since the snapshot began: nothing left to read.
		r.snapshot = &snapshotState{Tables: st.Tables[1:], Rows: st.Rows, Incremental: st.Incremental}
		if len(r.snapshot.Tables) == 0 {
			r.snapshot = nil
		}
		r.boundary.Snapshot, r.progressed = r.snapshot, true
		return r.finish(stored, true)
	}
	if err != nil {
		return connectors.Page{}, err
	}
	if len(t.keyCols) == 0 {
		return connectors.Page{}, errclass.Permanent(fmt.Errorf("binlog: table %s has no primary key; snapshot.mode=initial needs one", key))
	}
	ch, err := s.readChunk(ctx, t, st.LastKey)
	if err != nil {
		return connectors.Page{}, err
	}
	for r.boundary.before(ch.at.File, ch.at.Pos) {
		ev, err := s.streamer.GetEvent(ctx)
		if err != nil {
			return connectors.Page{}, fmt.Errorf("binlog: read events up to the snapshot chunk at %s:%d: %w", ch.at.File, ch.at.Pos, err)
		}
		if _, err := r.handle(ctx, ev); err != nil {
			return connectors.Page{}, err
		}
	}
	if r.cur.open || !r.boundary.at(ch.at) {
		return connectors.Page{}, fmt.Errorf("binlog: the snapshot chunk's position %s:%d is not a transaction boundary of the stream (at %s:%d)",
			ch.at.File, ch.at.Pos, r.boundary.File, r.boundary.Pos)
	}
	if s.tables[key] != t {
		// The table changed between the stream's position and the
		// chunk's: read the chunk again with the new shape.
		return r.finish(stored, true)
	}
	next := &snapshotState{Tables: st.Tables, Rows: st.Rows + int64(len(ch.rows)), Incremental: st.Incremental}
	if len(ch.rows) < s.cfg.ChunkSize {
		next.Tables = st.Tables[1:] // this table is done
	} else {
		next.LastKey = keyText(t, ch.rows[len(ch.rows)-1])
	}
	si := sourceInfo{ts: s.now(), db: db, tbl: name, serverID: s.cfg.ServerID, file: ch.at.File, pos: ch.at.Pos, thread: -1, snapshot: "true"}
	topic := topicName(s.cfg.TopicPrefix + "." + db + "." + name)
	now := s.now()
	for i, raw := range ch.rows {
		vals := make([]any, len(raw))
		for j, c := range t.Columns {
			if vals[j], err = fromText(c, raw[j]); err != nil {
				return connectors.Page{}, errclass.Data(fmt.Errorf("binlog: snapshot of %s column %s value %q: %w", key, c.Name, *raw[j], err))
			}
		}
		after, k, err := t.row(vals)
		if err != nil {
			return connectors.Page{}, errclass.Data(err)
		}
		if st.Incremental {
			si.snapshot = "incremental"
		} else if len(next.Tables) == 0 && i == len(ch.rows)-1 {
			si.snapshot = "last"
		}
		r.add(t, topic, k, t.envelope(&s.cfg, "r", nil, after, si, now))
	}
	if len(next.Tables) == 0 {
		next = nil
		s.log.Info("initial snapshot complete", "rows", st.Rows+int64(len(ch.rows)))
	}
	r.snapshot = next
	r.boundary.Snapshot = next
	r.boundary.Tables = s.shapes()
	r.committed = len(r.records)
	r.progressed = true
	return r.finish(stored, true)
}

// keyText is the primary key of a raw row, as text.
func keyText(t *table, raw []*string) []string {
	var out []string
	for i, c := range t.Columns {
		if c.Key && raw[i] != nil {
			out = append(out, *raw[i])
		}
	}
	return out
}
