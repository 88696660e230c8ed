package config

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// Range accepts integers in [lo, hi].
func Range(lo, hi int64) Validator {
	return func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return fmt.Errorf("expected an integer between %d and %d", lo, hi)
		}
		if n < lo {
			return fmt.Errorf("value must be at least %d", lo)
		}
		if n > hi {
			return fmt.Errorf("value must be no more than %d", hi)
		}
		return nil
	}
}

// AtLeast accepts integers >= lo.
func AtLeast(lo int64) Validator {
	return func(v string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo {
			return fmt.Errorf("value must be at least %d", lo)
		}
		return nil
	}
}

// RangeOrUnset accepts unset (an integer) or integers in [lo, hi]; AWS uses
// -1 for "infinite" on several event source mapping settings.
func RangeOrUnset(unset, lo, hi int64) Validator {
	r := Range(lo, hi)
	return func(v string) error {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n == unset {
			return nil
		}
		if r(v) != nil {
			return fmt.Errorf("value must be %d or between %d and %d", unset, lo, hi)
		}
		return nil
	}
}

// OneOf accepts exactly one of values (case-sensitive).
func OneOf(values ...string) Validator {
	return func(v string) error {
		for _, a := range values {
			if v == a {
				return nil
			}
		}
		return fmt.Errorf("value must be one of %s", strings.Join(values, ", "))
	}
}

// OneOfFold accepts one of values in any letter case; read it back with
// strings.ToUpper/ToLower as the key documents.
func OneOfFold(values ...string) Validator {
	return func(v string) error {
		for _, a := range values {
			if strings.EqualFold(v, a) {
				return nil
			}
		}
		return fmt.Errorf("value must be one of %s (any case)", strings.Join(values, ", "))
	}
}

// NonEmpty rejects empty and all-space values (for lists: lists without
// items).
func NonEmpty() Validator {
	return func(v string) error {
		if strings.TrimSpace(strings.ReplaceAll(v, ",", "")) == "" {
			return fmt.Errorf("value must not be empty")
		}
		return nil
	}
}

// Regexp accepts values matching pattern (anchor it yourself).
func Regexp(pattern string) Validator {
	re := regexp.MustCompile(pattern)
	return func(v string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("value must match %s", pattern)
		}
		return nil
	}
}

// Each applies v to every item of a comma-separated list, naming the item.
func Each(v Validator) Validator {
	return func(s string) error {
		for i, item := range SplitList(s) {
			if err := v(item); err != nil {
				return fmt.Errorf("item %d %q: %w", i, item, err)
			}
		}
		return nil
	}
}

// All runs every validator and returns the first error.
func All(vs ...Validator) Validator {
	return func(s string) error {
		for _, v := range vs {
			if err := v(s); err != nil {
				return err
			}
		}
		return nil
	}
}

// HostPort accepts "host:port" with a port in 1..65535.
func HostPort() Validator {
	return func(s string) error {
		host, port, err := net.SplitHostPort(s)
		if err != nil || host == "" {
			return fmt.Errorf("expected host:port")
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("port must be between 1 and 65535")
		}
		return nil
	}
}
