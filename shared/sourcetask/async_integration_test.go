package sourcetask

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/kafka"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestHandOverKeepsOrderOnRealStack runs a Task through shared/kafka's
// Producer (an AsyncProducer) with Kafka's default batch.size of 16 KB on
// the real broker and DynamoDB Local: pages of 50 rows, rows 0, 120, 240
// and 360 over 16 KB, so pages with a record that goes alone through the
// second client (produced after the page before, with ProduceSync) and
// pages handed over early follow each other. The one-partition topic
// holds every row once, in the source's order, byte for byte, and the
// offset is after the last row. The converters are JsonConverter's, which
// encode into the Task's blocks: blocks of acknowledged pages are reused
// by later ones, and no record is overwritten by that.
func TestHandOverKeepsOrderOnRealStack(t *testing.T) {
	env := testenv.New(t)
	topic := env.Topic(t, 1)
	offsets, leases, status, _ := dynamoStores(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := kafka.NewProducer(ctx, kafka.Config{Bootstrap: env.Seeds(), BatchBytes: 16384, LingerMs: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var _ AsyncProducer = p
	const rows, page = 400, 50
	src := &fakeSource{tables: []string{"shop.a"}, rows: rows, pageSize: page, topic: topic, badRow: -1, bigEvery: 120, bigBytes: 20_000}
	logger, _ := logBuffer()
	conv, err := convert.New(convert.JSONConverterClass, map[string]string{"schemas.enable": "false"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := conv.(AppendConverter); !ok {
		t.Fatal("JsonConverter is not an AppendConverter")
	}
	task := &Task{Name: "handover-source", Source: src, Producer: p, KeyConv: conv, ValueConv: conv,
		Offsets: offsets, Leases: leases, Status: status, WorkerID: "w", Logger: logger}
	res, err := task.Run(ctx, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != rows || res.Pages != rows/page {
		t.Fatalf("result %+v, want %d records in %d pages", res, rows, rows/page)
	}
	if task.blocks.reused == 0 {
		t.Error("no page reused the blocks of an acknowledged one")
	}
	recs := consumeAll(t, env.Seeds(), topic, rows)
	if len(recs) != rows {
		t.Fatalf("topic holds %d records, want %d", len(recs), rows)
	}
	for i, r := range recs {
		want := fmt.Sprintf(`"shop.a-%d"`, i)
		if i%120 == 0 {
			want = fmt.Sprintf(`"shop.a-%d-%s"`, i, strings.Repeat("x", 20_000))
		}
		if string(r.Value) != want || string(r.Key) != fmt.Sprintf(`"%d"`, i) || r.Offset != int64(i) {
			t.Fatalf("record at offset %d: key %s, %d-byte value starting %.20q; want row %d", r.Offset, r.Key, len(r.Value), r.Value, i)
		}
	}
	stored, err := offsets.Get(ctx, "handover-source", src.mustPartition(0))
	if err != nil || string(stored.Position) != fmt.Sprintf(`{"i":%d}`, rows) {
		t.Errorf("stored offset = %+v, %v; want after row %d", stored, err, rows)
	}
}
