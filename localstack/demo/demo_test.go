package demo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/serverless-kafka-connect/slkc/shared/state"
)

func ptr(s string) *string { return &s }

func sampleOrder(id int64) Order {
	ts := time.Date(2026, 3, 4, 5, 6, 7, 123_000_000, time.UTC)
	return Order{ID: id, Customer: "Zoë 🚀", Amount: "12.50", Status: "paid", Quantity: 3, Gift: true, WeightKg: 1.25,
		ShipDate: "2026-03-05", Note: ptr("fragile"), CreatedAt: ts, UpdatedAt: ts.Add(time.Second)}
}

func TestCompare(t *testing.T) {
	base := []Order{sampleOrder(1), sampleOrder(2), sampleOrder(3)}
	mod := func(f func(o []Order) []Order) []Order {
		c := append([]Order(nil), base...)
		return f(c)
	}
	tests := []struct {
		name string
		got  []Order
		want []string
	}{
		{"equal", base, nil},
		{"decimal written differently but equal", mod(func(o []Order) []Order { o[0].Amount = "12.5"; return o }), nil},
		{"decimal off by a cent", mod(func(o []Order) []Order { o[1].Amount = "12.51"; return o }), []string{"id=2 amount: want 12.50, got 12.51"}},
		{"missing row", mod(func(o []Order) []Order { return append(o[:1], o[2]) }), []string{"id=2: missing"}},
		{"extra row", mod(func(o []Order) []Order { return append(o, sampleOrder(9)) }), []string{"id=9: not in the source"}},
		{"null note", mod(func(o []Order) []Order { o[2].Note = nil; return o }), []string{`id=3 note: want "fragile", got NULL`}},
		{"timestamp millisecond", mod(func(o []Order) []Order { o[0].UpdatedAt = o[0].UpdatedAt.Add(time.Millisecond); return o }),
			[]string{"id=1 updated_at: want 2026-03-04T05:06:08.123Z, got 2026-03-04T05:06:08.124Z"}},
		{"several columns", mod(func(o []Order) []Order { o[0].Status = "new"; o[0].Gift = false; o[0].ShipDate = ""; return o }),
			[]string{"id=1 status: want paid, got new", "id=1 gift: want true, got false", "id=1 ship_date: want 2026-03-05, got NULL"}},
		{"utf8mb4 mangled", mod(func(o []Order) []Order { o[0].Customer = "Zoë ?"; return o }), []string{`id=1 customer: want "Zoë 🚀", got "Zoë ?"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Compare(base, tc.got)
			var s []string
			for _, m := range got {
				s = append(s, m.String())
			}
			if strings.Join(s, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("Compare =\n%s\nwant\n%s", strings.Join(s, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestDecodeItem(t *testing.T) {
	n := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }
	str := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	null := &types.AttributeValueMemberNULL{Value: true}
	full := map[string]types.AttributeValue{
		"id": n("7"), "customer": str("李雷"), "amount": n("9999999999.99"), "status": str("shipped"), "quantity": n("65535"),
		"gift": &types.AttributeValueMemberBOOL{Value: true}, "weight_kg": n("0.001"),
		"ship_date": n("1772668800000"), "note": str("x"),
		"created_at": n("1772600767123"), "updated_at": n("1772600768123"),
	}
	with := func(k string, v types.AttributeValue) map[string]types.AttributeValue {
		m := map[string]types.AttributeValue{}
		for kk, vv := range full {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		item    map[string]types.AttributeValue
		check   func(t *testing.T, o Order)
		wantErr string
	}{
		{"all attributes", full, func(t *testing.T, o Order) {
			want := Order{ID: 7, Customer: "李雷", Amount: "9999999999.99", Status: "shipped", Quantity: 65535, Gift: true, WeightKg: 0.001,
				ShipDate: "2026-03-05", Note: ptr("x"), CreatedAt: time.UnixMilli(1772600767123).UTC(), UpdatedAt: time.UnixMilli(1772600768123).UTC()}
			if m := Compare([]Order{want}, []Order{o}); len(m) > 0 {
				t.Errorf("decoded %+v: %v", o, m)
			}
		}, ""},
		{"null date and note", with("note", null), func(t *testing.T, o Order) {
			if o.Note != nil {
				t.Errorf("note = %q, want nil", *o.Note)
			}
		}, ""},
		{"absent note is null", with("note", nil), func(t *testing.T, o Order) {
			if o.Note != nil {
				t.Errorf("note = %q, want nil", *o.Note)
			}
		}, ""},
		{"amount as string", with("amount", str("1.00")), nil, "attribute amount: want N"},
		{"gift as number", with("gift", n("1")), nil, "attribute gift: want BOOL"},
		{"missing customer", with("customer", nil), nil, "attribute customer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := DecodeItem(tc.item)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o)
		})
	}
}

func TestCents(t *testing.T) {
	tests := []struct {
		text  string
		cents int64
		back  string
	}{
		{"0.01", 1, "0.01"}, {"12.5", 1250, "12.50"}, {"12.50", 1250, "12.50"}, {"-3", -300, "-3.00"},
		{"9999999999.99", 999_999_999_999, "9999999999.99"}, {".5", 50, "0.50"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			c, err := parseCents(tc.text)
			if err != nil || c != tc.cents {
				t.Fatalf("parseCents(%q) = %d, %v; want %d", tc.text, c, err, tc.cents)
			}
			if s := formatCents(c); s != tc.back {
				t.Errorf("formatCents(%d) = %q, want %q", c, s, tc.back)
			}
		})
	}
	for _, bad := range []string{"1.234", "abc", "", "1.x"} {
		if _, err := parseCents(bad); err == nil {
			t.Errorf("parseCents(%q) succeeded, want an error", bad)
		}
	}
}

func TestGeneratorIsRepeatableAndCoversEdges(t *testing.T) {
	a, b := newGenerator(42), newGenerator(42)
	nulls, emoji := 0, 0
	for i := range 500 {
		x, y := a.next(i), b.next(i)
		if x.Customer != y.Customer || x.Cents != y.Cents || x.CreatedAt != y.CreatedAt || x.WeightKg != y.WeightKg {
			t.Fatalf("row %d differs between two generators with the same seed", i)
		}
		if x.Note == nil {
			nulls++
		}
		if strings.ContainsRune(x.Customer, '🚀') {
			emoji++
		}
		if x.Cents < 1 || x.Cents > 999_999_999_999 {
			t.Errorf("row %d: cents %d outside DECIMAL(12,2)", i, x.Cents)
		}
		if x.Quantity < 1 || x.Quantity > 65535 {
			t.Errorf("row %d: quantity %d outside SMALLINT UNSIGNED", i, x.Quantity)
		}
	}
	if first, second := newGenerator(1).next(0).Cents, func() int64 { g := newGenerator(1); g.next(0); return g.next(1).Cents }(); first != 1 || second != 999_999_999_999 {
		t.Errorf("edge rows carry %d and %d cents, want 1 and 999999999999", first, second)
	}
	if nulls == 0 || emoji == 0 {
		t.Errorf("500 rows have %d NULL notes and %d emoji customers; want both", nulls, emoji)
	}
}

func TestNextStatusAlwaysChanges(t *testing.T) {
	for _, s := range Statuses {
		if n := nextStatus(s); n == s || !contains(Statuses, n) {
			t.Errorf("nextStatus(%q) = %q", s, n)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestComputePercentiles(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Percentiles
	}{
		{"empty", nil, Percentiles{}},
		{"one", ms(7), Percentiles{N: 1, Min: 7 * time.Millisecond, P50: 7 * time.Millisecond, P90: 7 * time.Millisecond, P99: 7 * time.Millisecond, Max: 7 * time.Millisecond}},
		{"1..100", ms(hundred...), Percentiles{N: 100, Min: 1 * time.Millisecond, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}},
		{"four", ms(40, 10, 30, 20), Percentiles{N: 4, Min: 10 * time.Millisecond, P50: 20 * time.Millisecond, P90: 40 * time.Millisecond, P99: 40 * time.Millisecond, Max: 40 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ComputePercentiles(tc.in); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLag(t *testing.T) {
	ends := map[int32]int64{0: 10, 1: 5, 2: 0}
	tests := []struct {
		name      string
		committed map[int32]int64
		want      int64
	}{
		{"nothing committed", nil, 15},
		{"all caught up", map[int32]int64{0: 10, 1: 5, 2: 0}, 0},
		{"partly", map[int32]int64{0: 7}, 8},
		{"commit beyond end (stale end offsets)", map[int32]int64{0: 12, 1: 5}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Lag(ends, func(p int32) (int64, bool) { o, ok := tc.committed[p]; return o, ok })
			if got != tc.want {
				t.Errorf("Lag = %d, want %d", got, tc.want)
			}
		})
	}
}

func testPipeline() Pipeline {
	mysqlSink := SinkInfo{Connector: "orders-mysql-sink", Group: "connect-orders-mysql-sink", Database: "slkc_demo", Table: "orders_replica"}
	ddbSink := SinkInfo{Connector: "orders-dynamodb-sink", Group: "connect-orders-dynamodb-sink", Table: "slkc-demo-orders"}
	return Pipeline{
		Source:      SourceInfo{Connector: "orders-source", Database: "slkc_demo", Table: "orders", Topic: "demo.orders", PollIntervalMs: 2000},
		MySQLSink:   mysqlSink,
		DynamoSink:  ddbSink,
		Connectors:  []string{"orders-dynamodb-sink", "orders-mysql-sink", "orders-source"},
		SinkConfigs: []SinkInfo{mysqlSink, ddbSink},
	}
}

func TestSnapshotLine(t *testing.T) {
	s := Snapshot{Elapsed: 1500 * time.Millisecond, SourceRows: 5000, TopicRecords: 4200, ReplicaRows: -1, DynamoItems: 3000,
		DLQRecords: 2, Lag: map[string]int64{"connect-orders-mysql-sink": 700, "connect-orders-dynamodb-sink": 1200}}
	want := "[  1.5s] source 5000 rows | topic demo.orders 4200 records | slkc_demo.orders_replica ? rows | dynamodb slkc-demo-orders 3000 items" +
		" | lag orders-mysql-sink 700, orders-dynamodb-sink 1200 | DLQ 2"
	if got := s.Line(testPipeline()); got != want {
		t.Errorf("Line =\n%s\nwant\n%s", got, want)
	}
}

func TestSummaryRender(t *testing.T) {
	p := testPipeline()
	good := Summary{
		Pipeline: p, Seeded: 5000, Updates: 200, Inserts: 50, PollIntervalMs: 2000,
		Final: Snapshot{SourceRows: 5050, TopicRecords: 5250, ReplicaRows: 5050, DynamoItems: 5050,
			Lag: map[string]int64{"connect-orders-mysql-sink": 0, "connect-orders-dynamodb-sink": 0}},
		Phases:  []Phase{{"prepare", 300 * time.Millisecond}, {"initial load", 2 * time.Second}},
		Latency: map[string]Percentiles{"orders-mysql-sink": {N: 250, Min: time.Second, P50: 2 * time.Second, P90: 2500 * time.Millisecond, P99: 3 * time.Second, Max: 3100 * time.Millisecond}},
		Offsets: state.PartitionOffsets{{Partition: map[string]string{"protocol": "1", "table": "slkc_demo.orders"},
			Offset: state.Offset{Position: []byte(`{"incrementing":5050,"timestamp":1795467957878,"timestamp_nanos":878567000}`)}}}.Connect(),
		Status:     []state.ConnectStatusBody{state.RenderConnectStatus("orders-source", []state.Status{{Connector: "orders-source", Task: "task-0", Type: "source", State: "RUNNING", WorkerID: "w"}})},
		Mismatches: map[string][]Mismatch{},
		Verified:   []string{"orders-mysql-sink", "orders-dynamodb-sink"},
	}
	var b bytes.Buffer
	if err := good.Render(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"topic demo.orders                      5250",
		"seeded 5000, then 200 updates and 50 inserts",
		"connect-orders-dynamodb-sink              0",
		"orders-mysql-sink        n=250  min 1000ms  p50 2000ms  p90 2500ms  p99 3000ms  max 3100ms",
		"poll.interval.ms=2000",
		`-> {"incrementing":5050,"timestamp":1795467957878,"timestamp_nanos":878567000}`,
		`{"protocol":"1","table":"slkc_demo.orders"}`,
		`{"name":"orders-source","connector":{"state":"RUNNING","worker_id":"w"},"tasks":[{"id":0,"state":"RUNNING","worker_id":"w"}],"type":"source"}`,
		"orders-dynamodb-sink     OK",
		"total                                          2.3s",
		"RESULT: OK",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if !good.OK() {
		t.Error("OK() = false for a summary without mismatches")
	}

	bad := good
	var ms []Mismatch
	for i := range 12 {
		ms = append(ms, Mismatch{ID: int64(i + 1), Column: "amount", Want: "1.00", Got: "2.00"})
	}
	bad.Mismatches = map[string][]Mismatch{"orders-dynamodb-sink": ms}
	b.Reset()
	if err := bad.Render(&b); err != nil {
		t.Fatal(err)
	}
	out = b.String()
	for _, want := range []string{"orders-dynamodb-sink     FAILED: 12 differences", "id=10 amount: want 1.00, got 2.00", "... and 2 more", "RESULT: FAILED"} {
		if !strings.Contains(out, want) {
			t.Errorf("failed summary lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "id=11 amount") {
		t.Error("summary shows more than 10 differences per sink")
	}
	if bad.OK() {
		t.Error("OK() = true with mismatches")
	}
	if (Summary{}).OK() {
		t.Error("OK() = true when nothing was verified")
	}
}

func TestTrackerRecordsOnlyMatchingValues(t *testing.T) {
	var seen map[int64]Observed
	tr := NewTracker("sink", func(ctx context.Context, ids []int64) (map[int64]Observed, error) { return seen, nil }, time.Millisecond)
	committed := time.Now().Add(-time.Second)
	tr.Add(Change{ID: 1, Cents: 100, Status: "paid", Committed: committed}, Change{ID: 2, Cents: 200, Status: "new", Committed: committed})
	seen = map[int64]Observed{1: {Cents: 99, Status: "paid"}, 2: {Cents: 200, Status: "new"}} // id 1 still shows the old amount
	if err := tr.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tr.Pending() != 1 || len(tr.Samples()) != 1 {
		t.Fatalf("pending %d, samples %d; want 1 and 1", tr.Pending(), len(tr.Samples()))
	}
	if s := tr.Samples()[0]; s < time.Second || s > 5*time.Second {
		t.Errorf("latency %s, want about 1s", s)
	}
	seen = map[int64]Observed{1: {Cents: 100, Status: "paid"}}
	if err := tr.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tr.Pending() != 0 || len(tr.Samples()) != 2 {
		t.Errorf("pending %d, samples %d; want 0 and 2", tr.Pending(), len(tr.Samples()))
	}
	failing := NewTracker("sink", func(ctx context.Context, ids []int64) (map[int64]Observed, error) { return nil, errors.New("boom") }, 0)
	failing.Add(Change{ID: 1})
	if err := failing.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "sink: boom") {
		t.Errorf("err = %v, want the sink named", err)
	}
}

func TestWriteEnvFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.env")
	if err := WriteEnvFile(path, map[string]string{"B": "2", "A": "x=y"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(b), "A=x=y\nB=2\n") {
		t.Errorf("env file =\n%s", b)
	}
	if err := WriteEnvFile(path, map[string]string{"A": "line\nbreak"}); err == nil {
		t.Error("a value with a newline was accepted")
	}
}

func TestCreateTableSQL(t *testing.T) {
	ddl, err := createTableSQL("orders")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CREATE TABLE `orders`", "amount DECIMAL(12,2) NOT NULL", "ON UPDATE CURRENT_TIMESTAMP(6)",
		"ENUM('new','paid','shipped','delivered','cancelled')", "utf8mb4"} {
		if !strings.Contains(ddl, want) {
			t.Errorf("DDL lacks %q", want)
		}
	}
	if _, err := createTableSQL("trailing space "); err == nil {
		t.Error("an invalid table name was accepted")
	}
	if got := insertSQL("`t`", 2); got != "INSERT INTO `t` ("+insertColumns+") VALUES (?,?,?,?,?,?,?,?,?),(?,?,?,?,?,?,?,?,?)" {
		t.Errorf("insertSQL = %s", got)
	}
}

func TestConverged(t *testing.T) {
	ok := Snapshot{SourceRows: 10, TopicRecords: 12, ReplicaRows: 10, DynamoItems: 10, Lag: map[string]int64{"a": 0, "b": 0}}
	tests := []struct {
		name string
		mod  func(s *Snapshot)
		want bool
	}{
		{"converged", func(s *Snapshot) {}, true},
		{"replica behind", func(s *Snapshot) { s.ReplicaRows = 9 }, false},
		{"dynamo unknown", func(s *Snapshot) { s.DynamoItems = -1 }, false},
		{"lagging group", func(s *Snapshot) { s.Lag = map[string]int64{"a": 0, "b": 3} }, false},
		{"no lag read", func(s *Snapshot) { s.Lag = map[string]int64{} }, false},
		{"topic short", func(s *Snapshot) { s.TopicRecords = 9 }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			s.Lag = map[string]int64{"a": 0, "b": 0}
			tc.mod(&s)
			if got := converged(s, 10); got != tc.want {
				t.Errorf("converged = %v, want %v", got, tc.want)
			}
		})
	}
}
