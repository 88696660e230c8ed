// Package emf writes CloudWatch embedded metric format (EMF) lines: one JSON
// object per line whose "_aws" member tells CloudWatch Logs which of the
// object's other members to extract as metrics. Lambda ships a function's
// stdout to CloudWatch Logs, so writing a line to os.Stdout publishes the
// metrics without an API call or extra latency.
//
// The document shape follows "Specification: Embedded metric format"
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
//
//	{"_aws": {"Timestamp": <epoch ms>,
//	          "CloudWatchMetrics": [{"Namespace": "...",
//	                                 "Dimensions": [["<dim>", ...]],
//	                                 "Metrics": [{"Name": "<metric>", "Unit": "Count"}, ...]}]},
//	 "<dim>": "<string value>", "<metric>": <number>, ...}
//
// Every dimension and metric named in the directive is a member of the
// root with a string (dimension) or number (metric) value.
package emf

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Namespace is the CloudWatch namespace of the project's metrics.
const Namespace = "ServerlessKafkaConnect"

// CloudWatch units used by the project's metrics.
const (
	UnitCount        = "Count"
	UnitMilliseconds = "Milliseconds"
)

// Dimension is one dimension of a line: a root member with a string value.
type Dimension struct {
	Name, Value string
}

// Metric is one metric of a line: a root member with a number value. Unit is
// a CloudWatch unit (UnitCount, UnitMilliseconds, ...); empty leaves it out,
// which CloudWatch treats as None.
type Metric struct {
	Name  string
	Unit  string
	Value float64
}

// Line is one EMF document: metrics in Namespace, at Timestamp, with one
// dimension set made of every Dimension in order.
type Line struct {
	// Namespace is the CloudWatch namespace; empty means Namespace.
	Namespace string
	// Timestamp is when the values were measured; it is written in
	// milliseconds since the epoch. The zero time is an error.
	Timestamp  time.Time
	Dimensions []Dimension
	Metrics    []Metric
}

// Write encodes l as one JSON line (ending in '\n') and writes it to w in
// one Write call, so lines from concurrent writers do not interleave on an
// os.File. It returns an error, writing nothing, when l has no metrics, no
// timestamp, an empty or repeated member name (a dimension and a metric may
// not share one, and none may be "_aws"), or a value that is NaN or
// infinite; otherwise w's error.
func Write(w io.Writer, l Line) error {
	b, err := Marshal(l)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("emf: writing line: %w", err)
	}
	return nil
}

// Marshal is Write without the writer: the line's bytes, '\n' included.
// Members are in sorted key order, so equal lines are equal bytes.
func Marshal(l Line) ([]byte, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	ns := l.Namespace
	if ns == "" {
		ns = Namespace
	}
	dims := make([]string, 0, len(l.Dimensions))
	defs := make([]map[string]string, 0, len(l.Metrics))
	root := make(map[string]any, len(l.Dimensions)+len(l.Metrics)+1)
	for _, d := range l.Dimensions {
		dims = append(dims, d.Name)
		root[d.Name] = d.Value
	}
	for _, m := range l.Metrics {
		def := map[string]string{"Name": m.Name}
		if m.Unit != "" {
			def["Unit"] = m.Unit
		}
		defs = append(defs, def)
		root[m.Name] = m.Value
	}
	root["_aws"] = map[string]any{
		"Timestamp": l.Timestamp.UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  ns,
			"Dimensions": [][]string{dims},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(root)
	if err != nil {
		return nil, fmt.Errorf("emf: encoding line: %w", err)
	}
	return append(b, '\n'), nil
}

func (l Line) validate() error {
	var errs []error
	if len(l.Metrics) == 0 {
		errs = append(errs, errors.New("emf: line has no metrics"))
	}
	if l.Timestamp.IsZero() {
		errs = append(errs, errors.New("emf: line has no timestamp"))
	}
	seen := map[string]bool{"_aws": true}
	name := func(kind, n string) {
		switch {
		case n == "":
			errs = append(errs, fmt.Errorf("emf: %s with an empty name", kind))
		case seen[n]:
			errs = append(errs, fmt.Errorf("emf: %s %q: name already used in the line", kind, n))
		}
		seen[n] = true
	}
	for _, d := range l.Dimensions {
		name("dimension", d.Name)
	}
	for _, m := range l.Metrics {
		name("metric", m.Name)
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			errs = append(errs, fmt.Errorf("emf: metric %q: value %v is not a finite number", m.Name, m.Value))
		}
	}
	return errors.Join(errs...)
}
