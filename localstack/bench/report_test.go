package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		p    float64
		want float64
	}{
		{"empty", nil, 50, 0},
		{"single", []float64{7}, 99, 7},
		{"p50 odd", []float64{5, 1, 3}, 50, 3},
		{"p50 even takes lower rank", []float64{4, 1, 3, 2}, 50, 2},
		{"p99 of 100 is 99th", seq(100), 99, 99},
		{"p100 is max", []float64{2, 9, 4}, 100, 9},
		{"p0 is min", []float64{2, 9, 4}, 0, 2},
		{"p99 of 10 is max", seq(10), 99, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.xs...)
			if got := Percentile(tc.xs, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.xs, tc.p, got, tc.want)
			}
			for i := range in {
				if in[i] != tc.xs[i] {
					t.Fatalf("input modified: %v", tc.xs)
				}
			}
		})
	}
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[n-1-i] = float64(i + 1)
	}
	return out
}

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		name string
		in   float64
		want string
	}{
		{"zero", 0, "0"},
		{"millions", 1234567.8, "1,234,568"},
		{"thousand", 1000, "1,000"},
		{"negative thousands", -12345, "-12,345"},
		{"tens", 42.26, "42.3"},
		{"small", 0.012345, "0.0123"},
		{"units", 3.5, "3.5"},
		{"tiny plain notation", 0.0000908, "0.0000908"},
		{"three digits below one", 0.12345, "0.123"},
		{"trailing zeros trimmed", 2, "2"},
		{"nan", math.NaN(), "NaN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatNumber(tc.in); got != tc.want {
				t.Errorf("FormatNumber(%v) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRenderTable(t *testing.T) {
	var r Report
	r.Add(Figure{Section: "ceiling", Name: "scan 200B", Value: 500000, Unit: "rows/s"})
	r.Add(Figure{Section: "source", Name: "source 200B", Value: 250000, Unit: "rows/s", Ceiling: 500000, CeilingName: "scan", Note: "1M rows"})
	var b bytes.Buffer
	RenderTable(&b, r.Figures, []string{"e2e: no binary"})
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d lines, want header, rule, 2 rows, skipped:\n%s", len(lines), b.String())
	}
	if !strings.HasPrefix(lines[0], "section") || !strings.HasPrefix(lines[1], "---") {
		t.Errorf("header/rule wrong:\n%s", b.String())
	}
	if !strings.Contains(lines[3], "250,000") || !strings.Contains(lines[3], "500,000 (scan)") || !strings.Contains(lines[3], "0.50") {
		t.Errorf("ratio row wrong: %q", lines[3])
	}
	// The value column is right-aligned: both values end at the same column.
	i2 := strings.Index(lines[2], "500,000") + len("500,000")
	i3 := strings.Index(lines[3], "250,000") + len("250,000")
	if i2 != i3 {
		t.Errorf("values not right-aligned (%d vs %d):\n%s", i2, i3, b.String())
	}
	if lines[4] != "skipped: e2e: no binary" {
		t.Errorf("skipped line = %q", lines[4])
	}
}

func TestReportAddRatio(t *testing.T) {
	var r Report
	r.Add(Figure{Value: 80, Ceiling: 100})
	r.Add(Figure{Value: 5})
	if r.Figures[0].Ratio != 0.8 {
		t.Errorf("ratio = %v, want 0.8", r.Figures[0].Ratio)
	}
	if r.Figures[1].Ratio != 0 {
		t.Errorf("ratio without ceiling = %v, want 0", r.Figures[1].Ratio)
	}
}

func TestCostModel(t *testing.T) {
	tests := []struct {
		name      string
		m         CostModel
		cpu, wall time.Duration
		want      float64
	}{
		// 1769 MB: one vCPU, 1 ms CPU per record -> 1e3 s * 1769/1024 GB.
		{"cpu bound full vcpu", CostModel{MemoryMB: 1769}, time.Millisecond, 0, 1000 * 1769.0 / 1024 * PriceArmPerGBSecond},
		// 256 MB gets 256/1769 of a vCPU; memory and share cancel out.
		{"cpu bound 256MB", CostModel{MemoryMB: 256}, time.Millisecond, 0, 1000 * 1769.0 / 1024 * PriceArmPerGBSecond},
		{"wall bound", CostModel{MemoryMB: 1024}, time.Microsecond, time.Millisecond, 1000 * PriceArmPerGBSecond},
		{"requests", CostModel{MemoryMB: 1024, RecordsPerInvoke: 100}, 0, 0, 1e4 * PricePerRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.m.DollarsPerMillion(tc.cpu, tc.wall)
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("DollarsPerMillion = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAlwaysOnCosts(t *testing.T) {
	cases := []struct {
		name string
		got  AlwaysOn
		want float64
	}{
		// One EPU around the clock: the pricing page's example 3 gives
		// 720 EPU-hours × $0.185 = $133.20 for a 720-hour month.
		{"one poller", ProvisionedPollersMonthly(1), 730 * 0.185},
		{"ten pollers share one EPU", ProvisionedPollersMonthly(10), 730 * 0.185},
		{"eleven pollers need two", ProvisionedPollersMonthly(11), 2 * 730 * 0.185},
		// 43,800 one-minute runs of 60 s at 0.25 GB, plus the requests.
		{"poll loop 256 MB", PollLoopMonthly(256, time.Minute), 43800*60*0.25*PriceArmPerGBSecond + 43800*0.2/1e6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if math.Abs(tc.got.Dollars-tc.want) > 1e-9 {
				t.Errorf("%s = $%.4f, want $%.4f (%s)", tc.got.What, tc.got.Dollars, tc.want, tc.got.How)
			}
		})
	}
	if d := ProvisionedPollersMonthly(1).Dollars; d < 130 || d > 140 {
		t.Errorf("one provisioned poller costs $%.2f a month; the pricing page's example says about $133", d)
	}
}
