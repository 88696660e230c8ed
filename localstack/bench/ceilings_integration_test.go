package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestPipelineCeilingProducesEveryScannedRow runs the scan and produce
// pipeline on the real stack: every row of the table becomes one record of
// the given key and value sizes on the topic (after the one warm-up
// record), no two records share a key, and the result counts them.
func TestPipelineCeilingProducesEveryScannedRow(t *testing.T) {
	e := testenv.New(t)
	db, _ := e.MySQLDatabase(t)
	topic := e.Topic(t, 2)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	d := &dataset{Label: "test", Table: "pipeline_rows", Rows: 2_500, RowBytes: 200}
	if _, err := seed(ctx, db, d); err != nil {
		t.Fatal(err)
	}
	const size, keySize = 321, 37
	res, err := pipelineCeiling(ctx, db, d, e.Bootstrap(), topic, recordShape{Key: keySize, Value: size})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != d.Rows || res.Bytes != int64(d.Rows)*(size+keySize) || res.Requests == 0 || res.Elapsed <= 0 {
		t.Fatalf("result %+v, want %d records of %d+%d bytes in at least one request, and a time", res, d.Rows, keySize, size)
	}
	keys := map[string]bool{}
	partitions := map[int32]bool{}
	cl := e.Kafka(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var records, warmUp int
	for records+warmUp < d.Rows+1 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("after %d records: %v", records+warmUp, err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			switch {
			case string(r.Value) == "warm-up":
				warmUp++
			case len(r.Value) != size || len(r.Key) != keySize:
				t.Errorf("record at %d/%d has a %d-byte key and a %d-byte value, want %d and %d", r.Partition, r.Offset, len(r.Key), len(r.Value), keySize, size)
			case keys[string(r.Key)]:
				t.Errorf("record at %d/%d repeats a key", r.Partition, r.Offset)
			default:
				keys[string(r.Key)] = true
				partitions[r.Partition] = true
				records++
			}
		})
	}
	if records != d.Rows || warmUp != 1 {
		t.Errorf("%d records and %d warm-up records on the topic, want %d and 1", records, warmUp, d.Rows)
	}
	if len(partitions) != 2 {
		t.Errorf("records on %d of the topic's 2 partitions, want both (keys spread them)", len(partitions))
	}
}

// TestPipelineCeilingNamesAMissingTable: a scan that fails reports the
// table, with nothing counted.
func TestPipelineCeilingNamesAMissingTable(t *testing.T) {
	e := testenv.New(t)
	db, _ := e.MySQLDatabase(t)
	topic := e.Topic(t, 1)
	res, err := pipelineCeiling(t.Context(), db, &dataset{Table: "no_such_table"}, e.Bootstrap(), topic, recordShape{Value: 10})
	if err == nil || res.Records != 0 {
		t.Fatalf("result %+v, err %v; want an error naming no_such_table", res, err)
	}
	if want := "no_such_table"; !strings.Contains(err.Error(), want) {
		t.Errorf("err %v does not name %s", err, want)
	}
}
