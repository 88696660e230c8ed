package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/serverless-kafka-connect/slkc/connectors/binlog"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// cdc measures the binlog CDC source: a writer commits transactions of
// 500 rows into a table of the run's database while the connector reads
// them from the binlog into Debezium change events (decode, type mapping,
// envelopes; no Kafka), page after page until it has read every change;
// the ceiling is go-mysql's replication package reading and decoding the
// same binlog range with nothing done per row, in the same run.
func (b *bench) cdc(ctx context.Context) {
	done := b.step(fmt.Sprintf("cdc: %d row changes under a steady write load", b.o.CDCRows))
	defer done()
	if err := b.cdcRun(ctx); err != nil {
		b.rep.Skip("cdc", err)
	}
}

func (b *bench) cdcRun(ctx context.Context) error {
	db := b.e.db
	if _, err := db.ExecContext(ctx, "CREATE TABLE cdc_ev (id INT PRIMARY KEY, v VARCHAR(40), n DECIMAL(10,2), ts DATETIME(6))"); err != nil {
		return err
	}
	start, err := masterStatus(ctx, db)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(b.e.mysqlBase.Addr)
	sid := 300000 + time.Now().UnixNano()%1_000_000
	cfg, err := binlog.ParseConfig(map[string]string{
		"connector.class": binlog.MariaDBClass, "database.hostname": host, "database.port": port,
		"database.user": b.e.mysqlBase.User, "database.password": b.e.mysqlBase.Passwd,
		"database.server.id": strconv.FormatInt(sid, 10), "topic.prefix": "bench_cdc",
		"table.include.list": b.e.dbName + `\.cdc_(ev|trickle)`, "snapshot.mode": "no_data", "include.schema.changes": "false",
		"max.batch.size": "4096",
	})
	if err != nil {
		return err
	}
	src, err := binlog.OpenSource(cfg, nil)
	if err != nil {
		return err
	}
	defer src.Close()

	// The writer: transactions of 500 rows, as fast as the server takes them.
	const txRows = 500
	total := b.o.CDCRows / txRows * txRows
	var wg sync.WaitGroup
	var werr error
	writeStart := time.Now()
	var writeTook time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < total/txRows && werr == nil; i++ {
			_, werr = db.ExecContext(ctx, fmt.Sprintf("INSERT INTO cdc_ev SELECT seq, CONCAT('value-', seq), seq / 100, NOW(6) FROM seq_%d_to_%d",
				i*txRows+1, (i+1)*txRows))
		}
		writeTook = time.Since(writeStart)
	}()
	pos, n := start.Encode(), 0
	readStart := time.Now()
	for n < total && ctx.Err() == nil && time.Since(readStart) < 5*time.Minute {
		page, err := src.ReadPage(ctx, nil, pos)
		if err != nil {
			wg.Wait()
			return fmt.Errorf("cdc read after %d changes: %w", n, err)
		}
		n += len(page.Records)
		pos = page.Next
		if !page.More {
			time.Sleep(5 * time.Millisecond) // caught up with the writer
		}
	}
	readTook := time.Since(readStart)
	wg.Wait()
	if werr != nil {
		return werr
	}
	if n < total {
		return fmt.Errorf("cdc read %d of %d changes", n, total)
	}

	writeRate := Rate(float64(total), writeTook)
	b.rep.Add(Figure{Section: "cdc", Name: "binlog source under a steady write load, change events (no Kafka)",
		Value: Rate(float64(n), readTook), Unit: "changes/s", Ceiling: writeRate, CeilingName: "the writer's rate",
		Note: fmt.Sprintf("%d rows in %d-row transactions, read while written; ratio ~1 = keeping up", total, txRows)})

	// The same range again, after the writes, by a cold source: its
	// reading speed against the library's raw ceiling.
	catchUp, err := binlog.OpenSource(cfg, nil)
	if err != nil {
		return err
	}
	defer catchUp.Close()
	pos, n = start.Encode(), 0
	readStart = time.Now()
	for n < total {
		page, err := catchUp.ReadPage(ctx, nil, pos)
		if err != nil {
			return fmt.Errorf("cdc catch-up read after %d changes: %w", n, err)
		}
		n += len(page.Records)
		pos = page.Next
		if !page.More && n < total {
			return fmt.Errorf("cdc catch-up read ended after %d of %d changes", n, total)
		}
	}
	readTook = time.Since(readStart)
	ceiling, err := rawBinlogRate(ctx, cfg, start, b.e.dbName, total)
	if err != nil {
		return err
	}
	b.rep.Add(Figure{Section: "cdc", Name: "binlog source, catch-up read of the same range, change events (no Kafka)",
		Value: Rate(float64(n), readTook), Unit: "changes/s", Ceiling: ceiling, CeilingName: "go-mysql raw binlog read, same range",
		Note: fmt.Sprintf("%d changes; raw = decode only, nothing done per row", total)})
	return b.cdcTrickle(ctx, cfg)
}

// cdcTrickle measures commit → change event latency at a trickle: one row
// committed every 10 ms for 3 s while the source reads page after page
// (each page that catches up ends its stream, and the next one opens a
// new one, as back-to-back invocations do). Latency is the reader's clock
// at the event minus the writer's clock just after the commit.
func (b *bench) cdcTrickle(ctx context.Context, cfg binlog.Config) error {
	db := b.e.db
	if _, err := db.ExecContext(ctx, "CREATE TABLE cdc_trickle (id INT PRIMARY KEY)"); err != nil {
		return err
	}
	src, err := binlog.OpenSource(cfg, nil)
	if err != nil {
		return err
	}
	defer src.Close()
	start, err := masterStatus(ctx, db)
	if err != nil {
		return err
	}
	const rows = 300
	var mu sync.Mutex
	committed := map[int32]time.Time{}
	var werr error
	go func() {
		for i := range int32(rows) {
			if _, err := db.ExecContext(ctx, "INSERT INTO cdc_trickle VALUES (?)", i+1); err != nil {
				mu.Lock()
				werr = err
				mu.Unlock()
				return
			}
			mu.Lock()
			committed[i+1] = time.Now()
			mu.Unlock()
			time.Sleep(10 * time.Millisecond)
		}
	}()
	var lat []float64
	pos := start.Encode()
	deadline := time.Now().Add(time.Minute)
	for len(lat) < rows && time.Now().Before(deadline) {
		page, err := src.ReadPage(ctx, nil, pos)
		if err != nil {
			return fmt.Errorf("cdc trickle read: %w", err)
		}
		now := time.Now()
		for _, r := range page.Records {
			id, ok := trickleID(r)
			if !ok {
				continue
			}
			mu.Lock()
			at, seen := committed[id]
			mu.Unlock()
			if seen {
				lat = append(lat, float64(now.Sub(at).Microseconds())/1000)
			}
		}
		pos = page.Next
	}
	mu.Lock()
	defer mu.Unlock()
	if werr != nil {
		return werr
	}
	if len(lat) < rows {
		return fmt.Errorf("cdc trickle: %d of %d rows read within a minute", len(lat), rows)
	}
	b.rep.Add(Figure{Section: "cdc", Name: "binlog source latency at a trickle (100 rows/s), commit -> change event, p50", Value: Percentile(lat, 50), Unit: "ms",
		Note: fmt.Sprintf("p99 %.1f ms over %d rows; pages read back to back (a new stream per page that catches up); no Kafka, no schedule", Percentile(lat, 99), len(lat))})
	return nil
}

// rawBinlogRate reads the binlog from start with go-mysql until it has
// decoded total row changes of db.cdc_ev, and returns changes/s.
func rawBinlogRate(ctx context.Context, cfg binlog.Config, start binlog.Position, db string, total int) (float64, error) {
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: cfg.ServerID + 1, Flavor: gomysql.MariaDBFlavor, Host: cfg.Host, Port: uint16(cfg.Port),
		User: cfg.User, Password: cfg.Password.Value(), TimestampStringLocation: time.UTC, DisableRetrySync: true,
	})
	defer syncer.Close()
	began := time.Now()
	st, err := syncer.StartSync(gomysql.Position{Name: start.File, Pos: start.Pos})
	if err != nil {
		return 0, err
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	n := 0
	for n < total {
		ev, err := st.GetEvent(rctx)
		if err != nil {
			return 0, fmt.Errorf("raw binlog read after %d of %d changes: %w", n, total, err)
		}
		if re, ok := ev.Event.(*replication.RowsEvent); ok && string(re.Table.Schema) == db && string(re.Table.Table) == "cdc_ev" {
			n += len(re.Rows)
		}
	}
	return Rate(float64(n), time.Since(began)), nil
}

// masterStatus is the server's current binlog end.
func masterStatus(ctx context.Context, db *sql.DB) (binlog.Position, error) {
	rows, err := db.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return binlog.Position{}, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return binlog.Position{}, errors.New("SHOW MASTER STATUS returned nothing: the binary log is off")
	}
	dst := make([]any, len(cols))
	var p binlog.Position
	dst[0], dst[1] = &p.File, &p.Pos
	for i := 2; i < len(dst); i++ {
		dst[i] = new(sql.RawBytes)
	}
	return p, rows.Scan(dst...)
}

// trickleID is the id of a cdc_trickle insert event.
func trickleID(r connect.Record) (int32, bool) {
	k, ok := r.Key.(*connect.StructValue)
	if !ok || r.Value == nil || !strings.HasSuffix(r.Topic, ".cdc_trickle") {
		return 0, false
	}
	v, _ := k.Get("id")
	id, ok := v.(int32)
	return id, ok
}
