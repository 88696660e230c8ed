package binlog

import (
	"context"
	"fmt"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// benchRows is the number of row changes each benchmark reads: 20
// transactions of 1000 inserted rows.
const benchRows = 20_000

// benchSetup writes benchRows rows into a fresh table and returns the
// connector config, the binlog position before the writes and the
// database name.
func benchSetup(b *testing.B) (Config, Position, string) {
	b.Helper()
	if testing.Short() {
		b.Skip("integration benchmark: needs MariaDB")
	}
	_, db, dbName, props := testServer(b)
	cfg, err := ParseConfig(withProps(props, map[string]string{
		"connector.class": MariaDBClass, "database.server.id": uniqueServerID(),
		"topic.prefix": "bench", "database.include.list": dbName, "snapshot.mode": "no_data",
		"include.schema.changes": "false", "max.batch.size": "4096",
	}))
	if err != nil {
		b.Fatal(err)
	}
	src, err := OpenSource(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	if _, err := db.Exec("CREATE TABLE ev (id INT PRIMARY KEY, v VARCHAR(40), n DECIMAL(10,2), ts DATETIME(6))"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	start, err := src.masterStatus(ctx)
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchRows / 1000 {
		if _, err := db.Exec(fmt.Sprintf("INSERT INTO ev SELECT seq, CONCAT('value-', seq), seq / 100, NOW(6) FROM seq_%d_to_%d", i*1000+1, (i+1)*1000)); err != nil {
			b.Fatal(err)
		}
	}
	return cfg, start, dbName
}

// BenchmarkReadChanges measures this connector reading row changes from the
// binlog into Debezium change events (decode, type mapping, envelopes; no
// Kafka), in changes/s.
func BenchmarkReadChanges(b *testing.B) {
	cfg, start, _ := benchSetup(b)
	src, err := OpenSource(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	if err := src.captureShapes(ctx); err != nil {
		b.Fatal(err)
	}
	start.Tables = src.shapes()
	b.ResetTimer()
	began := time.Now()
	for b.Loop() {
		pos, n := start.Encode(), 0
		src.closeStream()
		for n < benchRows {
			page, err := src.ReadPage(ctx, partition(cfg.TopicPrefix), pos)
			if err != nil {
				b.Fatal(err)
			}
			n += len(page.Records)
			pos = page.Next
			if !page.More && n < benchRows {
				b.Fatalf("caught up after %d of %d changes", n, benchRows)
			}
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/time.Since(began).Seconds(), "changes/s")
}

// BenchmarkRawBinlog is the ceiling: the same library reading and decoding
// the same binlog range with nothing done per row, in changes/s.
func BenchmarkRawBinlog(b *testing.B) {
	cfg, start, db := benchSetup(b)
	b.ResetTimer()
	began := time.Now()
	for b.Loop() {
		syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
			ServerID: cfg.ServerID, Flavor: gomysql.MariaDBFlavor, Host: cfg.Host, Port: uint16(cfg.Port),
			User: cfg.User, Password: cfg.Password.Value(), TimestampStringLocation: time.UTC, DisableRetrySync: true,
		})
		st, err := syncer.StartSync(gomysql.Position{Name: start.File, Pos: start.Pos})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		n := 0
		for n < benchRows {
			ev, err := st.GetEvent(ctx)
			if err != nil {
				b.Fatalf("after %d of %d changes: %v", n, benchRows, err)
			}
			if re, ok := ev.Event.(*replication.RowsEvent); ok && string(re.Table.Schema) == db && string(re.Table.Table) == "ev" {
				n += len(re.Rows)
			}
		}
		cancel()
		syncer.Close()
	}
	b.ReportMetric(float64(benchRows*b.N)/time.Since(began).Seconds(), "changes/s")
}
