package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/serverless-kafka-connect/slkc/localstack/browser"
	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// xssPayload is what an attacker could put in a record: script and an
// image whose error handler runs script. Dead-lettered, it is shown in the
// DLQ browser, which must print it as text.
const xssPayload = `<script>window.__xss=1;alert("xss")</script><img src=x onerror="window.__xss=2;alert('xss')">`

// TestWebUIOnTheDemoPipeline runs the demo pipeline (isolated names, the
// real function binaries through slkc-local) and checks its web UI in
// headless Chromium against the API: connector states, source offsets and
// the gap to the table's head, sink lag per partition; pausing the MySQL
// sink from the page (through its confirmation dialog) makes its lag grow
// while rows arrive, resuming brings it back to 0; a dead-lettered record
// full of HTML and script is shown literally, and nothing of it runs.
// SLKC_UPDATE_SCREENSHOTS=1 writes the screenshots to docs/ui/.
func TestWebUIOnTheDemoPipeline(t *testing.T) {
	c, p := e2eSetup(t)
	b := browser.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const rows = 60
	run := prepareRun(ctx, t, c, p, rows)
	url, until := startControlRunner(ctx, t, c, run)
	src, mysqlSink := p.Source.Connector, p.MySQLSink.Connector
	until("initial load", func(s Snapshot) bool { return converged(s, rows) })

	// A record no converter can read, with the payload in its key, value
	// and a header: both sinks dead-letter it (errors.tolerance=all).
	poison := &kgo.Record{Topic: p.Source.Topic, Key: []byte(xssPayload), Value: []byte(xssPayload),
		Headers: []kgo.RecordHeader{{Key: "note", Value: []byte(xssPayload)}}}
	if err := c.Kafka.ProduceSync(ctx, poison).FirstErr(); err != nil {
		t.Fatal(err)
	}
	until("the poisoned record dead-lettered by both sinks", func(s Snapshot) bool { return s.DLQRecords == 2 && converged(s, rows) })

	api := func(path string, out any) {
		t.Helper()
		res, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d %s", path, res.StatusCode, raw)
		}
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	text := func(css string) string {
		t.Helper()
		s, ok, err := b.TextContent(css)
		if err != nil || !ok {
			t.Fatalf("text of %s: found %v, %v", css, ok, err)
		}
		return s
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		browser.Wait(t, what, 60*time.Second, func() (bool, error) { return cond(), nil })
	}
	// cell is the text of a page element, "" when it is not there (yet).
	cell := func(css string) string {
		s, _, _ := b.TextContent(css)
		return s
	}
	click := func(css string) {
		t.Helper()
		if err := b.Click(css); err != nil {
			t.Fatal(err)
		}
	}
	shot := func(name string) {
		t.Helper()
		png, err := b.Screenshot()
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv("SLKC_UPDATE_SCREENSHOTS") == "1" {
			path := filepath.Join(repoRoot, "docs", "ui", name+".png")
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// cells returns the text of each td under css.
	cells := func(css string) string {
		t.Helper()
		var out []string
		if err := b.Exec(&out, `return [...document.querySelectorAll(arguments[0])].map((td) => td.textContent);`, css+" td"); err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "|")
	}
	connectorRow := func(name string) string { return fmt.Sprintf(`#connectors tr[data-name=%q]`, name) }

	// The list: every connector with the state the API reports.
	if err := b.Navigate(url + "/ui/?refresh=700#" + src); err != nil {
		t.Fatal(err)
	}
	var list map[string]struct {
		Status state.ConnectStatusBody `json:"status"`
	}
	api("/connectors?expand=status", &list)
	if len(list) != 3 {
		t.Fatalf("API lists %d connectors, want 3", len(list))
	}
	for name, e := range list {
		wait("the row of "+name, func() bool { return cell(connectorRow(name)+" td:nth-child(3)") != "" })
		if got := text(connectorRow(name) + " td:nth-child(3)"); got != e.Status.Connector.State || got != state.StateRunning {
			t.Errorf("page shows %s %s, API %s; want RUNNING", name, got, e.Status.Connector.State)
		}
		if got, want := text(connectorRow(name)+" td:nth-child(4)"), "0: RUNNING"; got != want {
			t.Errorf("page shows tasks of %s %q, want %q", name, got, want)
		}
	}

	// The source: its offset and how far it is behind the table, as the
	// API reports them; after the initial load it is at the head.
	var srcLag connectapi.LagBody
	api("/connectors/"+src+"/lag", &srcLag)
	if len(srcLag.Source) != 1 || srcLag.Source[0].Head == nil || srcLag.Source[0].Head.Incrementing == nil || *srcLag.Source[0].Head.Incrementing != rows {
		t.Fatalf("source lag = %+v, want one partition whose head is id %d", srcLag, rows)
	}
	offRow := "#source-offsets tbody tr"
	wait("the source offsets", func() bool { return strings.Contains(cell(offRow+" td:nth-child(2)"), `"incrementing":`) })
	if got := text(offRow + " td:nth-child(2)"); !strings.Contains(got, fmt.Sprintf(`"incrementing":%d`, rows)) {
		t.Errorf("page shows source offset %s, want incrementing %d", got, rows)
	}
	for _, css := range []string{offRow + " td:nth-child(4)", connectorRow(src) + " td:nth-child(5)"} {
		if got := text(css); got != "0 ids, 0 ms" {
			t.Errorf("page shows the source behind by %q, want 0 ids, 0 ms (at the table's head)", got)
		}
	}
	shot("source")

	// A failed task: its state and the last error's trace (written as the
	// poller writes it, while the source is paused so no run overwrites
	// it); Restart from the page clears it.
	put := func(path string) {
		t.Helper()
		req, _ := http.NewRequest("PUT", url+path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("PUT %s = %d", path, res.StatusCode)
		}
	}
	put("/connectors/" + src + "/pause")
	time.Sleep(3 * time.Second) // a run that took the lease before the pause finishes
	const failure = "Table 'orders' doesn't exist <b>not bold</b>"
	if err := state.NewStatusStore(c.Dynamo, c.Tables.Status).Put(ctx, state.Status{Connector: src, Task: "task-0", Type: "source",
		State: state.StateFailed, WorkerID: src, LastError: &state.ErrorInfo{Class: "java.sql.SQLSyntaxErrorException", Message: failure,
			Trace: "at sourcetask.(*Task).Run(task.go:120)", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	wait("the failed task", func() bool { return cell(connectorRow(src)+" td:nth-child(4)") == "0: FAILED" })
	wait("the trace", func() bool { return strings.Contains(cell("#trace"), failure) })
	if tr := text("#trace"); !strings.Contains(tr, "java.sql.SQLSyntaxErrorException: "+failure) || !strings.Contains(tr, "task.go:120") {
		t.Errorf("trace shown = %q", tr)
	}
	shot("failed")
	click(`button[data-action="restart"]`)
	wait("the restart dialog", func() bool { return strings.Contains(cell("#confirm-text"), "FAILED state of "+src) })
	click("#confirm-ok")
	wait("the restarted task, still paused", func() bool { return cell(connectorRow(src)+" td:nth-child(4)") == "0: PAUSED" })
	var hidden bool
	if err := b.Exec(&hidden, `return document.getElementById('trace-box').hidden;`); err != nil || !hidden {
		t.Errorf("the trace box is shown after the restart (%v)", err)
	}
	put("/connectors/" + src + "/resume")
	wait("the resumed source", func() bool { return cell(connectorRow(src)+" td:nth-child(3)") == state.StateRunning })

	// The MySQL sink: lag per partition, as the API and Kafka say.
	if err := b.Navigate(url + "/ui/?refresh=700&dlq=1#" + mysqlSink); err != nil {
		t.Fatal(err)
	}
	var sinkLag connectapi.LagBody
	api("/connectors/"+mysqlSink+"/lag", &sinkLag)
	if len(sinkLag.Sink) != 3 || sinkLag.Total != 0 {
		t.Fatalf("sink lag = %+v, want 3 partitions, none behind", sinkLag)
	}
	wait("the sink's lag table", func() bool { return cell("#lag-total") == "total 0" })
	for _, l := range sinkLag.Sink {
		row := fmt.Sprintf(`#sink-lag tr[data-partition="%d"]`, l.Partition)
		if got, want := cells(row), fmt.Sprintf("%s|%d|%d|%d|%d", l.Topic, l.Partition, l.Committed, l.End, l.Lag); got != want {
			t.Errorf("page shows partition %d as %q, API %q", l.Partition, got, want)
		}
	}

	// Pause from the page: the dialog says what will happen, the sink's
	// lag grows as rows arrive, resume brings it back to 0.
	click(`button[data-action="pause"]`)
	wait("the confirmation dialog", func() bool { return cell("#confirm-text") != "" })
	if msg := text("#confirm-text"); !strings.Contains(msg, "event source mapping of "+mysqlSink+" will be disabled") {
		t.Errorf("pause dialog says %q", msg)
	}
	click("#confirm-ok")
	wait("PAUSED on the page", func() bool { return cell(connectorRow(mysqlSink)+" td:nth-child(3)") == state.StatePaused })
	mut, err := NewMutator(c.MySQL, p.Source.Database, p.Source.Table, rows, 7)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mut.Round(ctx, 0, 20, 0); err != nil {
		t.Fatal(err)
	}
	paused := until("DynamoDB caught up while the MySQL sink is paused", func(s Snapshot) bool { return s.DynamoItems == rows+20 })
	wait("the paused sink's lag to reach 20", func() bool { return cell("#lag-total") == "total 20" })
	api("/connectors/"+mysqlSink+"/lag", &sinkLag)
	if sinkLag.Total != 20 || paused.Lag[p.MySQLSink.Group] != 20 {
		t.Errorf("lag while the page shows 20: API %d, Kafka (the demo's probe) %d", sinkLag.Total, paused.Lag[p.MySQLSink.Group])
	}
	shot("sink-paused")
	click(`button[data-action="resume"]`)
	wait("the confirmation dialog", func() bool { return strings.Contains(cell("#confirm-text"), "run again") })
	click("#confirm-ok")
	wait("the resumed sink's lag to fall to 0", func() bool { return cell("#lag-total") == "total 0" })
	until("replica caught up", func(s Snapshot) bool { return converged(s, rows+20) })

	// The charts: the sink's EMF lines, summed over the last hour: every
	// row written once (at-least-once may write some twice), and the one
	// dead-lettered record.
	var metrics connectapi.MetricsBody
	api("/metrics?connector="+mysqlSink, &metrics)
	totals := map[string]float64{}
	for _, s := range metrics.Series {
		for _, v := range s.Points {
			totals[s.Name] += v
		}
	}
	if totals["RecordsWritten"] < rows+20 || totals["RecordsDeadLettered"] != 1 {
		t.Errorf("metrics of %s = %v, want at least %d written and 1 dead-lettered", mysqlSink, totals, rows+20)
	}
	for _, name := range []string{"RecordsWritten", "RecordsDeadLettered"} {
		want := fmt.Sprintf("%s: %v in the last hour", name, totals[name])
		wait("the "+name+" chart", func() bool { return strings.HasPrefix(cell(`figure[data-metric="`+name+`"] figcaption`), want) })
	}
	if n := cells(`figure[data-metric="RecordsWritten"]`); n != "" {
		t.Errorf("chart has table cells %q", n)
	}
	var points int
	if err := b.Exec(&points, `return document.querySelector('figure[data-metric="RecordsWritten"] polyline').getAttribute('points').split(' ').length;`); err != nil || points != 60 {
		t.Errorf("RecordsWritten chart has %d points (%v), want one per minute of the hour", points, err)
	}

	// A cancelled reset changes nothing.
	click(`button[data-action="reset"]`)
	wait("the reset dialog", func() bool { return strings.Contains(cell("#confirm-text"), "must be STOPPED") })
	if msg := text("#confirm-text"); !strings.Contains(msg, "consumer group "+p.MySQLSink.Group+" will be deleted") {
		t.Errorf("reset dialog says %q, want the consumer group named", msg)
	}
	click("#confirm-cancel")
	api("/connectors/"+mysqlSink+"/lag", &sinkLag)
	if sinkLag.Total != 0 || sinkLag.Sink[0].Committed < 0 {
		t.Errorf("after a cancelled reset the lag is %+v", sinkLag)
	}

	// Stop, then alter offsets from the page: the dialog offers the
	// current offsets; partition 0 is set back to 0 and the sink, resumed,
	// replays it. Then reset: the group is deleted and everything replays.
	dialog := func(action, says string) {
		t.Helper()
		click(`button[data-action="` + action + `"]`)
		wait("the "+action+" dialog", func() bool { return strings.Contains(cell("#confirm-text"), says) })
	}
	groupEmpty := func() bool {
		gs, err := run.admin.DescribeGroups(ctx, p.MySQLSink.Group)
		return err == nil && len(gs[p.MySQLSink.Group].Members) == 0
	}
	dialog("stop", "will stop and show no tasks")
	click("#confirm-ok")
	wait("STOPPED on the page", func() bool { return cell(connectorRow(mysqlSink)+" td:nth-child(3)") == state.StateStopped })
	wait("the stopped sink's consumer to leave its group", groupEmpty)
	dialog("alter", "will be written for "+mysqlSink)
	var offeredText string
	if err := b.Exec(&offeredText, `return document.getElementById('confirm-body').value;`); err != nil {
		t.Fatal(err)
	}
	var offered connectapi.OffsetsBody
	if err := json.Unmarshal([]byte(offeredText), &offered); err != nil || len(offered.Offsets) != 3 {
		t.Fatalf("alter dialog offers %q (%v), want the 3 partitions' offsets", offeredText, err)
	}
	edited := fmt.Sprintf(`{"offsets":[{"partition":{"kafka_topic":%q,"kafka_partition":0},"offset":{"kafka_offset":0}}]}`, p.Source.Topic)
	if err := b.Exec(nil, `document.getElementById('confirm-body').value = arguments[0];`, edited); err != nil {
		t.Fatal(err)
	}
	click("#confirm-ok")
	wait("the alter to be done", func() bool { return cell("#notice") == "Alter offsets of "+mysqlSink+": done" })
	api("/connectors/"+mysqlSink+"/lag", &sinkLag)
	if sinkLag.Sink[0].Committed != 0 || sinkLag.Sink[0].Lag != sinkLag.Sink[0].End || sinkLag.Sink[1].Lag != 0 {
		t.Errorf("after altering partition 0 to 0 the lag is %+v", sinkLag)
	}
	wait("partition 0's lag on the page", func() bool {
		return cells(`#sink-lag tr[data-partition="0"]`) == fmt.Sprintf("%s|0|0|%d|%d", p.Source.Topic, sinkLag.Sink[0].End, sinkLag.Sink[0].End)
	})
	dialog("reset", "consumer group "+p.MySQLSink.Group+" will be deleted")
	click("#confirm-ok")
	wait("the reset to be done", func() bool { return cell("#notice") == "Reset offsets of "+mysqlSink+": done" })
	api("/connectors/"+mysqlSink+"/lag", &sinkLag)
	if sinkLag.Sink[0].Committed != -1 || sinkLag.Sink[1].Committed != -1 {
		t.Errorf("after the reset the lag is %+v, want no committed offsets", sinkLag)
	}
	dialog("resume", "run again")
	click("#confirm-ok")
	wait("the replayed sink's lag to fall to 0", func() bool { return cell("#lag-total") == "total 0" })
	until("replica caught up after the replay", func(s Snapshot) bool { return converged(s, rows+20) })

	// The dead letter queue: the poisoned record, its headers, and its
	// content shown literally with nothing executed.
	var page connectapi.DLQPage
	api("/connectors/"+mysqlSink+"/dlq?partition=0", &page)
	dlqPart := int32(-1)
	for _, pr := range page.Partitions {
		if pr.End > pr.Start {
			dlqPart = pr.Partition
		}
	}
	if dlqPart < 0 {
		t.Fatalf("DLQ page %+v has no record", page)
	}
	api("/connectors/"+mysqlSink+"/dlq?partition="+strconv.Itoa(int(dlqPart)), &page)
	// Dead-lettered once, and again by the replay after the reset.
	if len(page.Records) != 2 || page.Records[0].Value.Text != xssPayload || page.Records[1].Value.Text != xssPayload {
		t.Fatalf("DLQ page = %+v, want the poisoned record twice", page)
	}
	if dlqPart != 0 {
		if err := b.Exec(nil, `const s = document.getElementById('dlq-partition'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));`, strconv.Itoa(int(dlqPart))); err != nil {
			t.Fatal(err)
		}
	}
	recRow := fmt.Sprintf(`#dlq tr[data-offset="%d"]`, page.Records[0].Offset)
	wait("the dead-lettered record's row", func() bool { return cell(recRow) != "" })
	click(recRow)
	wait("the record's detail", func() bool { return cell("#dlq-value") != "" })
	if got := text("#dlq-value"); got != xssPayload {
		t.Errorf("page shows the value as %q, want the payload literally", got)
	}
	if got := text("#dlq-key"); got != xssPayload {
		t.Errorf("page shows the key as %q, want the payload literally", got)
	}
	headers := cells("#dlq-headers tbody tr")
	for _, h := range []string{"__connect.errors.topic|" + p.Source.Topic, "__connect.errors.exception.class.name|", "__connect.errors.exception.message|", "note|" + xssPayload} {
		if !strings.Contains(headers, h) {
			t.Errorf("headers table lacks %q:\n%s", h, headers)
		}
	}
	time.Sleep(time.Second) // a few refreshes re-render the record
	var seen struct {
		XSS  any `json:"xss"`
		Imgs int `json:"imgs"`
		Scr  int `json:"scripts"`
	}
	if err := b.Exec(&seen, `return {xss: window.__xss === undefined ? null : window.__xss,
		imgs: document.querySelectorAll('img').length, scripts: document.scripts.length};`); err != nil {
		t.Fatalf("page script check: %v", err)
	}
	if seen.XSS != nil || seen.Imgs != 0 || seen.Scr != 1 {
		t.Errorf("after showing the payload: window.__xss=%v, %d img and %d script elements; want nothing injected", seen.XSS, seen.Imgs, seen.Scr)
	}
	if msg, open, err := b.AlertText(); open || err != nil {
		t.Errorf("an alert is open (%q, %v): the payload ran", msg, err)
	}
	if err := b.Exec(nil, `document.getElementById('dlq-box').scrollIntoView();`); err != nil {
		t.Fatal(err)
	}
	shot("dlq")

	// Paging (one record a page here, ?dlq=1): Next shows the copy the
	// replay dead-lettered, Previous goes back.
	disabled := func(css string) bool {
		var d bool
		if err := b.Exec(&d, `return document.querySelector(arguments[0]).disabled;`, css); err != nil {
			t.Fatal(err)
		}
		return d
	}
	wait("Next to be enabled", func() bool { return !disabled("#dlq-next") })
	if !disabled("#dlq-prev") {
		t.Error("Previous is enabled on the first page")
	}
	click("#dlq-next")
	next := fmt.Sprintf(`#dlq tr[data-offset="%d"]`, page.Records[1].Offset)
	wait("the second page", func() bool { return cell(next) != "" && cell(recRow) == "" })
	if disabled("#dlq-prev") || !disabled("#dlq-next") {
		t.Error("on the last page Previous should be enabled and Next disabled")
	}
	click("#dlq-prev")
	wait("the first page again", func() bool { return cell(recRow) != "" && cell(next) == "" })
}
