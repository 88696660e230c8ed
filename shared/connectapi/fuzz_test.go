package connectapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// countingOffsets is a SourceOffsets that counts writes.
type countingOffsets struct{ writes int }

func (c *countingOffsets) List(ctx context.Context, conn string) (state.PartitionOffsets, error) {
	return nil, nil
}
func (c *countingOffsets) Get(ctx context.Context, conn string, p connectors.Partition) (state.Offset, error) {
	return state.Offset{}, nil
}
func (c *countingOffsets) Commit(ctx context.Context, lease state.Lease, p connectors.Partition, pos connectors.Position, prev int64) (int64, error) {
	c.writes++
	return prev + 1, nil
}

type freeLeases struct{}

func (freeLeases) Acquire(ctx context.Context, conn, owner string, ttl time.Duration) (state.Lease, error) {
	return state.Lease{Connector: conn, Owner: owner, Counter: 1}, nil
}
func (freeLeases) Release(ctx context.Context, l state.Lease) error { return nil }

// countingGroups is an empty-group Groups that counts writes.
type countingGroups struct {
	Groups
	writes int
}

func (g *countingGroups) State(ctx context.Context, group string) (string, int, error) {
	return "Empty", 0, nil
}
func (g *countingGroups) Partitions(ctx context.Context, topics []string) (map[string]int32, error) {
	out := map[string]int32{}
	for _, t := range topics {
		out[t] = 3
	}
	return out, nil
}
func (g *countingGroups) Commit(ctx context.Context, group string, o map[TopicPartition]int64) error {
	g.writes++
	return nil
}
func (g *countingGroups) DeleteOffsets(ctx context.Context, group string, tps []TopicPartition) error {
	g.writes++
	return nil
}

// FuzzAlterOffsets sends arbitrary PATCH bodies to a stopped source and a
// stopped sink: the answer is 200 or Connect's 400 error body, and a 400
// writes nothing.
func FuzzAlterOffsets(f *testing.F) {
	for _, seed := range []string{
		`{"offsets":[{"partition":{"protocol":"1","table":"db.t"},"offset":{"incrementing":1}}]}`,
		`{"offsets":[{"partition":{"kafka_topic":"t1","kafka_partition":0},"offset":{"kafka_offset":5}}]}`,
		`{"offsets":[{"partition":{"query":"query"},"offset":null}]}`,
		`{"offsets":[]}`, `{"offsets":null}`, `[]`, `{`, `{"offsets":[{"partition":{"protocol":1},"offset":{}}]}`,
		`{"offsets":[{"partition":{"kafka_topic":"t1","kafka_partition":1.5},"offset":{"kafka_offset":-1}}]}`,
	} {
		f.Add(seed)
	}
	src, _ := FromFile(&config.File{Name: "src", Config: map[string]string{"connector.class": mysql.SourceClass}}, "src")
	snk, _ := FromFile(&config.File{Name: "snk", Config: map[string]string{"connector.class": mysql.SinkClass, "topics": "t1"}}, "snk")
	f.Fuzz(func(t *testing.T, body string) {
		for _, name := range []string{"src", "snk"} {
			offs, groups := &countingOffsets{}, &countingGroups{}
			s := &Server{
				Connectors: map[string]Connector{"src": src, "snk": snk},
				Targets:    &memTargets{m: map[string]state.TargetState{"src": {State: state.StateStopped}, "snk": {State: state.StateStopped}}},
				Offsets:    offs, Leases: freeLeases{}, Groups: groups,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest("PATCH", "/connectors/"+name+"/offsets", strings.NewReader(body)))
			switch rec.Code {
			case http.StatusOK:
			case http.StatusBadRequest:
				var e Error
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Code != 400 || e.Message == "" {
					t.Fatalf("%s: 400 body %q", name, rec.Body)
				}
				if offs.writes != 0 || groups.writes != 0 {
					t.Fatalf("%s: rejected body %q wrote offsets", name, body)
				}
			default:
				t.Fatalf("%s: status %d for %q: %s", name, rec.Code, body, rec.Body)
			}
		}
	})
}
