package transform

import (
	"fmt"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// timestampRouter is org.apache.kafka.connect.transforms.TimestampRouter:
// the topic becomes "topic.format" (default "${topic}-${timestamp}") with
// ${topic} the topic and ${timestamp} the record timestamp formatted with
// "timestamp.format" (default yyyyMMdd, UTC). A record without a timestamp
// is an error.
type timestampRouter struct {
	topicFormat string
	tsFormat    *javaDateFormat
}

func newTimestampRouter(c *config) *timestampRouter {
	t := &timestampRouter{topicFormat: "${topic}-${timestamp}"}
	if v, ok := c.get("topic.format"); ok {
		t.topicFormat = v
	}
	pattern := "yyyyMMdd"
	if v, ok := c.get("timestamp.format"); ok {
		pattern = v
	}
	f, err := parseJavaDateFormat(pattern)
	if err != nil {
		c.fail("timestamp.format", pattern, err.Error())
	}
	t.tsFormat = f
	return t
}

func (t *timestampRouter) Apply(r connect.Record) (connect.Record, bool, error) {
	if r.Timestamp.IsZero() {
		return r, false, fmt.Errorf("record has no timestamp to route by")
	}
	topic := strings.ReplaceAll(t.topicFormat, "${topic}", r.Topic)
	r.Topic = strings.ReplaceAll(topic, "${timestamp}", t.tsFormat.format(r.Timestamp))
	return r, true, nil
}
