package binlog

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"
)

// Ad hoc snapshots (signal.data.collection), as Debezium's signalling
// table: a row inserted into the signal table (columns id, type, data)
// with type "execute-snapshot" and data {"data-collections": ["db\\.t",
// ...], "type": "incremental"} starts a snapshot of the captured tables
// the regular expressions match, read in chunks by the same machinery as
// snapshot.mode=initial (snapshot.go) once the transaction that inserted
// the signal is committed; its read events carry source.snapshot =
// "incremental". The signal table's rows are read from the binlog, so the
// table needs no capture; its own change events are sent only when it is
// captured. MariaDB only. A signal this connector cannot carry out is
// logged as a warning with its id and skipped, as Debezium does.

// isSignalTable reports whether db.name is the configured signal table.
func (c *Config) isSignalTable(db, name string) bool {
	return c.SignalTable != "" && strings.EqualFold(c.SignalTable, db+"."+name)
}

// signal reads the signal rows of one rows event.
func (r *pageReader) signal(ctx context.Context, t *table, e *replication.RowsEvent) {
	if e.Type() != replication.EnumRowsEventTypeInsert {
		return
	}
	col := func(vals []any, name string) string {
		for i, c := range t.Columns {
			if strings.EqualFold(c.Name, name) && i < len(vals) {
				switch v := vals[i].(type) {
				case string:
					return v
				case []byte:
					return string(v)
				}
			}
		}
		return ""
	}
	for _, row := range e.Rows {
		id, typ, data := col(row, "id"), col(row, "type"), col(row, "data")
		if !strings.EqualFold(typ, "execute-snapshot") {
			r.s.log.Warn("binlog: signal ignored: only execute-snapshot is supported", "id", id, "type", typ)
			continue
		}
		tables, err := r.s.signalTables(ctx, data)
		if err != nil {
			r.s.log.Warn("binlog: execute-snapshot signal ignored", "id", id, "error", err.Error())
			continue
		}
		st := r.snapshot
		if st == nil {
			st = &snapshotState{}
		} else {
			cp := *st
			st = &cp
		}
		st.Incremental = true
		for _, k := range tables {
			if !slices.Contains(st.Tables, k) {
				st.Tables = append(slices.Clone(st.Tables), k)
			}
		}
		r.snapshot = st
		r.s.log.Info("binlog: ad hoc snapshot requested", "id", id, "tables", tables)
	}
}

// signalTables resolves an execute-snapshot signal's data-collections
// (regular expressions matching whole db.table names) to the captured
// tables with a primary key, in name order.
func (s *Source) signalTables(ctx context.Context, data string) ([]string, error) {
	var d struct {
		Collections []string `json:"data-collections"`
		Type        string   `json:"type"`
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, fmt.Errorf("data %q is not JSON: %w", data, err)
	}
	if d.Type != "" && !strings.EqualFold(d.Type, "incremental") {
		return nil, fmt.Errorf("snapshot type %q: only incremental is supported", d.Type)
	}
	if len(d.Collections) == 0 {
		return nil, fmt.Errorf("data %q names no data-collections", data)
	}
	var res []*regexp.Regexp
	for _, c := range d.Collections {
		re, err := regexp.Compile(`(?i)^(?:` + c + `)$`)
		if err != nil {
			return nil, fmt.Errorf("data-collection %q is not a regular expression: %w", c, err)
		}
		res = append(res, re)
	}
	names, err := s.capturedTables(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		k := n[0] + "." + n[1]
		if !anyMatch(res, k) {
			continue
		}
		t, err := s.table(ctx, n[0], n[1])
		if err != nil {
			return nil, err
		}
		if len(t.keyCols) == 0 {
			return nil, fmt.Errorf("table %s has no primary key: snapshots read tables in primary key order", k)
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("data-collections %v match no captured table", d.Collections)
	}
	slices.Sort(out)
	return out, nil
}
