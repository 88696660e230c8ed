package demo

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
)

// TestEndToEndCDCThroughTheRunner is `make demo-cdc` on isolated names
// (connectors/pipeline-cdc): the binlog source and the MySQL sink run as
// the real function binaries under slkc-local; after the snapshot,
// inserts, a burst of repeated updates and deletes, the replica equals
// the source (deleted rows gone, last versions present) and the topic
// holds exactly one change event per committed change.
func TestEndToEndCDCThroughTheRunner(t *testing.T) {
	c := e2eConfig(t, "pipeline-cdc", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p, err := LoadCDCPipeline(ctx, c.PipelineDir, c.providers())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		adm := kadm.NewClient(c.Kafka)
		_, _ = adm.DeleteGroups(ctx, p.Sink.Group)
		_, _ = adm.DeleteTopics(ctx, p.Source.Topic, p.Sink.DLQTopic)
	})
	c.Timeout, c.ProgressEvery = time.Minute, 250*time.Millisecond
	script := CDCScript{Seed: 8, Inserts: 4, Updated: 3, UpdatesEach: 4, Deletes: 2}
	sum, err := RunCDC(ctx, c, script)
	if err != nil {
		t.Fatalf("CDC demo run: %v", err)
	}
	want := map[string]int{"r": 8, "c": 4, "u": 12, "d": 2, OpTombstone: 2}
	if !maps.Equal(sum.Events, want) || !sum.OK() {
		t.Errorf("events by op %v, ok %v; want %v", sum.Events, sum.OK(), want)
	}
	if sum.SourceRows != 10 || sum.ReplicaRows != 10 {
		t.Errorf("rows: source %d, replica %d; want 10 and 10", sum.SourceRows, sum.ReplicaRows)
	}

	// The replica itself, read independently of RunCDC's check: ids 1 and
	// 2 (updated, then deleted) are gone, id 3 holds its fourth update,
	// the others their inserted version.
	replica, err := mysql.QuoteQualified(p.Sink.Database + "." + p.Sink.Table)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.MySQL.QueryContext(ctx, "SELECT id, version, qty FROM "+replica+" ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got string
	for rows.Next() {
		var id, version, qty int
		if err := rows.Scan(&id, &version, &qty); err != nil {
			t.Fatal(err)
		}
		got += fmt.Sprintf("%d:v%d:q%d ", id, version, qty)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if wantRows := "3:v4:q7 4:v0:q4 5:v0:q5 6:v0:q6 7:v0:q7 8:v0:q8 9:v0:q9 10:v0:q10 11:v0:q11 12:v0:q12 "; got != wantRows {
		t.Errorf("replica rows %q, want %q", got, wantRows)
	}
}
