package sourcetask

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// MetricsNamespace is the CloudWatch namespace of the run metrics.
const MetricsNamespace = "ServerlessKafkaConnect"

// writeEMF writes one CloudWatch embedded metric format line for a run:
// Pages, Records, Skipped, StoppedByDeadline, Failed (counts) and
// DurationMs (milliseconds), with dimension Connector. Lambda ships stdout
// lines to CloudWatch Logs, which extracts the metrics; no API call.
func writeEMF(w io.Writer, connector string, at time.Time, res Result, dur time.Duration, failed bool) error {
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	metric := func(name, unit string) map[string]string { return map[string]string{"Name": name, "Unit": unit} }
	line := map[string]any{
		"_aws": map[string]any{
			"Timestamp": at.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  MetricsNamespace,
				"Dimensions": [][]string{{"Connector"}},
				"Metrics": []any{
					metric("Pages", "Count"), metric("Records", "Count"), metric("Skipped", "Count"),
					metric("StoppedByDeadline", "Count"), metric("Failed", "Count"), metric("DurationMs", "Milliseconds"),
				},
			}},
		},
		"Connector":         connector,
		"Pages":             res.Pages,
		"Records":           res.Records,
		"Skipped":           b2i(res.Skipped),
		"StoppedByDeadline": b2i(res.StoppedByDeadline),
		"Failed":            b2i(failed),
		"DurationMs":        dur.Milliseconds(),
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("sourcetask: encode EMF line: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
