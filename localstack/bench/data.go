package main

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// dataset is one seeded table: rows with a BIGINT key and a note column
// padded so a row is about RowBytes on the wire.
type dataset struct {
	Label    string // "200B", "1KB"
	Table    string
	Rows     int
	RowBytes int
	// Sizes holds the measured wire size of every row (sum of its column
	// values as the text protocol sends them), filled by the scan ceiling;
	// the produce ceiling sends values of the same sizes.
	Sizes []int32
	// MeanBytes is the measured mean row size.
	MeanBytes float64
}

// fixedBytes is about what id, ts, cust, amount and name take on the wire;
// the note column fills the rest of the row.
const fixedBytes = 58

// dataColumns are the columns of a data set's table, in the source's
// column order; the e2e destination adds one.
const dataColumns = `  id BIGINT NOT NULL PRIMARY KEY,
  ts DATETIME(6) NOT NULL,
  cust INT NOT NULL,
  amount DECIMAL(12,2) NOT NULL,
  name VARCHAR(64) NOT NULL,
  note VARCHAR(2048) NOT NULL`

// tableDDL creates a data set's table; %s is its name.
const tableDDL = "CREATE TABLE %s (\n" + dataColumns + "\n)"

// seed creates and fills the table with MariaDB's Sequence engine.
func seed(ctx context.Context, db *sql.DB, d *dataset) (time.Duration, error) {
	start := time.Now()
	if _, err := db.ExecContext(ctx, fmt.Sprintf(tableDDL, d.Table)); err != nil {
		return 0, fmt.Errorf("bench: creating table %s: %w", d.Table, err)
	}
	pad := d.RowBytes - fixedBytes
	if pad < 1 {
		pad = 1
	}
	// Chunks keep each transaction (and the undo log) bounded.
	const chunk = 500_000
	for lo := 1; lo <= d.Rows; lo += chunk {
		hi := min(lo+chunk-1, d.Rows)
		q := fmt.Sprintf(`INSERT INTO %s (id, ts, cust, amount, name, note)
SELECT seq, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 1000 MICROSECOND, seq MOD 977,
       (seq MOD 100000) / 100, CONCAT('customer name ', seq), LEFT(REPEAT(MD5(seq), %d), %d)
FROM seq_%d_to_%d`, d.Table, pad/32+1, pad, lo, hi)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return 0, fmt.Errorf("bench: seeding %s rows %d..%d: %w", d.Table, lo, hi, err)
		}
	}
	return time.Since(start), nil
}

// row is one table row with Go types, used by the raw upsert and
// BatchWriteItem ceilings.
type row struct {
	ID     int64
	TS     time.Time
	Cust   int32
	Amount string
	Name   string
	Note   string
}

// loadRows reads the first n rows of the table in key order.
func loadRows(ctx context.Context, db *sql.DB, table string, n int) ([]row, error) {
	rs, err := db.QueryContext(ctx, fmt.Sprintf("SELECT id, ts, cust, amount, name, note FROM %s ORDER BY id LIMIT %d", table, n))
	if err != nil {
		return nil, fmt.Errorf("bench: reading rows of %s: %w", table, err)
	}
	defer rs.Close()
	out := make([]row, 0, n)
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.ID, &r.TS, &r.Cust, &r.Amount, &r.Name, &r.Note); err != nil {
			return nil, fmt.Errorf("bench: scanning a row of %s: %w", table, err)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("bench: reading rows of %s: %w", table, err)
	}
	return out, nil
}
