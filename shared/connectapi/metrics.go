package connectapi

import (
	"bytes"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/emf"
)

// Charted metrics: the functions' throughput and error counts (see
// shared/sourcetask and shared/sinktask), summed per minute.
var chartedMetrics = []string{"Records", "Failed", "RecordsTolerated", "RecordsWritten", "RecordsDeadLettered", "RecordsFailed"}

// metricsWindow is how far back the charts go, in minutes.
const metricsWindow = 60

// EMFMetrics collects the functions' embedded-metric-format lines from
// their log output (Write takes the output as slkc-local's runner writes
// it: one "[function] [request id] line" per line; whatever is not an EMF
// line is ignored) and serves the last hour per connector as per-minute
// sums: GET /metrics?connector=NAME answers MetricsBody. On AWS the same
// lines go to CloudWatch, which is where to read them there.
type EMFMetrics struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	partial []byte
	// sums[connector][metric][minute] is the sum of that minute's values.
	sums map[string]map[string]map[int64]float64
}

// MetricSeries is one metric's per-minute sums, oldest first.
type MetricSeries struct {
	Name   string    `json:"name"`
	Points []float64 `json:"points"`
}

// MetricsBody is GET /metrics: series of metricsWindow minutes from Start
// (epoch ms), Step ms apart.
type MetricsBody struct {
	Connector string         `json:"connector"`
	Start     int64          `json:"start"`
	Step      int64          `json:"step"`
	Series    []MetricSeries `json:"series"`
}

func (m *EMFMetrics) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Write takes log output; it never fails.
func (m *EMFMetrics) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	buf := append(m.partial, p...)
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		m.line(buf[:i])
		buf = buf[i+1:]
	}
	if len(buf) > 1<<20 {
		buf = nil // no line is this long; do not grow without bound
	}
	m.partial = append(m.partial[:0], buf...)
	return len(p), nil
}

// line records one output line if it holds an EMF document.
func (m *EMFMetrics) line(b []byte) {
	i := bytes.IndexByte(b, '{')
	if i < 0 || !bytes.Contains(b[i:], []byte(`"_aws"`)) {
		return
	}
	l, err := emf.Parse(b[i:])
	if err != nil {
		return
	}
	var connector string
	for _, d := range l.Dimensions {
		if d.Name == "Connector" {
			connector = d.Value
		}
	}
	if connector == "" {
		return
	}
	minute := l.Timestamp.Unix() / 60
	oldest := m.now().Unix()/60 - metricsWindow
	if m.sums == nil {
		m.sums = map[string]map[string]map[int64]float64{}
	}
	byMetric := m.sums[connector]
	if byMetric == nil {
		byMetric = map[string]map[int64]float64{}
		m.sums[connector] = byMetric
	}
	for _, mt := range l.Metrics {
		if !slices.Contains(chartedMetrics, mt.Name) {
			continue
		}
		mins := byMetric[mt.Name]
		if mins == nil {
			mins = map[int64]float64{}
			byMetric[mt.Name] = mins
		}
		mins[minute] += mt.Value
		for k := range mins {
			if k <= oldest {
				delete(mins, k)
			}
		}
	}
}

// Body returns the connector's last metricsWindow minutes.
func (m *EMFMetrics) Body(connector string) MetricsBody {
	m.mu.Lock()
	defer m.mu.Unlock()
	last := m.now().Unix() / 60
	first := last - metricsWindow + 1
	body := MetricsBody{Connector: connector, Start: first * 60_000, Step: 60_000, Series: []MetricSeries{}}
	for _, name := range chartedMetrics {
		mins, ok := m.sums[connector][name]
		if !ok {
			continue
		}
		s := MetricSeries{Name: name, Points: make([]float64, metricsWindow)}
		for k, v := range mins {
			if k >= first && k <= last {
				s.Points[k-first] = v
			}
		}
		body.Series = append(body.Series, s)
	}
	return body
}

// ServeHTTP answers GET /metrics?connector=NAME.
func (m *EMFMetrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("connector")
	if name == "" {
		writeJSON(w, http.StatusBadRequest, Errorf(http.StatusBadRequest, "query parameter connector is required"))
		return
	}
	writeJSON(w, http.StatusOK, m.Body(name))
}
