package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Figure is one measured number. Throughput figures carry the ceiling they
// are compared with, measured in the same run on the same data, because
// absolute times on a shared machine drift while the ratio holds.
type Figure struct {
	// Section groups figures in the table ("ceiling", "source", "sink", ...).
	Section string `json:"section"`
	// Name says what was measured, including the data set.
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	// Ceiling and CeilingName, when set, are the raw figure Value is
	// compared with; Ratio is Value/Ceiling.
	Ceiling     float64 `json:"ceiling,omitempty"`
	CeilingName string  `json:"ceiling_name,omitempty"`
	Ratio       float64 `json:"ratio,omitempty"`
	// Note holds counts and conditions needed to read the figure.
	Note string `json:"note,omitempty"`
}

// Report is everything one run measured; it is written as JSON and rendered
// as a table.
type Report struct {
	Started  time.Time         `json:"started"`
	Finished time.Time         `json:"finished"`
	Host     map[string]string `json:"host"`
	Params   map[string]any    `json:"params"`
	Figures  []Figure          `json:"figures"`
	// Profiles maps a profile name to its top entries (pprof -top text).
	Profiles map[string]string `json:"profiles,omitempty"`
	// Skipped names the measurements that could not run, with why.
	Skipped []string `json:"skipped,omitempty"`
}

// Add appends a figure, computing its ratio when a ceiling is given.
func (r *Report) Add(f Figure) {
	if f.Ceiling > 0 && f.Ratio == 0 {
		f.Ratio = f.Value / f.Ceiling
	}
	r.Figures = append(r.Figures, f)
}

// Skip records a measurement that did not run and why.
func (r *Report) Skip(what string, why error) {
	r.Skipped = append(r.Skipped, fmt.Sprintf("%s: %v", what, why))
}

// WriteJSON writes the report to path, creating its folder.
func (r *Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("bench: creating folder of %s: %w", path, err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench: encoding report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: writing %s: %w", path, err)
	}
	return nil
}

// RenderTable writes the figures as an aligned text table, one row per
// figure in the order they were added, followed by the skipped list.
func RenderTable(w io.Writer, figs []Figure, skipped []string) {
	header := []string{"section", "figure", "value", "unit", "ceiling", "ratio", "note"}
	rows := [][]string{header}
	for _, f := range figs {
		ceil, ratio := "", ""
		if f.Ceiling > 0 {
			ceil = FormatNumber(f.Ceiling)
			if f.CeilingName != "" {
				ceil += " (" + f.CeilingName + ")"
			}
			ratio = fmt.Sprintf("%.2f", f.Ratio)
		}
		rows = append(rows, []string{f.Section, f.Name, FormatNumber(f.Value), f.Unit, ceil, ratio, f.Note})
	}
	width := make([]int, len(header))
	for _, row := range rows {
		for i, c := range row {
			if n := len([]rune(c)); n > width[i] {
				width[i] = n
			}
		}
	}
	for ri, row := range rows {
		var b strings.Builder
		for i, c := range row {
			if i == len(row)-1 {
				b.WriteString(c)
				break
			}
			pad := width[i] - len([]rune(c))
			if i == 2 || i == 5 { // numbers right-aligned
				b.WriteString(strings.Repeat(" ", pad))
				b.WriteString(c)
			} else {
				b.WriteString(c)
				b.WriteString(strings.Repeat(" ", pad))
			}
			b.WriteString("  ")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if ri == 0 {
			total := 0
			for _, n := range width {
				total += n + 2
			}
			fmt.Fprintln(w, strings.Repeat("-", total))
		}
	}
	for _, s := range skipped {
		fmt.Fprintln(w, "skipped:", s)
	}
}

// FormatNumber prints v with three significant digits at most after the
// point for small values and thousands separators for large ones, so the
// table stays readable: 1234567.8 -> "1,234,568", 0.01234 -> "0.0123".
func FormatNumber(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case v == 0:
		return "0"
	case math.Abs(v) >= 1000:
		s := fmt.Sprintf("%.0f", math.Abs(v))
		var b strings.Builder
		if v < 0 {
			b.WriteByte('-')
		}
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		// Three significant digits in plain notation: 9.08e-05 -> 0.0000908.
		digits := 2 - int(math.Floor(math.Log10(math.Abs(v))))
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.*f", digits, v), "0"), ".")
	}
}

// Percentile returns the p-th percentile (0..100) of xs by the
// nearest-rank method (the smallest value with at least p% of the values at
// or below it); xs need not be sorted and is not modified. It returns 0 for
// no values.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if p <= 0 {
		return s[0]
	}
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	if rank > len(s) {
		rank = len(s)
	}
	return s[rank-1]
}

// Mean returns the arithmetic mean of xs, 0 for none.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	var t float64
	for _, x := range xs {
		t += x
	}
	return t / float64(len(xs))
}

// Rate returns n per second over d, 0 when d is not positive.
func Rate(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}
