package emf

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Parse reads one EMF document (the JSON object Marshal writes; trailing
// white space is fine) back into a Line: every dimension of its first
// dimension set and every metric its directives name, in directive order.
// It returns an error for JSON that is not an EMF document, or whose
// directive names a member that is missing or of the wrong type; a metric
// given as an array of values (allowed by the specification) is read as
// their sum.
func Parse(b []byte) (Line, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(b, &root); err != nil {
		return Line{}, fmt.Errorf("emf: not a JSON object: %w", err)
	}
	raw, ok := root["_aws"]
	if !ok {
		return Line{}, errors.New("emf: no _aws member")
	}
	var meta struct {
		Timestamp         *int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return Line{}, fmt.Errorf("emf: _aws: %w", err)
	}
	if meta.Timestamp == nil || len(meta.CloudWatchMetrics) == 0 {
		return Line{}, errors.New("emf: _aws needs Timestamp and CloudWatchMetrics")
	}
	d := meta.CloudWatchMetrics[0]
	l := Line{Namespace: d.Namespace, Timestamp: time.UnixMilli(*meta.Timestamp)}
	if len(d.Dimensions) > 0 {
		for _, name := range d.Dimensions[0] {
			var v string
			if err := json.Unmarshal(root[name], &v); err != nil {
				return Line{}, fmt.Errorf("emf: dimension %q: want a string member", name)
			}
			l.Dimensions = append(l.Dimensions, Dimension{Name: name, Value: v})
		}
	}
	for _, m := range d.Metrics {
		var v float64
		if err := json.Unmarshal(root[m.Name], &v); err != nil {
			var vs []float64
			if err := json.Unmarshal(root[m.Name], &vs); err != nil {
				return Line{}, fmt.Errorf("emf: metric %q: want a number member", m.Name)
			}
			for _, x := range vs {
				v += x
			}
		}
		l.Metrics = append(l.Metrics, Metric{Name: m.Name, Unit: m.Unit, Value: v})
	}
	return l, nil
}
