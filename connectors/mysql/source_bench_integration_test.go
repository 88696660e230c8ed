package mysql

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// BenchmarkReadPage reads a 100k-row table (8 columns: ints, varchar,
// DECIMAL, DATETIME(6), nullable text) page by page in
// timestamp+incrementing mode and reports rows/s and allocations per row.
//
//	go test ./connectors/mysql/ -run '^$' -bench BenchmarkReadPage -benchmem
func BenchmarkReadPage(b *testing.B) {
	env := testenv.New(b)
	db, name := env.MySQLDatabase(b)
	for _, s := range []string{
		"CREATE TABLE bench (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, ts DATETIME(6) NOT NULL, cust INT NOT NULL, qty SMALLINT NOT NULL, " +
			"name VARCHAR(64) NOT NULL, amount DECIMAL(20,4) NOT NULL, note TEXT NULL, flag TINYINT NOT NULL, KEY ts_id (ts, id))",
		"INSERT INTO bench (id, ts, cust, qty, name, amount, note, flag) SELECT seq, TIMESTAMP'2024-01-01 00:00:00' + INTERVAL seq * 1000 MICROSECOND, " +
			"seq MOD 977, seq MOD 100, CONCAT('customer name ', seq), seq * 3.1415, IF(seq MOD 3 = 0, NULL, 'some note text'), seq MOD 2 FROM seq_1_to_100000",
	} {
		if _, err := db.Exec(s); err != nil {
			b.Fatal(err)
		}
	}
	for _, batch := range []int{100, 1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			cfg, err := ParseSourceConfig(map[string]string{"connection.url": env.MySQLDSN(name), "mode": "timestamp+incrementing",
				"timestamp.column.name": "ts", "table.whitelist": "bench", "batch.max.rows": fmt.Sprint(batch)})
			if err != nil {
				b.Fatal(err)
			}
			src, err := OpenSource(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			part := TablePartition(name, "bench")
			ctx := context.Background()
			rows := 0
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				var pos connectors.Position
				for {
					page, err := src.ReadPage(ctx, part, pos)
					if err != nil {
						b.Fatal(err)
					}
					rows += len(page.Records)
					pos = page.Next
					if !page.More {
						break
					}
				}
			}
			el := time.Since(start)
			b.ReportMetric(float64(rows)/el.Seconds(), "rows/s")
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}
