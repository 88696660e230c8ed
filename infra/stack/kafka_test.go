package stack

import (
	"strings"
	"testing"
)

func TestLiteralTopic(t *testing.T) {
	tests := []struct {
		name, topic string
		literal     bool
		err         string
	}{
		{"plain name", "dlq-orders.v1_x", true, ""},
		{"reference, resolved at run time", "${env:SLKC_DLQ}", false, ""},
		{"IAM wildcard *", "dlq-*", false, `k "dlq-*": kafka: topic name "dlq-*" has '*'`},
		{"IAM wildcard ?", "dlq-?", false, `has '?'`},
		{"ARN separator", "a/b", false, `has '/'`},
		{"empty", "", false, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			literal, err := literalTopic("k", tt.topic)
			if literal != tt.literal || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("literalTopic(%q) = %v, %v; want %v, error with %q", tt.topic, literal, err, tt.literal, tt.err)
			}
		})
	}
}
