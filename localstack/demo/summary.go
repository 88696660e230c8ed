package demo

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Summary is everything the demo reports at the end.
type Summary struct {
	Pipeline Pipeline
	Final    Snapshot
	// Seeded is the number of rows seeded; Updates and Inserts count the
	// later changes.
	Seeded, Updates, Inserts int
	// Phases are the wall times of each step, in order.
	Phases []Phase
	// Latency holds, per sink connector, commit → visible in the sink.
	Latency map[string]Percentiles
	// PollIntervalMs is the source's schedule, for reading the latencies.
	PollIntervalMs int64
	// Offsets are the source offsets read from DynamoDB.
	Offsets state.ConnectOffsets
	// Status is each connector's Kafka Connect status body.
	Status []state.ConnectStatusBody
	// Mismatches per sink connector; Verified lists sinks that were checked.
	Mismatches map[string][]Mismatch
	Verified   []string
}

// Phase is one timed step.
type Phase struct {
	Name     string
	Duration time.Duration
}

// OK reports whether every verified sink matches the source.
func (s Summary) OK() bool {
	if len(s.Verified) == 0 {
		return false
	}
	for _, v := range s.Verified {
		if len(s.Mismatches[v]) > 0 {
			return false
		}
	}
	return true
}

// maxMismatchesShown bounds the differences printed per sink.
const maxMismatchesShown = 10

// Render writes the summary as text.
func (s Summary) Render(w io.Writer) error {
	b := &strings.Builder{}
	p := s.Pipeline
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	line("")
	line("== summary ==")
	line("rows moved")
	line("  %-34s %8s", "source "+p.Source.Database+"."+p.Source.Table, count(s.Final.SourceRows))
	line("    seeded %d, then %d updates and %d inserts", s.Seeded, s.Updates, s.Inserts)
	line("  %-34s %8s  (every version of every row)", "topic "+p.Source.Topic, count(s.Final.TopicRecords))
	line("  %-34s %8s", "mysql "+p.MySQLSink.Database+"."+p.MySQLSink.Table, count(s.Final.ReplicaRows))
	line("  %-34s %8s", "dynamodb "+p.DynamoSink.Table, count(s.Final.DynamoItems))
	line("  %-34s %8d", "dead-letter records", s.Final.DLQRecords)
	line("consumer lag")
	for _, sk := range p.SinkConfigs {
		line("  %-34s %8s", sk.Group, count(s.Final.Lag[sk.Group]))
	}
	if len(s.Latency) > 0 {
		line("end-to-end latency, MySQL commit -> row visible in the sink (poll.interval.ms=%d, sampled every 100ms)", s.PollIntervalMs)
		names := slices.Sorted(maps.Keys(s.Latency))
		for _, n := range names {
			l := s.Latency[n]
			line("  %-24s n=%-4d min %-7s p50 %-7s p90 %-7s p99 %-7s max %s", n, l.N, ms(l.Min), ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
		}
	}
	if len(s.Phases) > 0 {
		line("wall time")
		var total time.Duration
		for _, ph := range s.Phases {
			line("  %-42s %8s", ph.Name, ph.Duration.Round(100*time.Millisecond))
			total += ph.Duration
		}
		line("  %-42s %8s", "total", total.Round(100*time.Millisecond))
	}
	line("source offsets (DynamoDB; Kafka Connect's GET /connectors/%s/offsets)", p.Source.Connector)
	if len(s.Offsets.Offsets) == 0 {
		line("  none committed")
	}
	for _, o := range s.Offsets.Offsets {
		part, err := json.Marshal(o.Partition)
		if err != nil {
			return fmt.Errorf("demo: render offsets: %w", err)
		}
		line("  %s -> %s", part, o.Offset)
	}
	line("connector status (DynamoDB; Kafka Connect's GET /connectors/<name>/status)")
	for _, st := range s.Status {
		b, err := json.Marshal(st)
		if err != nil {
			return fmt.Errorf("demo: render status of %s: %w", st.Name, err)
		}
		line("  %s", b)
	}
	line("verification")
	for _, v := range s.Verified {
		ms := s.Mismatches[v]
		if len(ms) == 0 {
			line("  %-24s OK: every row equals the source, all %d columns", v, len(Columns))
			continue
		}
		line("  %-24s FAILED: %d differences", v, len(ms))
		for i, m := range ms {
			if i == maxMismatchesShown {
				line("    ... and %d more", len(ms)-maxMismatchesShown)
				break
			}
			line("    %s", m)
		}
	}
	if s.OK() {
		line("RESULT: OK — the sinks match the source")
	} else {
		line("RESULT: FAILED — the sinks do not match the source")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%dms", d.Milliseconds())
}
