package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// TestSinkIntegrationSchemaCache changes the table behind the sink's back
// between Writes: the cached columns and prepared statements must never
// turn a change into a failed record or batch.
func TestSinkIntegrationSchemaCache(t *testing.T) {
	tests := []struct {
		name   string
		change string // DDL run between the two Writes; %s is the table
		kv     []string
		want   [][]string
	}{
		{
			name:   "table dropped: recreated by auto.create",
			change: "DROP TABLE %s",
			kv:     []string{"auto.create", "true"},
			want:   [][]string{{"2", "b", "2.02"}},
		},
		{
			name:   "column dropped: re-added by auto.evolve",
			change: "ALTER TABLE %s DROP COLUMN amount",
			kv:     []string{"auto.create", "true", "auto.evolve", "true"},
			want:   [][]string{{"1", "a", "NULL"}, {"2", "b", "2.02"}},
		},
		{
			name:   "column added elsewhere: still written",
			change: "ALTER TABLE %s ADD COLUMN extra INT NULL",
			kv:     []string{"auto.create", "true"},
			want:   [][]string{{"1", "a", "1.01", "NULL"}, {"2", "b", "2.02", "NULL"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newSinkFixture(t)
			s := f.sink(t, append([]string{"insert.mode", "upsert", "pk.mode", "record_key"}, tt.kv...)...)
			// The first Write creates the table, the second caches it.
			mustWrite(t, s, []connect.Record{rec("orders", 1, testKey(1), testValue(1, "a"))})
			mustWrite(t, s, []connect.Record{rec("orders", 1, testKey(1), testValue(1, "a"))})
			if len(s.columns) != 1 || len(s.stmts) == 0 {
				t.Fatalf("after the first Write: %d cached tables, %d statements; want both cached", len(s.columns), len(s.stmts))
			}
			f.exec(t, fmt.Sprintf(tt.change, QuoteIdent("orders")))
			mustWrite(t, s, []connect.Record{rec("orders", 2, testKey(2), testValue(2, "b"))})
			if rows, _ := f.dump(t, "orders", "id"); !reflect.DeepEqual(rows, tt.want) {
				t.Errorf("rows = %v, want %v", rows, tt.want)
			}
		})
	}
}

// BenchmarkSinkIntegrationUpsert100 measures Write of 100-record batches
// (the ESM's default batch size), where per-Write overhead dominates.
func BenchmarkSinkIntegrationUpsert100(b *testing.B) {
	f := newSinkFixture(b)
	s := f.sink(b, "insert.mode", "upsert", "pk.mode", "record_key", "auto.create", "true")
	s.log = slog.New(slog.DiscardHandler)
	const n = 100
	records := make([]connect.Record, n)
	for i := range records {
		records[i] = rec("orders", int64(i), testKey(int64(i)), testValue(int64(i), fmt.Sprint("name-", i)))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := s.Write(context.Background(), records); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
}

// TestSinkIntegrationStatementSize: rows of about 1 KB go in statements of
// about 192 KiB of values (statementRows), not in one statement of up to
// batch.size rows, and every row is written.
func TestSinkIntegrationStatementSize(t *testing.T) {
	f := newSinkFixture(t)
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "auto.create", "true")
	var logs bytes.Buffer
	s.log = slog.New(slog.NewJSONHandler(&logs, nil))
	var records []connect.Record
	for i := range int64(1000) {
		records = append(records, rec("orders", i, testKey(i), testValue(i, strings.Repeat("n", 1000))))
	}
	mustWrite(t, s, records)
	var line struct{ Statements int }
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"msg":"mysql sink batch"`) {
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
		}
	}
	// About 1,020 bytes a row: 192 rows a statement, so 6 statements, where
	// batch.size (3000) alone would make one.
	if line.Statements != 6 {
		t.Errorf("1,000 rows of 1 KB took %d statements, want 6", line.Statements)
	}
	if rows, _ := f.dump(t, "orders", "id"); len(rows) != 1000 {
		t.Errorf("%d rows written, want 1000", len(rows))
	}
}
