package mysql

import (
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// arenaRows is the row count of one scan arena (see scanPage).
const arenaRows = 512

// rowMark is what the position needs from a row.
type rowMark struct {
	inc int64
	ts  time.Time
	key []json.RawMessage
}

// scanPage scans every row into records, closing rows.
func (s *Source) scanPage(pl *plan, rows *sql.Rows) ([]connect.Record, []rowMark, error) {
	defer rows.Close()
	n := len(pl.codecs)
	raws := make([]sql.RawBytes, n)
	anys := make([]any, n)
	dest := make([]any, n)
	for i, c := range pl.codecs {
		if c.kind.usesRawBytes() {
			dest[i] = &raws[i]
		} else {
			dest[i] = &anys[i]
		}
	}
	readAt := time.Now().UTC()
	// Rows' values and structs come from arenas of up to arenaRows rows:
	// a few allocations per chunk instead of several per row, without
	// reserving batch.max.rows worth of memory for a page that is short.
	chunk := min(pl.q.Limit, arenaRows)
	recs := make([]connect.Record, 0, min(pl.q.Limit, 10_000))
	marks := make([]rowMark, 0, min(pl.q.Limit, 10_000))
	nk := len(pl.keyIdx)
	var valBuf, keyBuf []any
	var structs []connect.StructValue
	row := 0 // index within the current arena
	va := newValueArena(chunk)
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, fmt.Errorf("mysql source: read %s: %w", pl.label, err)
		}
		if len(recs) == pl.q.Limit { // cannot happen with LIMIT; keep memory bounded anyway
			return nil, nil, fmt.Errorf("mysql source: read %s: more rows than LIMIT %d", pl.label, pl.q.Limit)
		}
		if row == len(structs)/2 {
			valBuf = make([]any, n*chunk)
			keyBuf = make([]any, nk*chunk)
			structs = make([]connect.StructValue, 2*chunk)
			row = 0
		}
		vals := valBuf[row*n : (row+1)*n : (row+1)*n]
		for i := range pl.codecs {
			v, err := pl.codecs[i].convert(raws[i], anys[i], va)
			if err != nil {
				return nil, nil, err
			}
			vals[i] = v
		}
		var m rowMark
		if pl.incIdx >= 0 {
			inc, err := toInt64(anys[pl.incIdx])
			if err != nil {
				return nil, nil, fmt.Errorf("mysql source: %s: incrementing column %s: %w", pl.label, pl.codecs[pl.incIdx].col.Name, err)
			}
			m.inc = inc
		}
		sv := &structs[2*row]
		sv.Schema, sv.Values = pl.value, vals
		rec := connect.Record{
			Topic: pl.topic, Partition: -1, Offset: -1, Timestamp: readAt, TimestampType: "CreateTime",
			ValueSchema: pl.value, Value: sv,
		}
		if len(pl.tsIdx) > 0 {
			for _, i := range pl.tsIdx {
				if t, ok := anys[i].(time.Time); ok && !t.IsZero() {
					m.ts = t
					break
				}
			}
			if m.ts.IsZero() {
				return nil, nil, fmt.Errorf("mysql source: %s: row with NULL timestamp returned (internal error)", pl.label)
			}
			rec.Timestamp = m.ts.UTC()
		}
		if len(pl.tieIdx) > 0 {
			m.key = make([]json.RawMessage, len(pl.tieIdx))
			for j, i := range pl.tieIdx {
				kv, err := s.keyJSON(pl.codecs[i].kind, raws[i], anys[i])
				if err != nil {
					return nil, nil, fmt.Errorf("mysql source: %s: key column %s: %w", pl.label, pl.codecs[i].col.Name, err)
				}
				m.key[j] = kv
			}
		}
		if pl.key != nil {
			kv := keyBuf[row*nk : (row+1)*nk : (row+1)*nk]
			for j, i := range pl.keyIdx {
				kv[j] = vals[i]
			}
			ks := &structs[2*row+1]
			ks.Schema, ks.Values = pl.key, kv
			rec.KeySchema, rec.Key = pl.key, ks
		}
		recs = append(recs, rec)
		marks = append(marks, m)
		row++
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("mysql source: read %s: %w", pl.label, err)
	}
	return recs, marks, nil
}

// keyJSON encodes a key column's scanned value for the position: integers
// as JSON numbers, binary columns as base64 strings, date-times as
// "YYYY-MM-DD HH:MM:SS.ffffff" in db.timezone, anything else as its text.
func (s *Source) keyJSON(k kind, raw sql.RawBytes, v any) (json.RawMessage, error) {
	var out any
	switch {
	case k == kBytes || k == kBits:
		if raw == nil {
			return nil, errors.New("NULL in a key column")
		}
		out = base64.StdEncoding.EncodeToString(raw)
	case k == kUint64Decimal:
		// BIGINT UNSIGNED read as Decimal: keep it a JSON number so it binds
		// as uint64 (a string would be compared as DOUBLE by MySQL).
		if _, err := strconv.ParseUint(string(raw), 10, 64); err != nil {
			return nil, fmt.Errorf("BIGINT UNSIGNED key %q: %w", raw, err)
		}
		return json.RawMessage(append([]byte(nil), raw...)), nil
	case k.usesRawBytes():
		if raw == nil {
			return nil, errors.New("NULL in a key column")
		}
		out = string(raw)
	default:
		switch x := v.(type) {
		case nil:
			return nil, errors.New("NULL in a key column")
		case int64:
			return json.RawMessage(strconv.FormatInt(x, 10)), nil
		case uint64:
			return json.RawMessage(strconv.FormatUint(x, 10)), nil
		case []byte:
			if _, err := strconv.ParseUint(string(x), 10, 64); err == nil {
				return json.RawMessage(x), nil
			}
			out = string(x)
		case float32, float64:
			out = x
		case time.Time:
			out = x.In(s.loc).Format("2006-01-02 15:04:05.999999")
		default:
			return nil, fmt.Errorf("unexpected driver value %T", v)
		}
	}
	b, err := json.Marshal(out)
	return b, err
}

// keyValues decodes a position's key into bind values for pl's tie-breaker
// columns.
func (s *Source) keyValues(pl *plan, key []json.RawMessage) ([]any, error) {
	if len(key) == 0 {
		return nil, nil
	}
	if len(key) != len(pl.tieIdx) {
		return nil, fmt.Errorf("mysql source: %s: position key has %d values, the primary key has %d columns", pl.label, len(key), len(pl.tieIdx))
	}
	out := make([]any, len(key))
	for j, raw := range key {
		c := pl.codecs[pl.tieIdx[j]]
		var v any
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("mysql source: %s: position key %s: %w", pl.label, raw, err)
		}
		switch x := v.(type) {
		case json.Number:
			if n, err := strconv.ParseInt(string(x), 10, 64); err == nil {
				out[j] = n
			} else if u, err := strconv.ParseUint(string(x), 10, 64); err == nil {
				out[j] = u
			} else {
				out[j] = string(x)
			}
		case string:
			if c.kind == kBytes || c.kind == kBits {
				b, err := base64.StdEncoding.DecodeString(x)
				if err != nil {
					return nil, fmt.Errorf("mysql source: %s: position key %s for binary column %s: %w", pl.label, raw, c.col.Name, err)
				}
				out[j] = b
			} else {
				out[j] = x
			}
		default:
			return nil, fmt.Errorf("mysql source: %s: position key %s: want a number or string", pl.label, raw)
		}
	}
	return out, nil
}
