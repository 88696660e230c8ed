package transform

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// regexRouter is org.apache.kafka.connect.transforms.RegexRouter: when the
// whole topic matches "regex", the topic becomes "replacement", where $1 or
// ${name} refer to capture groups (Java Matcher.replaceFirst syntax; \$ is a
// literal dollar). Non-matching topics are unchanged. The regex is RE2 (Go
// regexp), which covers the patterns topic routing uses; backreferences and
// lookaround are rejected at config time.
type regexRouter struct {
	re       *regexp.Regexp
	template string
}

func newRegexRouter(c *config) *regexRouter {
	t := &regexRouter{}
	expr, ok := c.get("regex")
	if !ok || expr == "" {
		c.fail("regex", "", "missing; a regular expression matching whole topic names is required")
	} else {
		re, err := regexp.Compile(`^(?:` + expr + `)$`)
		if err != nil {
			c.fail("regex", expr, fmt.Sprintf("invalid regular expression: %v", err))
		} else {
			t.re = re
		}
	}
	repl, ok := c.get("replacement")
	if !ok {
		c.fail("replacement", "", "missing; the new topic name (may use $1 for capture groups) is required")
		return t
	}
	if t.re != nil {
		tmpl, err := javaReplacement(repl, t.re)
		if err != nil {
			c.fail("replacement", repl, err.Error())
		}
		t.template = tmpl
	}
	return t
}

// javaReplacement turns Java's replacement syntax into a regexp.Expand template.
func javaReplacement(s string, re *regexp.Regexp) (string, error) {
	var b strings.Builder
	groups := re.NumSubexp()
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch ch {
		case '\\':
			i++
			if i >= len(s) {
				return "", fmt.Errorf("character to be escaped is missing at the end")
			}
			if s[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(s[i])
			}
		case '$':
			i++
			if i >= len(s) {
				return "", fmt.Errorf("illegal group reference: group index is missing")
			}
			if s[i] == '{' {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					return "", fmt.Errorf("named capturing group is missing trailing '}'")
				}
				name := s[i+1 : i+end]
				if re.SubexpIndex(name) < 0 {
					return "", fmt.Errorf("no group with name {%s}", name)
				}
				b.WriteString("${" + name + "}")
				i += end
				continue
			}
			if s[i] < '0' || s[i] > '9' {
				return "", fmt.Errorf("illegal group reference at %d", i)
			}
			// Java takes the first digit, then more digits while the
			// number stays a valid group.
			n := int(s[i] - '0')
			for i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && n*10+int(s[i+1]-'0') <= groups {
				i++
				n = n*10 + int(s[i]-'0')
			}
			if n > groups {
				return "", fmt.Errorf("no group %d (the regex has %d)", n, groups)
			}
			fmt.Fprintf(&b, "${%d}", n)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String(), nil
}

// Apply implements Transform.
func (t *regexRouter) Apply(r connect.Record) (connect.Record, bool, error) {
	m := t.re.FindStringSubmatchIndex(r.Topic)
	if m == nil {
		return r, true, nil
	}
	r.Topic = string(t.re.ExpandString(nil, t.template, r.Topic, m))
	return r, true, nil
}
