package mysql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// streamSink is a sink for the stream tests on a fresh database with an
// orders table whose name column takes 6 characters (longer names are
// data errors), holding ids 0..399; its log goes to the returned buffer.
func streamSink(t *testing.T) (*sinkFixture, *Sink, *bytes.Buffer) {
	t.Helper()
	f := newSinkFixture(t)
	f.exec(t, "CREATE TABLE orders (id BIGINT PRIMARY KEY, name VARCHAR(6), amount DECIMAL(10,2))")
	f.exec(t, "CREATE TABLE returns (id BIGINT PRIMARY KEY, name VARCHAR(6), amount DECIMAL(10,2))")
	f.exec(t, "INSERT INTO orders SELECT seq, CONCAT('o', seq), seq FROM seq_0_to_399")
	s := f.sink(t, "topics", "orders,returns", "insert.mode", "upsert", "pk.mode", "record_key", "delete.enabled", "true")
	var logs bytes.Buffer
	s.log = slog.New(slog.NewJSONHandler(&logs, nil))
	return f, s, &logs
}

// writeStreamed writes records with WriteStream, published in parts of the
// given sizes by another goroutine, as sinktask does. Each part is
// published once the sink has taken the ones before and waits for more,
// so the parts reach it as given.
func writeStreamed(s *Sink, records []connect.Record, sizes []int, abort bool) error {
	buf := make([]connect.Record, len(records))
	str := connectors.NewStream(buf)
	waiting := make(chan struct{}, 1)
	str.OnWait(func() {
		select {
		case waiting <- struct{}{}:
		default:
		}
	})
	go func() {
		n := 0
		for _, size := range sizes {
			select {
			case <-waiting:
			case <-time.After(10 * time.Second):
			}
			copy(buf[n:], records[n:n+size])
			n += size
			str.Publish(n)
		}
		if abort {
			time.Sleep(100 * time.Millisecond)
			str.Abort()
			return
		}
		str.End()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.WriteStream(ctx, str)
}

// Kinds of random batch: streamable ones have parts with keys of their
// own (repeated within the part) and deletes in the first part only; the
// others break one of WriteStream's conditions.
const (
	streamable = iota
	keysAcrossParts
	laterDeletes
	twoTables
	batchKinds
)

// streamBatch is a random batch of the kind in parts.
func streamBatch(rng *rand.Rand, kind int) ([]connect.Record, []int) {
	var records []connect.Record
	var sizes []int
	parts := 1 + rng.IntN(4)
	if kind != streamable {
		parts = 2 + rng.IntN(3)
	}
	for p := range parts {
		size := 1 + rng.IntN(300)
		if kind != streamable && p > 0 {
			size = 50 + rng.IntN(250) // long enough to hold a conflict
		}
		for range size {
			id := int64(p*1000 + rng.IntN(150))
			if kind == keysAcrossParts {
				id = int64(rng.IntN(450))
			}
			topic := "orders"
			if kind == twoTables && rng.IntN(20) == 0 {
				topic = "returns"
			}
			name := fmt.Sprint("n", rng.IntN(1000))
			switch {
			case rng.IntN(25) == 0:
				name = "far too long"
			case rng.IntN(5) == 0:
				name = fmt.Sprint("o", 200+rng.IntN(200)) // a name of a row the table holds
			}
			var value any = testValue(id, name)
			if (p == 0 || kind == laterDeletes) && rng.IntN(10) == 0 {
				value = nil // a tombstone: delete
				if p > 0 {
					// a row the table holds, whose name the first part
					// may take
					id = int64(200 + rng.IntN(200))
				}
			}
			records = append(records, rec(topic, int64(len(records)), testKey(id), value))
		}
		sizes = append(sizes, size)
	}
	return records, sizes
}

// TestSinkIntegrationStreamEqualsWrite writes random batches with Write
// into one database and with WriteStream, in parts, into another, and
// requires the same tables and the same failed records; batches that can
// be streamed must have been, the others written at once. Half of the
// runs have a unique index on the name, so that rows also fail on one
// another's names and the order of deletes and writes matters.
func TestSinkIntegrationStreamEqualsWrite(t *testing.T) {
	for seed := range uint64(24) {
		kind, unique := int(seed%batchKinds), seed%8 >= 4
		t.Run(fmt.Sprintf("seed%d/kind%d/unique%v", seed, kind, unique), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			records, sizes := streamBatch(rng, kind)
			fw, sw, _ := streamSink(t)
			fs, ss, logs := streamSink(t)
			if unique {
				fw.exec(t, "ALTER TABLE orders ADD UNIQUE KEY by_name (name)")
				fs.exec(t, "ALTER TABLE orders ADD UNIQUE KEY by_name (name)")
			}
			werr := sw.Write(context.Background(), records)
			serr := writeStreamed(ss, records, sizes, false)
			if (werr == nil) != (serr == nil) {
				t.Fatalf("Write: %v; WriteStream: %v", werr, serr)
			}
			if werr != nil {
				if w, s := failedIndexes(batchError(t, werr)), failedIndexes(batchError(t, serr)); !reflect.DeepEqual(w, s) {
					t.Errorf("failed records: Write %v, WriteStream %v", w, s)
				}
			}
			for _, table := range []string{"orders", "returns"} {
				want, wsum := fw.dump(t, table, "id")
				_, ssum := fs.dump(t, table, "id")
				if wsum != ssum {
					t.Errorf("table %s differs (%d rows after Write)", table, len(want))
				}
			}
			streamed := strings.Contains(logs.String(), `"streamed":true`)
			fellBack := strings.Contains(logs.String(), "batch not streamed")
			if kind == streamable && (!streamed || fellBack) {
				t.Errorf("a streamable batch was not streamed (parts %v): %s", sizes, logs)
			}
			if kind != streamable && !fellBack {
				t.Errorf("a batch of kind %d over parts %v did not fall back", kind, sizes)
			}
		})
	}
}

// TestSinkIntegrationStreamFallbackPauses: after a batch that could not be
// streamed, the next streamPause batches are written at once; then
// streaming resumes.
func TestSinkIntegrationStreamFallbackPauses(t *testing.T) {
	_, s, logs := streamSink(t)
	key := func(off, id int64) connect.Record { return rec("orders", off, testKey(id), testValue(id, "x")) }
	// The key 7 is in both parts.
	if err := writeStreamed(s, []connect.Record{key(0, 7), key(1, 7)}, []int{1, 1}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"reason":"a key is in two parts"`) {
		t.Fatalf("no fallback logged: %s", logs)
	}
	for i := range streamPause + 1 {
		logs.Reset()
		if err := writeStreamed(s, []connect.Record{key(0, 1), key(1, 2)}, []int{1, 1}, false); err != nil {
			t.Fatal(err)
		}
		streamed := strings.Contains(logs.String(), `"streamed":true`)
		if want := i == streamPause; streamed != want {
			t.Errorf("batch %d after the fallback: streamed %v, want %v", i+1, streamed, want)
		}
	}
}

// TestSinkIntegrationStreamAborted: an aborted stream leaves the table as
// it was, though its first part was written in the open transaction.
func TestSinkIntegrationStreamAborted(t *testing.T) {
	f, s, _ := streamSink(t)
	_, before := f.dump(t, "orders", "id")
	var records []connect.Record
	for i := range 200 {
		records = append(records, rec("orders", int64(i), testKey(int64(i)), testValue(int64(i), "new")))
	}
	err := writeStreamed(s, records, []int{100}, true)
	if !errors.Is(err, connectors.ErrStreamAborted) {
		t.Fatalf("WriteStream of an aborted stream: %v, want ErrStreamAborted", err)
	}
	if _, after := f.dump(t, "orders", "id"); after != before {
		t.Error("an aborted stream changed the table")
	}
}

// TestSinkIntegrationStreamSchemaChanges: the first part may create the
// table (auto.create) and the later ones are still streamed; a later part
// with a new field (auto.evolve) is not, and the batch is written at once
// with the column added.
func TestSinkIntegrationStreamSchemaChanges(t *testing.T) {
	f := newSinkFixture(t)
	s := f.sink(t, "insert.mode", "upsert", "pk.mode", "record_key", "auto.create", "true", "auto.evolve", "true")
	var logs bytes.Buffer
	s.log = slog.New(slog.NewJSONHandler(&logs, nil))
	var records []connect.Record
	for i := range int64(20) {
		records = append(records, rec("orders", i, testKey(i), testValue(i, fmt.Sprint("v", i))))
	}
	if err := writeStreamed(s, records, []int{10, 10}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"streamed":true`) || strings.Contains(logs.String(), "not streamed") {
		t.Fatalf("a batch whose first part created the table was not streamed: %s", logs.String())
	}

	wider := connect.NewStructSchema("v2",
		connect.Field{Name: "id", Schema: connect.Primitive(connect.Int64)},
		connect.Field{Name: "note", Schema: connect.Primitive(connect.String).Optionally()})
	logs.Reset()
	records = records[:10]
	for i := range int64(10) {
		v := connect.NewStruct(wider)
		v.Values[0], v.Values[1] = 100+i, "wide"
		records = append(records, rec("orders", 20+i, testKey(100+i), v))
	}
	if err := writeStreamed(s, records, []int{10, 10}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), `"reason":"a part needs auto.evolve"`) {
		t.Errorf("a later part needing a column did not fall back: %s", logs.String())
	}
	rows, _ := f.dump(t, "orders", "id")
	if len(rows) != 30 || rows[29][0] != "109" || rows[29][len(rows[29])-1] != "wide" {
		t.Errorf("table after the evolving batch: %d rows, last %v", len(rows), rows[len(rows)-1])
	}
}
