package mysql

import (
	"context"
	"database/sql"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// gapTable creates table g and returns its partition and the props of an
// incrementing source on it with the given gap timeout.
func gapTable(t *testing.T, e *srcEnv, timeout string) (connectors.Partition, map[string]string) {
	t.Helper()
	e.exec(t, "CREATE TABLE g (id BIGINT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20) NOT NULL)")
	return TablePartition(e.name, "g"), map[string]string{
		"mode": "incrementing", "table.whitelist": "g", "incrementing.gap.timeout.ms": timeout,
	}
}

// holdInsert inserts one row in a transaction it leaves open and returns
// the transaction and the row's id.
func holdInsert(t *testing.T, db *sql.DB, v string) (*sql.Tx, int64) {
	t.Helper()
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	res, err := tx.Exec("INSERT INTO g (v) VALUES (?)", v)
	if err != nil {
		t.Fatal(err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		t.Fatal(err)
	}
	return tx, id
}

func idList(t *testing.T, recs []connectors.Page) []int64 {
	t.Helper()
	var out []int64
	for _, p := range recs {
		for _, r := range p.Records {
			out = append(out, field(t, r, "id").(int64))
		}
	}
	return out
}

func readOnce(t *testing.T, s *Source, p connectors.Partition, pos connectors.Position) connectors.Page {
	t.Helper()
	page, err := s.ReadPage(context.Background(), p, pos)
	if err != nil {
		t.Fatalf("ReadPage after %s: %v", pos, err)
	}
	return page
}

// TestSourceIntegrationGapOutOfOrderCommit: a transaction holds id 4 open
// while id 5 commits. The gap-aware poller stops before 4 and reads both
// once 4 commits; with incrementing.gap.timeout.ms=0 (the JDBC connector's
// behaviour) the same interleaving loses id 4 for good.
func TestSourceIntegrationGapOutOfOrderCommit(t *testing.T) {
	for _, tc := range []struct {
		name, timeout string
		wantLost      bool
	}{
		{"gap-aware", "60000", false},
		{"jdbc-behaviour", "0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSrcEnv(t)
			part, props := gapTable(t, e, tc.timeout)
			e.exec(t, "INSERT INTO g (v) VALUES ('a'), ('b'), ('c')")
			s := e.source(t, props)
			recs, pos, _ := drain(t, s, part, nil, 0)
			if len(recs) != 3 {
				t.Fatalf("first read: %d rows, want 3", len(recs))
			}
			tx, held := holdInsert(t, e.db, "held")
			e.exec(t, "INSERT INTO g (v) VALUES ('later')") // commits held+1
			page := readOnce(t, s, part, pos)
			got := idList(t, []connectors.Page{page})
			if !tc.wantLost {
				if len(got) != 0 || page.More {
					t.Fatalf("read with id %d in flight returned ids %v (more %v); want a stop before the gap", held, got, page.More)
				}
				sp, err := ParsePosition(page.Next)
				if err != nil || sp.GapHorizon == nil || *sp.GapHorizon != held+1 || *sp.Incrementing != 3 {
					t.Fatalf("position %s; want incrementing 3 watching gaps up to %d", page.Next, held+1)
				}
			}
			pos = page.Next
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			// A new Source, as the next cold start.
			page2 := readOnce(t, e.source(t, props), part, pos)
			all := append(got, idList(t, []connectors.Page{page2})...)
			seen := map[int64]bool{}
			for _, id := range all {
				seen[id] = true
			}
			if lost := !seen[held]; lost != tc.wantLost {
				t.Errorf("ids read after the commits %v; held id %d lost=%v, want lost=%v", all, held, lost, tc.wantLost)
			}
			if !seen[held+1] || len(all) != len(seen) {
				t.Errorf("ids %v; want %d once and no duplicates", all, held+1)
			}
		})
	}
}

// TestSourceIntegrationGapRollbackPassedAfterTimeout: a rolled-back id
// stops the poller only until incrementing.gap.timeout.ms has passed since
// a page first stopped before it (that time survives a cold start in the
// position); then the rows after it are read.
func TestSourceIntegrationGapRollbackPassedAfterTimeout(t *testing.T) {
	e := newSrcEnv(t)
	part, props := gapTable(t, e, "3000") // headroom for a slow machine between the reads within it
	e.exec(t, "INSERT INTO g (v) VALUES ('a')")
	recs, pos, _ := drain(t, e.source(t, props), part, nil, 0)
	if len(recs) != 1 {
		t.Fatalf("first read: %d rows", len(recs))
	}
	tx, rolled := holdInsert(t, e.db, "rolled-back")
	e.exec(t, "INSERT INTO g (v) VALUES ('b'), ('c')")
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	first := time.Now()
	page := readOnce(t, e.source(t, props), part, pos)
	if len(page.Records) != 0 {
		t.Fatalf("read right after the rollback returned %d rows; want a stop before gap %d", len(page.Records), rolled)
	}
	again := readOnce(t, e.source(t, props), part, page.Next)
	if len(again.Records) != 0 || string(again.Next) != string(page.Next) {
		t.Fatalf("second read within the timeout: %d rows, position %s (was %s); want the same stop", len(again.Records), again.Next, page.Next)
	}
	time.Sleep(3100*time.Millisecond - time.Since(first))
	after := readOnce(t, e.source(t, props), part, page.Next)
	got := idList(t, []connectors.Page{after})
	if len(got) != 2 || got[0] != rolled+1 || got[1] != rolled+2 {
		t.Fatalf("read after the timeout: ids %v; want %d and %d", got, rolled+1, rolled+2)
	}
	if sp, _ := ParsePosition(after.Next); sp.GapHorizon != nil || *sp.Incrementing != rolled+2 {
		t.Errorf("position after the gap = %s; want incrementing %d without a gap", after.Next, rolled+2)
	}
}

// TestSourceIntegrationGapAutoIncrementIncrement: with
// auto_increment_increment=2 (ids 1, 3, 5, ...) consecutive ids are not a
// gap: the poller reads them at once, and still stops before a held one.
func TestSourceIntegrationGapAutoIncrementIncrement(t *testing.T) {
	e := newSrcEnv(t)
	part, props := gapTable(t, e, "60000")
	props["connection.url"] = e.env.MySQLDSN(e.name)
	cfg, err := ParseSourceConfig(props)
	if err != nil {
		t.Fatal(err)
	}
	// Writer and Source sessions both use a step of 2 (a session variable;
	// the shared server's global setting is left alone).
	open := func() *sql.DB {
		dc, err := cfg.Conn.DriverConfig()
		if err != nil {
			t.Fatal(err)
		}
		dc.Params["auto_increment_increment"] = "2"
		conn, err := gomysql.NewConnector(dc)
		if err != nil {
			t.Fatal(err)
		}
		return sql.OpenDB(conn)
	}
	writer := open()
	defer writer.Close()
	if _, err := writer.Exec("INSERT INTO g (v) VALUES ('a'), ('b'), ('c')"); err != nil {
		t.Fatal(err)
	}
	s, err := NewSource(cfg, open())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, pos, _ := drain(t, s, part, nil, 0)
	if len(recs) != 3 {
		t.Fatalf("read %d rows; want 3", len(recs))
	}
	if _, err := writer.Exec("INSERT INTO g (v) VALUES ('d'), ('e')"); err != nil {
		t.Fatal(err)
	}
	page := readOnce(t, s, part, pos)
	got := idList(t, []connectors.Page{page})
	if len(got) != 2 || got[1]-got[0] != 2 {
		t.Fatalf("ids %v after %s; want two ids 2 apart read without waiting", got, pos)
	}
	tx, held := holdInsert(t, writer, "held")
	if _, err := writer.Exec("INSERT INTO g (v) VALUES ('f')"); err != nil {
		t.Fatal(err)
	}
	stop := readOnce(t, s, part, page.Next)
	if len(stop.Records) != 0 {
		t.Errorf("read with id %d in flight returned %d rows; want a stop", held, len(stop.Records))
	}
	_ = tx.Rollback()
}

// TestSourceIntegrationGapOldStretchOneTimeout: a table whose ids have many
// holes (rows deleted long ago) is read after one gap timeout, not one per
// hole: the first page that meets a hole watches every id up to the
// table's highest, and once that watch is older than the timeout every
// hole below it is read past, across pages and cold starts.
func TestSourceIntegrationGapOldStretchOneTimeout(t *testing.T) {
	e := newSrcEnv(t)
	part, props := gapTable(t, e, "1000")
	props["batch.max.rows"] = "4"
	e.exec(t, "INSERT INTO g (id, v) SELECT seq, 'x' FROM seq_1_to_40", "DELETE FROM g WHERE id % 3 = 0")
	page := readOnce(t, e.source(t, props), part, connectors.Position(`{"incrementing":1}`))
	if got := idList(t, []connectors.Page{page}); len(got) != 1 || got[0] != 2 {
		t.Fatalf("first read: ids %v; want [2] and a stop before the hole at 3", got)
	}
	sp, err := ParsePosition(page.Next)
	if err != nil || sp.GapHorizon == nil || *sp.GapHorizon != 40 {
		t.Fatalf("position %s; want a watch up to the highest id 40", page.Next)
	}
	time.Sleep(1100 * time.Millisecond)
	recs, pos, pages := drain(t, e.source(t, props), part, page.Next, 0)
	want := 40 - 40/3 - 2 // ids 4..40 not divisible by 3
	if len(recs) != want || pages < want/4 {
		t.Fatalf("after one timeout read %d rows in %d pages; want all %d remaining rows without another wait", len(recs), pages, want)
	}
	if sp, _ := ParsePosition(pos); sp.GapHorizon != nil || *sp.Incrementing != 40 {
		t.Errorf("final position %s; want incrementing 40 and no watch", pos)
	}
}
