package sourcetask

import (
	"fmt"
	"io"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/emf"
)

// MetricsNamespace is the CloudWatch namespace of the run metrics.
const MetricsNamespace = emf.Namespace

// writeEMF writes one CloudWatch embedded metric format line for a run:
// Pages, Records, Skipped, RecordsTolerated, StoppedByDeadline, Failed (counts) and
// DurationMs (milliseconds), with dimension Connector. Lambda ships stdout
// lines to CloudWatch Logs, which extracts the metrics; no API call.
func writeEMF(w io.Writer, connector string, at time.Time, res Result, dur time.Duration, failed bool) error {
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	err := emf.Write(w, emf.Line{
		Namespace:  MetricsNamespace,
		Timestamp:  at,
		Dimensions: []emf.Dimension{{Name: "Connector", Value: connector}},
		Metrics: []emf.Metric{
			{Name: "Pages", Unit: emf.UnitCount, Value: float64(res.Pages)},
			{Name: "Records", Unit: emf.UnitCount, Value: float64(res.Records)},
			{Name: "Skipped", Unit: emf.UnitCount, Value: b2f(res.Skipped)},
			{Name: "RecordsTolerated", Unit: emf.UnitCount, Value: float64(res.RecordsTolerated)},
			{Name: "StoppedByDeadline", Unit: emf.UnitCount, Value: b2f(res.StoppedByDeadline)},
			{Name: "Failed", Unit: emf.UnitCount, Value: b2f(failed)},
			{Name: "DurationMs", Unit: emf.UnitMilliseconds, Value: float64(dur.Milliseconds())},
		},
	})
	if err != nil {
		return fmt.Errorf("sourcetask: %w", err)
	}
	return nil
}
