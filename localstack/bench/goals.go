package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// goal is one target of the performance issue, checked on figures of this
// run: Value is a ratio of two figures measured in it (or the bridge's
// RSS), Target the bound it should meet.
type goal struct {
	Name          string
	Value, Target float64
	Unit          string // "ratio" unless told
	AtMost        bool   // Value ≤ Target is met (else Value ≥ Target)
	How           string // which figures
}

// met reports whether the goal's value meets its target.
func (g goal) met() bool {
	if g.AtMost {
		return g.Value <= g.Target
	}
	return g.Value >= g.Target
}

// ratio is a/b, 0 when either figure is missing (not measured in this run).
func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}

// pair is one run of a measured figure and one of the ceiling it is
// divided by, measured back to back so both see the same load of the
// machine.
type pair struct{ Value, Ceiling float64 }

// sourcePollerLabel is the source-poller binary's figure label (the
// default batch.size), also its key in bench.binary and bench.pairs;
// pairPath is the full local path's key in bench.pairs.
const (
	sourcePollerLabel = "source-poller MySQL"
	pairPath          = "full local path"
)

// minCeilingKey is the key in bench.pairs of the source-poller run label's
// pairs with min(SELECT scan, produce at JSON size) measured beside them.
func minCeilingKey(label string) string { return label + " / min(scan, produce)" }

// pipelineKey is the key in bench.pairs of the source-poller run label's
// pairs with the scan and produce pipeline (pipelineCeiling) measured
// beside them.
func pipelineKey(label string) string { return label + " / scan and produce together" }

// pipelineOverMin is the key in bench.pairs of each scan and produce
// pipeline with the min(scan, produce) measured beside it: about the most
// the min(scan, produce) goals can read on this machine.
const pipelineOverMin = "scan and produce together / min(scan, produce)"

// pairedRatio is the median of the pairs' ratios, 0 with no pair. On the
// shared cores a figure and its ceiling each drift by tens of percent over
// minutes, and a figure taken minutes from its ceiling (or the best of
// each side taken apart) carries that drift into the ratio; a pair's two
// runs are seconds apart, and the median leaves out the pair a burst of
// load fell on.
func pairedRatio(ps []pair) float64 {
	var rs []float64
	for _, p := range ps {
		if r := ratio(p.Value, p.Ceiling); r > 0 {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return 0
	}
	slices.Sort(rs)
	if n := len(rs); n%2 == 0 {
		return (rs[n/2-1] + rs[n/2]) / 2
	}
	return rs[len(rs)/2]
}

// pairsNote lists the pairs in run order: "0.83 (85,000 / 102,000), ...".
func pairsNote(ps []pair) string {
	var each []string
	for _, p := range ps {
		each = append(each, fmt.Sprintf("%.2f (%s / %s)", ratio(p.Value, p.Ceiling), FormatNumber(p.Value), FormatNumber(p.Ceiling)))
	}
	return fmt.Sprintf("median of %d runs, each / its ceiling beside it: %s", len(ps), strings.Join(each, ", "))
}

// goals lists the targets from the figures collected so far.
func (b *bench) goals() []goal {
	var gs []goal
	for _, set := range []string{"200B", "1KB"} {
		label := "sink-handler MySQL"
		if set != "200B" {
			label += " " + set
		}
		gs = append(gs, goal{Name: "sink-handler binary / raw upsert " + set, Value: pairedRatio(b.pairs[label]), Target: 0.8,
			How: fmt.Sprintf("%s; each run the binary's records/s (events of up to 10k records and 6 MB) / the raw upsert's in 10k-row transactions right beside it (before it in odd runs, after it in even ones); best of each side %s / %s (the raw upsert figure)",
				pairsNote(b.pairs[label]), FormatNumber(b.binary[label]), FormatNumber(b.upsert[set]))})
	}
	gs = append(gs,
		goal{Name: "full local path (bridge -> sink-handler -> MySQL) / raw upsert, concurrency 1", Value: pairedRatio(b.pairs[pairPath]), Target: 0.6,
			How: fmt.Sprintf("%s; each run a backlog in Kafka drained by the bridge into the sink-handler binary, records/s / the raw upsert's right before it; best %s records/s; with the source-poller in front (MySQL -> Kafka -> MySQL, its 1 s poll wait included) %s rows/s",
				pairsNote(b.pairs[pairPath]), FormatNumber(b.pathRate), FormatNumber(b.e2eRate))},
		goal{Name: "source-poller binary / in-process loop", Value: pairedRatio(b.pairs[sourcePollerLabel]), Target: 0.95,
			How: fmt.Sprintf("%s; each run the binary's rows/s / sourcetask.Task.Run's in the bench process right beside it (before it in odd runs, after it in even ones), same table and page size; best of each side %s / %s",
				pairsNote(b.pairs[sourcePollerLabel]), FormatNumber(b.binary[sourcePollerLabel]), FormatNumber(b.loopBeside["200B"]))},
		b.minCeilingGoal(sourcePollerLabel, fmt.Sprintf("; the raw produce batches up to 1 MB (franz-go's default), the binary up to its default %s of %d B",
			config.KeyProducerBatchSize, defaultBatchBytes())),
		goal{Name: "bridge peak RSS, concurrency 1, 6 MB events", Value: b.bridgeRSS, Target: 150, Unit: "MiB", AtMost: true,
			How: bridgeBoundNote(b.bridgeRSS)},
	)
	return gs
}

// minCeilingGoal is the goal of source-poller run label against
// min(SELECT scan, produce of the same bytes): the median of its runs, each
// divided by those two ceilings measured beside it. A slow window of the
// machine hits both sides of a pair; the ceilings measured once, earlier in
// the run, are in the note.
func (b *bench) minCeilingGoal(label, more string) goal {
	name := "source-poller binary"
	if config := strings.TrimPrefix(label, sourcePollerLabel+" "); config != label {
		name += ", " + config
	}
	name += " / min(SELECT scan, produce of the same bytes)"
	ps := b.pairs[minCeilingKey(label)]
	return goal{Name: name, Value: pairedRatio(ps), Target: 0.8,
		How: fmt.Sprintf("%s; each run the binary's rows/s / the lower of the SELECT scan and the raw produce of as many records of their JSON key and value sizes (one key per record), measured beside it%s; best %s rows/s, and the ceilings measured earlier in the run min(%s, %s) rows/s; the scan and the produce run together with no conversion reach %.2f of min(scan, produce) (median of %d), about the most a source reading one scan at a time with these clients can reach on these cores, and this binary %.2f of that pipeline (median of its runs, each / the pipeline beside it)",
			pairsNote(ps), more, FormatNumber(b.binary[label]), FormatNumber(b.scan["200B"]), FormatNumber(b.produceJSON["200B"]),
			pairedRatio(b.pairs[pipelineOverMin]), len(b.pairs[pipelineOverMin]), pairedRatio(b.pairs[pipelineKey(label)]))}
}

// addGoals adds the goals to the report (section "goals"): value, target,
// whether it is met, and the figures it divides.
func (b *bench) addGoals() {
	for _, g := range b.goals() {
		if g.Value == 0 {
			b.rep.Skip("goal "+g.Name, fmt.Errorf("a figure it needs was not measured in this run"))
			continue
		}
		rel, state := "≥", "met"
		if g.AtMost {
			rel = "≤"
		}
		if !g.met() {
			state = "NOT met"
		}
		b.rep.Add(Figure{Section: "goals", Name: g.Name, Value: g.Value, Unit: cmp.Or(g.Unit, "ratio"), Ceiling: g.Target, CeilingName: "target " + rel,
			Note: state + ": " + g.How})
	}
}

// bridgeBoundNote says how the bridge's peak RSS compares to its
// documented bound at concurrency 1 (a figure above it means the formula
// is wrong, whatever the target says).
func bridgeBoundNote(rss float64) string {
	bound := bridgeMemoryBound(1)
	if rss > bound {
		return fmt.Sprintf("MiB; ABOVE the documented bound %.0f MiB", bound)
	}
	return fmt.Sprintf("MiB; documented bound %.0f MiB", bound)
}

// addJavaBatchRatio reports the source-poller run with the Java producer's
// 16 KB batches against min(SELECT scan, produce) beside it, as the goal
// does for the default run, and against the raw produce in 16 KB batches:
// a figure for users who set that batch size, not one of the goals.
func (b *bench) addJavaBatchRatio() {
	label := sourcePollerLabel + " " + javaBatchLabel
	ps := b.pairs[minCeilingKey(label)]
	if pairedRatio(ps) == 0 {
		return
	}
	b.rep.Add(Figure{Section: "process", Name: "source-poller binary, " + javaBatchLabel + " / min(SELECT scan, produce of the same bytes)", Value: pairedRatio(ps), Unit: "ratio",
		Note: fmt.Sprintf("%s; as the goal, with the Java producer's default batch.size; a raw produce of these records in %d B batches, measured once earlier, reached %s rows/s (%.2f of the same with 1 MB batches), and this binary's best is %.2f of that; this binary %.2f of the scan and produce pipeline (median of its runs)",
			pairsNote(ps), javaBatchBytes, FormatNumber(b.produceJSONJavaBatch["200B"]), ratio(b.produceJSONJavaBatch["200B"], b.produceJSON["200B"]),
			ratio(b.binary[label], b.produceJSONJavaBatch["200B"]), pairedRatio(b.pairs[pipelineKey(label)]))})
}
