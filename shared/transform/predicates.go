package transform

import (
	"fmt"
	"regexp"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// topicNameMatches is predicates.TopicNameMatches: the whole topic name
// matches "pattern" (Java Matcher.matches; the pattern is RE2).
type topicNameMatches struct{ re *regexp.Regexp }

func newTopicNameMatches(c *config) *topicNameMatches {
	t := &topicNameMatches{}
	p := c.required("pattern", "a regular expression matching whole topic names")
	if p == "" {
		return t
	}
	re, err := regexp.Compile(`^(?:` + p + `)$`)
	if err != nil {
		c.fail("pattern", p, fmt.Sprintf("invalid regular expression: %v", err))
		return t
	}
	t.re = re
	return t
}

func (t *topicNameMatches) Test(r connect.Record) bool { return t.re.MatchString(r.Topic) }

// hasHeaderKey is predicates.HasHeaderKey: the record has at least one
// header named "name".
type hasHeaderKey struct{ name string }

func newHasHeaderKey(c *config) *hasHeaderKey {
	return &hasHeaderKey{name: c.required("name", "the header name")}
}

func (t *hasHeaderKey) Test(r connect.Record) bool {
	for _, h := range r.Headers {
		if h.Key == t.name {
			return true
		}
	}
	return false
}

// recordIsTombstone is predicates.RecordIsTombstone: the value is null.
type recordIsTombstone struct{}

func (recordIsTombstone) Test(r connect.Record) bool { return r.Value == nil }

// filter is org.apache.kafka.connect.transforms.Filter: drops every record
// it applies to (use it with a predicate).
type filter struct{}

func (filter) Apply(r connect.Record) (connect.Record, bool, error) { return r, false, nil }
