package mysql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// Partition keys, as the Confluent JDBC source connector writes them
// (OffsetProtocols version 1).
const (
	partitionProtocolKey = "protocol"
	partitionProtocol    = "1"
	partitionTableKey    = "table"
	partitionQueryKey    = "query"
)

// TablePartition returns the source partition of a table,
// {"protocol":"1","table":"db.table"}, as the JDBC source connector names it.
func TablePartition(db, table string) connectors.Partition {
	return connectors.Partition{partitionProtocolKey: partitionProtocol, partitionTableKey: db + "." + table}
}

// QueryPartition returns the source partition of query mode,
// {"query":"query"}, as the JDBC source connector names it.
func QueryPartition() connectors.Partition {
	return connectors.Partition{partitionQueryKey: "query"}
}

// checkPartition is the source's Plugin.CheckPartition: a table partition
// with a qualified table, or the query partition; the error names the
// field.
func checkPartition(p connectors.Partition) error {
	switch {
	case len(p) == 2 && p[partitionProtocolKey] == partitionProtocol && p[partitionTableKey] != "":
		if !strings.Contains(p[partitionTableKey], ".") {
			return fmt.Errorf(`partition.table %q: want "database.table"`, p[partitionTableKey])
		}
	case len(p) == 1 && p[partitionQueryKey] == "query":
	default:
		return fmt.Errorf(`partition %s: want {"protocol":"1","table":"database.table"} or {"query":"query"}`, p)
	}
	return nil
}

// SourcePosition is the offset of one partition. The JSON is shaped like
// the JDBC source connector's offsets so operators can read and edit it the
// same way: {"incrementing":42}, {"timestamp":1700000000000,
// "timestamp_nanos":123456000} or both. Only the fields the mode uses are set.
//
// Two fields are our own, because the JDBC connector loses rows without them:
//   - "key" holds the primary-key values of the last row read in timestamp
//     mode, a hidden tie-breaker so rows sharing one timestamp across a page
//     boundary are not skipped; in bulk mode it is the last key of the
//     current run.
//   - "bulk_run" (epoch ms when the run started) and "bulk_done" track a bulk
//     run, so a run cut off mid-table resumes instead of starting over.
//   - "gap_first_seen" and "gap_horizon" (incrementing mode): every id up to
//     gap_horizon still missing has been missing since gap_first_seen (epoch
//     ms on the database's clock), so a gap's age survives cold starts; see
//     incrementing.gap.timeout.ms.
//
// A JDBC connector offset (without "key") is accepted and resumes strictly
// after its timestamp, as the JDBC connector would.
type SourcePosition struct {
	// Incrementing is the last incrementing column value read.
	Incrementing *int64 `json:"incrementing,omitempty"`
	// Timestamp is the last timestamp read, epoch milliseconds.
	Timestamp *int64 `json:"timestamp,omitempty"`
	// TimestampNanos is the nanosecond-of-second of the last timestamp
	// (0..999999999), as java.sql.Timestamp.getNanos; it carries the
	// microseconds that Timestamp's milliseconds drop.
	TimestampNanos *int32 `json:"timestamp_nanos,omitempty"`
	// Key is the primary key of the last row read, one JSON value per key
	// column in key order (see keyValueJSON for the encoding).
	Key []json.RawMessage `json:"key,omitempty"`
	// BulkRun is the start of the current bulk run, epoch milliseconds.
	BulkRun *int64 `json:"bulk_run,omitempty"`
	// BulkDone reports that the bulk run BulkRun read the whole table; the
	// next read starts a new run.
	BulkDone bool `json:"bulk_done,omitempty"`
	// GapFirstSeen and GapHorizon: every id up to GapHorizon that is
	// missing has been missing since GapFirstSeen (epoch ms, database
	// clock); both set or both absent.
	GapFirstSeen *int64 `json:"gap_first_seen,omitempty"`
	GapHorizon   *int64 `json:"gap_horizon,omitempty"`
}

// ParsePosition decodes a stored position. Nil or empty input is the zero
// position ("from the beginning"). Unknown fields are rejected so a typo in a
// hand-edited offset fails loudly instead of silently restarting.
func ParsePosition(p connectors.Position) (SourcePosition, error) {
	var sp SourcePosition
	if len(bytes.TrimSpace(p)) == 0 || string(bytes.TrimSpace(p)) == "null" {
		return sp, nil
	}
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sp); err != nil {
		return SourcePosition{}, fmt.Errorf("mysql source: position %s: %w", string(p), err)
	}
	if sp.TimestampNanos != nil && (*sp.TimestampNanos < 0 || *sp.TimestampNanos > 999_999_999) {
		return SourcePosition{}, fmt.Errorf("mysql source: position %s: timestamp_nanos %d out of range 0..999999999", string(p), *sp.TimestampNanos)
	}
	if sp.TimestampNanos != nil && sp.Timestamp == nil {
		return SourcePosition{}, fmt.Errorf("mysql source: position %s: timestamp_nanos without timestamp", string(p))
	}
	if (sp.GapHorizon == nil) != (sp.GapFirstSeen == nil) || (sp.GapHorizon != nil && sp.Incrementing == nil) {
		return SourcePosition{}, fmt.Errorf("mysql source: position %s: gap_first_seen and gap_horizon go together, with incrementing", string(p))
	}
	if sp.GapHorizon != nil && *sp.GapHorizon <= *sp.Incrementing {
		return SourcePosition{}, fmt.Errorf("mysql source: position %s: gap_horizon %d must be above incrementing %d", string(p), *sp.GapHorizon, *sp.Incrementing)
	}
	return sp, nil
}

// Encode returns the position's JSON. Field order is fixed, so equal
// positions encode to equal bytes.
func (sp SourcePosition) Encode() connectors.Position {
	b, err := json.Marshal(sp)
	if err != nil {
		// Only RawMessage fields can fail, and they come from keyValueJSON
		// or a decoded position, both valid JSON.
		panic(fmt.Sprintf("mysql source: encode position: %v", err))
	}
	return connectors.Position(b)
}

// IsZero reports whether the position is "from the beginning".
func (sp SourcePosition) IsZero() bool {
	return sp.Incrementing == nil && sp.Timestamp == nil && sp.TimestampNanos == nil &&
		len(sp.Key) == 0 && sp.BulkRun == nil && !sp.BulkDone && sp.GapHorizon == nil && sp.GapFirstSeen == nil
}

// Time returns the position's timestamp with nanosecond precision, and
// whether it is set. JDBC's encoding keeps the millisecond part in
// "timestamp" and the whole sub-second part in "timestamp_nanos".
func (sp SourcePosition) Time() (time.Time, bool) {
	if sp.Timestamp == nil {
		return time.Time{}, false
	}
	ms := *sp.Timestamp
	sec := ms / 1000
	if ms%1000 < 0 {
		sec-- // floor for pre-1970 instants
	}
	if sp.TimestampNanos != nil {
		return time.Unix(sec, int64(*sp.TimestampNanos)).UTC(), true
	}
	return time.UnixMilli(ms).UTC(), true
}

// SetTime stores t as "timestamp" (epoch ms) and "timestamp_nanos".
func (sp *SourcePosition) SetTime(t time.Time) {
	ms := t.UnixMilli()
	ns := int32(t.Nanosecond())
	sp.Timestamp = &ms
	sp.TimestampNanos = &ns
}
