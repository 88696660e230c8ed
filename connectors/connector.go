// Package connectors defines the two small interfaces every connector
// implements, and the registry of connectors (Register, Lookup): each
// connector package registers its classes, kind, key definitions,
// constructor and error classifier, and everything else (the functions, the
// control API, the CDK app, the generated references) takes them from
// here. They know nothing of Lambda: the function wiring in functions/ and
// the task loops in shared/ drive them.
package connectors

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Partition is a source partition as Kafka Connect names it: for the JDBC
// source {"protocol":"1","table":"db.table"} or {"query":"..."}. It keys the
// offset store.
type Partition map[string]string

// String is the canonical JSON of the partition (keys sorted), stable across
// runs, used as the offset store's sort key.
func (p Partition) String() string {
	keys := slices.Sorted(maps.Keys(p))
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(p[k])
		b.Write(kj)
		b.WriteByte(':')
		b.Write(vj)
	}
	b.WriteByte('}')
	return b.String()
}

// Position is a connector-owned offset within a partition, as the JSON object
// Kafka Connect would store (e.g. {"incrementing":42}). The framework stores
// it without interpreting it; nil means "from the beginning".
type Position json.RawMessage

// Page is one bounded read from a source partition.
type Page struct {
	// Records are in the order they must be produced.
	Records []connect.Record
	// Next is the position after the last record; store it once every
	// record is acknowledged. Equal to the input position when Records is
	// empty.
	Next Position
	// More reports whether the partition may have rows beyond this page
	// (the page was full).
	More bool
}

// Source reads bounded pages from a system. Implementations hold their own
// connections; Close releases them.
type Source interface {
	// Partitions lists the partitions to read, in a stable order.
	Partitions(ctx context.Context) ([]Partition, error)
	// ReadPage reads at most the configured page size of records after pos.
	ReadPage(ctx context.Context, p Partition, pos Position) (Page, error)
	Close() error
}

// Destination writes batches of sink records to a system.
type Destination interface {
	// Write writes records in order. It returns nil when all were written,
	// a *BatchError naming the records that failed when some did, or any
	// other error when the batch as a whole failed (nothing may be assumed
	// written). Writes must be idempotent: the same batch written again
	// leaves the target unchanged.
	Write(ctx context.Context, records []connect.Record) error
	Close() error
}

// BatchError reports per-record failures of a Destination.Write. Indexes
// refer to the slice passed to Write.
type BatchError struct {
	Failed map[int]error
}

// NewBatchError returns an empty BatchError; add failures with Fail.
func NewBatchError() *BatchError { return &BatchError{Failed: map[int]error{}} }

// Fail records that the record at index i failed with err and returns b.
func (b *BatchError) Fail(i int, err error) *BatchError {
	b.Failed[i] = err
	return b
}

// Error summarises the failures.
func (b *BatchError) Error() string {
	idx := make([]int, 0, len(b.Failed))
	for i := range b.Failed {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	if len(idx) == 0 {
		return "connectors: batch error with no failed records"
	}
	return fmt.Sprintf("connectors: %d record(s) failed; first (index %d): %v", len(idx), idx[0], b.Failed[idx[0]])
}
