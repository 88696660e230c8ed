package binlog

import (
	"database/sql"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// columnDefault reads a column's default from information_schema's
// COLUMN_DEFAULT and EXTRA as the literal text the binlog decoder would
// deliver for it: nil when the column has none, defaults to NULL, or
// defaults to an expression. MariaDB (10.2.7+) quotes string literals,
// writes NULL as the text NULL and leaves expressions and numbers
// unquoted; MySQL writes the literal's text and marks expressions with
// DEFAULT_GENERATED in EXTRA. A CURRENT_TIMESTAMP default becomes the
// epoch, as Debezium's schemas carry it: for every DATETIME, and for a
// NOT NULL TIMESTAMP.
func columnDefault(c *column, def sql.NullString, extra string, mariadb bool) *string {
	if !def.Valid {
		return nil
	}
	v := def.String
	expr := false
	if mariadb {
		switch {
		case v == "NULL":
			return nil
		case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
			u := strings.ReplaceAll(v[1:len(v)-1], "''", "'")
			u = strings.ReplaceAll(u, `\\`, `\`)
			return &u
		case isNumberLiteral(v) || strings.HasPrefix(v, "b'"):
			return &v
		}
		expr = true
	} else {
		expr = strings.Contains(extra, "default_generated") ||
			strings.HasPrefix(strings.ToLower(v), "current_timestamp")
	}
	if !expr {
		return &v
	}
	now := strings.ToLower(v)
	if strings.HasPrefix(now, "current_timestamp") || strings.HasPrefix(now, "now(") {
		if c.DataType == "datetime" || c.DataType == "timestamp" && !c.Nullable {
			epoch := "1970-01-01 00:00:00"
			return &epoch
		}
	}
	return nil
}

func isNumberLiteral(s string) bool {
	_, ok := new(big.Float).SetString(s)
	return ok
}

// defaultValue is the column's default as a Connect value of its schema,
// made by the column's own conversion from what the binlog decoder would
// deliver for that literal; nil when the column has no literal default or
// the literal cannot be read as the column's type.
func defaultValue(cfg *Config, c *column, conv func(any) (any, error)) any {
	if c.Default == nil || conv == nil {
		return nil
	}
	text := *c.Default
	var in any
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year":
		if c.Unsigned {
			u, err := strconv.ParseUint(text, 10, 64)
			if err != nil {
				return nil
			}
			switch {
			case c.DataType == "bigint" && u > math.MaxInt64 && cfg.UnsignedMode == UnsignedLong:
				// Debezium's default for BIGINT UNSIGNED in long mode
				// saturates, where its values wrap.
				in = int64(math.MaxInt64)
			case c.DataType == "bigint":
				in = u
			default:
				in = int64(u)
			}
			break
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil
		}
		in = n
	case "float", "double", "real":
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil
		}
		in = f
	case "bit":
		bits := strings.TrimSuffix(strings.TrimPrefix(text, "b'"), "'")
		n, err := strconv.ParseUint(bits, 2, 64)
		if err != nil {
			return nil
		}
		in = int64(n)
	case "enum":
		in = int64(0)
		for i, m := range enumValues(c.Type) {
			if m == text {
				in = int64(i + 1)
			}
		}
	case "set":
		var mask int64
		members := enumValues(c.Type)
		for _, part := range strings.Split(text, ",") {
			for i, m := range members {
				if part != "" && m == part {
					mask |= 1 << uint(i)
				}
			}
		}
		in = mask
	default:
		in = text
	}
	v, err := conv(in)
	if err != nil {
		return nil
	}
	if t, ok := v.(time.Time); ok && c.DataType == "time" && (t.Before(time.Unix(0, 0)) || !t.Before(time.Unix(86400, 0))) {
		return nil // Kafka Connect's Time holds one day; the converter would refuse it
	}
	return v
}
