package binlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// Debezium's semantic type names (io.debezium.time.*, io.debezium.data.*).
const (
	dbzDate           = "io.debezium.time.Date"
	dbzMicroTime      = "io.debezium.time.MicroTime"
	dbzTimestamp      = "io.debezium.time.Timestamp"
	dbzMicroTimestamp = "io.debezium.time.MicroTimestamp"
	dbzZonedTimestamp = "io.debezium.time.ZonedTimestamp"
	dbzYear           = "io.debezium.time.Year"
	dbzJSON           = "io.debezium.data.Json"
	dbzEnum           = "io.debezium.data.Enum"
	dbzEnumSet        = "io.debezium.data.EnumSet"
	dbzBits           = "io.debezium.data.Bits"
)

// column is one column as information_schema describes it, with its
// Connect schema and the conversion from the binlog decoder's value.
type column struct {
	Name      string `json:"name"`
	DataType  string `json:"data_type"` // information_schema DATA_TYPE, lower case
	Type      string `json:"type"`      // COLUMN_TYPE, e.g. "int(10) unsigned", "enum('a','b')"
	Nullable  bool   `json:"nullable,omitempty"`
	Unsigned  bool   `json:"unsigned,omitempty"`
	Precision int    `json:"precision,omitempty"` // NUMERIC_PRECISION (decimal), bit length (bit)
	Scale     int    `json:"scale,omitempty"`     // NUMERIC_SCALE
	FSP       int    `json:"fsp,omitempty"`       // DATETIME_PRECISION
	Binary    bool   `json:"binary,omitempty"`
	JSON      bool   `json:"json,omitempty"`
	Key       bool   `json:"key,omitempty"`
	// Default is the column's literal default as text (nil: none, NULL or
	// an expression); see defaults.go.
	Default  *string `json:"default,omitempty"`
	Excluded bool    `json:"-"` // column.exclude.list, from the config
	schema   *connect.Schema
	convert  func(any) (any, error)
}

// table is the captured shape of one table.
type table struct {
	DB, Name string
	Columns  []*column
	keyCols  []*column
	// Key and Value are the record schemas (<prefix>.<db>.<table>.Key /
	// .Value); Key is nil for a table without a primary key.
	Key, Value, Envelope *connect.Schema
}

// errTableGone reports a table information_schema does not list.
var errTableGone = errors.New("not found in information_schema (dropped since?)")

// loadTable reads db.name's columns and primary key from
// information_schema and builds its schemas. It reflects the table as it
// is now; the caller invalidates it on DDL.
func loadTable(ctx context.Context, db *sql.DB, cfg *Config, mariadb bool, dbName, name string) (*table, error) {
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, LOWER(DATA_TYPE), LOWER(COLUMN_TYPE), IS_NULLABLE, COLUMN_KEY,
		COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, 0), COALESCE(DATETIME_PRECISION, 0), COALESCE(CHARACTER_SET_NAME, ''),
		COLUMN_DEFAULT, LOWER(EXTRA)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, dbName, name)
	if err != nil {
		return nil, fmt.Errorf("binlog: read columns of %s.%s: %w", dbName, name, err)
	}
	defer rows.Close()
	var cols []*column
	for rows.Next() {
		c := &column{}
		var nullable, key, charset, extra string
		var def sql.NullString
		if err := rows.Scan(&c.Name, &c.DataType, &c.Type, &nullable, &key, &c.Precision, &c.Scale, &c.FSP, &charset, &def, &extra); err != nil {
			return nil, fmt.Errorf("binlog: read columns of %s.%s: %w", dbName, name, err)
		}
		c.Nullable = nullable == "YES"
		c.Key = key == "PRI"
		c.Unsigned = strings.Contains(c.Type, "unsigned")
		c.Binary = charset == "binary"
		c.JSON = c.DataType == "json"
		c.Default = columnDefault(c, def, extra, mariadb)
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("binlog: read columns of %s.%s: %w", dbName, name, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("binlog: table %s.%s: %w", dbName, name, errTableGone)
	}
	for _, c := range cols {
		if c.DataType == "bit" {
			c.Precision = bitLength(c.Type)
		}
	}
	// MariaDB's JSON is LONGTEXT with a json_valid() check: a plain string,
	// as Debezium's MariaDB connector reads it (it sees LONGTEXT in SHOW
	// CREATE TABLE); only MySQL's JSON type is io.debezium.data.Json.
	return newTable(cfg, dbName, name, cols)
}

// newTable builds a table's schemas from its columns (read from
// information_schema or restored from the stored offset).
func newTable(cfg *Config, dbName, name string, cols []*column) (*table, error) {
	t := &table{DB: dbName, Name: name}
	for _, src := range cols {
		c := *src
		c.Excluded = cfg.excludesColumn(dbName, name, c.Name)
		var err error
		if c.schema, c.convert, err = columnSchema(cfg, &c); err != nil && (!c.Excluded || c.Key) {
			return nil, fmt.Errorf("binlog: table %s.%s column %s: %w", dbName, name, c.Name, err)
		}
		t.Columns = append(t.Columns, &c)
		if c.Key {
			t.keyCols = append(t.keyCols, &c)
		}
	}
	t.buildSchemas(cfg)
	return t, nil
}

// bitLength reads n from "bit(n)".
func bitLength(colType string) int {
	s := strings.TrimSuffix(strings.TrimPrefix(colType, "bit("), ")")
	n, err := strconv.Atoi(s)
	if err != nil {
		return 1
	}
	return n
}

// enumValues reads the members of "enum('a','b')" or "set('a','b')",
// undoing SQL quote doubling.
func enumValues(colType string) []string {
	open := strings.IndexByte(colType, '(')
	if open < 0 || !strings.HasSuffix(colType, ")") {
		return nil
	}
	body := colType[open+1 : len(colType)-1]
	var out []string
	for i := 0; i < len(body); i++ {
		if body[i] != '\'' {
			continue
		}
		var b strings.Builder
		for i++; i < len(body); i++ {
			if body[i] == '\'' {
				if i+1 < len(body) && body[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			if body[i] == '\\' && i+1 < len(body) {
				i++
			}
			b.WriteByte(body[i])
		}
		out = append(out, b.String())
	}
	return out
}

func (t *table) buildSchemas(cfg *Config) {
	base := cfg.TopicPrefix + "." + t.DB + "." + t.Name
	var vf []connect.Field
	for _, c := range t.Columns {
		if c.Excluded {
			continue
		}
		vf = append(vf, connect.Field{Name: c.Name, Schema: c.schema})
	}
	t.Value = connect.NewStructSchema(base+".Value", vf...)
	t.Value.Optional = true
	if len(t.keyCols) > 0 {
		kf := make([]connect.Field, len(t.keyCols))
		for i, c := range t.keyCols {
			kf[i] = connect.Field{Name: c.Name, Schema: c.schema}
		}
		t.Key = connect.NewStructSchema(base+".Key", kf...)
	}
	t.Envelope = envelopeSchema(base+".Envelope", t.Value, sourceSchema(cfg))
}

// row converts one decoded binlog row into the Value struct and the Key
// struct (nil without a primary key).
func (t *table) row(vals []any) (value, key *connect.StructValue, err error) {
	if len(vals) != len(t.Columns) {
		return nil, nil, fmt.Errorf("binlog: row of %s.%s has %d columns but information_schema lists %d: the known shape does not fit this event",
			t.DB, t.Name, len(vals), len(t.Columns))
	}
	value = connect.NewStruct(t.Value)
	conv := make([]any, len(vals))
	j := 0
	for i, c := range t.Columns {
		v := vals[i]
		if c.Excluded && !c.Key {
			continue // never converted: its type may be one this connector cannot map
		}
		if v != nil {
			if v, err = c.convert(v); err != nil {
				return nil, nil, fmt.Errorf("binlog: %s.%s column %s (%s): %w", t.DB, t.Name, c.Name, c.Type, err)
			}
		} else if !c.schema.Optional {
			return nil, nil, fmt.Errorf("binlog: %s.%s column %s is NOT NULL but the event has NULL", t.DB, t.Name, c.Name)
		}
		conv[i] = v
		if !c.Excluded {
			value.Values[j] = v
			j++
		}
	}
	if t.Key != nil {
		key = connect.NewStruct(t.Key)
		k := 0
		for i, c := range t.Columns {
			if c.Key {
				key.Values[k] = conv[i]
				k++
			}
		}
	}
	return value, key, nil
}

// columnSchema maps a column to its Connect schema and value conversion,
// as Debezium's MySQL connector does for the common types.
func columnSchema(cfg *Config, c *column) (*connect.Schema, func(any) (any, error), error) {
	s, conv, err := baseSchema(cfg, c)
	if err != nil {
		return nil, nil, err
	}
	cp := *s
	cp.Optional = c.Nullable
	cp.Default = defaultValue(cfg, c, conv)
	return &cp, conv, nil
}

func named(t connect.Type, name string, params map[string]string) *connect.Schema {
	return &connect.Schema{Type: t, Name: name, Version: 1, Parameters: params}
}

func baseSchema(cfg *Config, c *column) (*connect.Schema, func(any) (any, error), error) {
	adaptive := cfg.TimeMode == TimeAdaptiveMicros
	switch c.DataType {
	case "tinyint":
		return connect.Primitive(connect.Int16), intConv(c, 8, func(v int64) any { return int16(v) }), nil
	case "smallint":
		if c.Unsigned {
			return connect.Primitive(connect.Int32), intConv(c, 16, func(v int64) any { return int32(v) }), nil
		}
		return connect.Primitive(connect.Int16), intConv(c, 16, func(v int64) any { return int16(v) }), nil
	case "mediumint":
		return connect.Primitive(connect.Int32), intConv(c, 24, func(v int64) any { return int32(v) }), nil
	case "int", "integer":
		if c.Unsigned {
			return connect.Primitive(connect.Int64), intConv(c, 32, func(v int64) any { return v }), nil
		}
		return connect.Primitive(connect.Int32), intConv(c, 32, func(v int64) any { return int32(v) }), nil
	case "bigint":
		if c.Unsigned && cfg.UnsignedMode == UnsignedPrecise {
			return connect.DecimalSchema(0, 20), func(v any) (any, error) {
				u, err := asUint64(v)
				if err != nil {
					return nil, err
				}
				return connect.Decimal{Unscaled: new(big.Int).SetUint64(u), Scale: 0}, nil
			}, nil
		}
		return connect.Primitive(connect.Int64), intConv(c, 64, func(v int64) any { return v }), nil
	case "float":
		return connect.Primitive(connect.Float32), func(v any) (any, error) {
			switch f := v.(type) {
			case float32:
				return f, nil
			case float64:
				return float32(f), nil
			}
			return nil, fmt.Errorf("unexpected %T for FLOAT", v)
		}, nil
	case "double", "real":
		return connect.Primitive(connect.Float64), func(v any) (any, error) {
			switch f := v.(type) {
			case float64:
				return f, nil
			case float32:
				return float64(f), nil
			}
			return nil, fmt.Errorf("unexpected %T for DOUBLE", v)
		}, nil
	case "decimal", "numeric":
		return decimalSchema(cfg, c)
	case "bit":
		if c.Precision <= 1 {
			return connect.Primitive(connect.Boolean), func(v any) (any, error) {
				n, err := asInt64(v)
				return n != 0, err
			}, nil
		}
		size := (c.Precision + 7) / 8
		return named(connect.Bytes, dbzBits, map[string]string{"length": strconv.Itoa(c.Precision)}), func(v any) (any, error) {
			n, err := asInt64(v)
			if err != nil {
				return nil, err
			}
			b := make([]byte, size) // little-endian, as Debezium's Bits
			for i := range b {
				b[i] = byte(uint64(n) >> (8 * i))
			}
			return b, nil
		}, nil
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		if c.JSON {
			return named(connect.String, dbzJSON, nil), asString, nil
		}
		if c.Binary {
			return connect.Primitive(connect.Bytes), asBytes, nil
		}
		return connect.Primitive(connect.String), asString, nil
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		return connect.Primitive(connect.Bytes), asBytes, nil
	case "json":
		return named(connect.String, dbzJSON, nil), asString, nil
	case "enum":
		members := enumValues(c.Type)
		return named(connect.String, dbzEnum, map[string]string{"allowed": strings.Join(members, ",")}), func(v any) (any, error) {
			n, err := asInt64(v)
			if err != nil {
				return nil, err
			}
			if n == 0 {
				return "", nil // MySQL's invalid-value member
			}
			if n < 1 || int(n) > len(members) {
				return nil, fmt.Errorf("ENUM index %d outside 1..%d", n, len(members))
			}
			return members[n-1], nil
		}, nil
	case "set":
		members := enumValues(c.Type)
		return named(connect.String, dbzEnumSet, map[string]string{"allowed": strings.Join(members, ",")}), func(v any) (any, error) {
			n, err := asInt64(v)
			if err != nil {
				return nil, err
			}
			var out []string
			for i, m := range members {
				if uint64(n)&(1<<uint(i)) != 0 {
					out = append(out, m)
				}
			}
			return strings.Join(out, ","), nil
		}, nil
	case "date":
		if adaptive {
			return named(connect.Int32, dbzDate, nil), func(v any) (any, error) {
				d, err := parseDate(v)
				if err != nil {
					return nil, err
				}
				return int32(d.Unix() / 86400), nil
			}, nil
		}
		return connect.DateSchema(), func(v any) (any, error) { return parseDate(v) }, nil
	case "time":
		if adaptive {
			return named(connect.Int64, dbzMicroTime, nil), func(v any) (any, error) {
				us, err := parseTimeMicros(v)
				return us, err
			}, nil
		}
		return connect.TimeSchema(), func(v any) (any, error) {
			us, err := parseTimeMicros(v)
			if err != nil {
				return nil, err
			}
			return time.UnixMicro(us).UTC(), nil
		}, nil
	case "datetime":
		if !adaptive {
			return connect.TimestampSchema(), func(v any) (any, error) { return parseDateTime(v) }, nil
		}
		if c.FSP <= 3 {
			return named(connect.Int64, dbzTimestamp, nil), func(v any) (any, error) {
				t, err := parseDateTime(v)
				if err != nil {
					return nil, err
				}
				return t.UnixMilli(), nil
			}, nil
		}
		return named(connect.Int64, dbzMicroTimestamp, nil), func(v any) (any, error) {
			t, err := parseDateTime(v)
			if err != nil {
				return nil, err
			}
			return t.UnixMicro(), nil
		}, nil
	case "timestamp":
		fsp := c.FSP
		return named(connect.String, dbzZonedTimestamp, nil), func(v any) (any, error) {
			t, err := parseDateTime(v) // the decoder renders TIMESTAMP in UTC
			if err != nil {
				return nil, err
			}
			layout := "2006-01-02T15:04:05"
			if fsp > 0 {
				layout += "." + strings.Repeat("0", fsp)
			}
			return t.Format(layout) + "Z", nil
		}, nil
	case "year":
		return named(connect.Int32, dbzYear, nil), func(v any) (any, error) {
			n, err := asInt64(v)
			return int32(n), err
		}, nil
	}
	return nil, nil, fmt.Errorf("column type %q is not supported by the binlog connector yet; exclude the column with column.exclude.list or the table with table.exclude.list", c.Type)
}

func decimalSchema(cfg *Config, c *column) (*connect.Schema, func(any) (any, error), error) {
	text := func(v any) (string, error) {
		switch d := v.(type) {
		case string:
			return d, nil
		case []byte:
			return string(d), nil
		case fmt.Stringer:
			return d.String(), nil
		}
		return "", fmt.Errorf("unexpected %T for DECIMAL", v)
	}
	switch cfg.DecimalMode {
	case DecimalString:
		return connect.Primitive(connect.String), func(v any) (any, error) { return text(v) }, nil
	case DecimalDouble:
		return connect.Primitive(connect.Float64), func(v any) (any, error) {
			s, err := text(v)
			if err != nil {
				return nil, err
			}
			return strconv.ParseFloat(s, 64)
		}, nil
	}
	scale := c.Scale
	return connect.DecimalSchema(c.Scale, c.Precision), func(v any) (any, error) {
		s, err := text(v)
		if err != nil {
			return nil, err
		}
		d, err := connect.ParseDecimal(s)
		if err != nil {
			return nil, err
		}
		// Keep the column's scale whatever digits the decoder printed.
		for int(d.Scale) < scale {
			d.Unscaled.Mul(d.Unscaled, big.NewInt(10))
			d.Scale++
		}
		return d, nil
	}, nil
}

// intConv normalises the decoder's integer (signed Go types unless the
// binlog carries signedness metadata) to int64, reinterpreting the bits of
// an unsigned column of the given width.
func intConv(c *column, bits uint, out func(int64) any) func(any) (any, error) {
	unsigned := c.Unsigned
	return func(v any) (any, error) {
		n, err := asInt64(v)
		if err != nil {
			return nil, err
		}
		if unsigned && n < 0 && bits < 64 {
			n += 1 << bits
		}
		return out(n), nil
	}
}

func asInt64(v any) (int64, error) {
	switch n := v.(type) {
	case int8:
		return int64(n), nil
	case int16:
		return int64(n), nil
	case int32:
		return int64(n), nil
	case int64:
		return n, nil
	case int:
		return int64(n), nil
	case uint8:
		return int64(n), nil
	case uint16:
		return int64(n), nil
	case uint32:
		return int64(n), nil
	case uint64:
		return int64(n), nil
	}
	return 0, fmt.Errorf("unexpected %T for an integer column", v)
}

func asUint64(v any) (uint64, error) {
	if u, ok := v.(uint64); ok {
		return u, nil
	}
	n, err := asInt64(v)
	return uint64(n), err
}

func asString(v any) (any, error) {
	switch s := v.(type) {
	case string:
		return s, nil
	case []byte:
		return string(s), nil
	}
	return nil, fmt.Errorf("unexpected %T for a text column", v)
}

func asBytes(v any) (any, error) {
	switch s := v.(type) {
	case string:
		return []byte(s), nil
	case []byte:
		return append([]byte(nil), s...), nil
	}
	return nil, fmt.Errorf("unexpected %T for a binary column", v)
}

// parseDate parses the decoder's "YYYY-MM-DD"; the zero date is the epoch
// (Debezium's value for a zero date in a NOT NULL column).
func parseDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("unexpected %T for DATE", v)
	}
	if strings.HasPrefix(s, "0000-00-00") {
		return time.Unix(0, 0).UTC(), nil
	}
	return time.ParseInLocation("2006-01-02", s, time.UTC)
}

// parseDateTime parses the decoder's "YYYY-MM-DD HH:MM:SS[.ffffff]" as UTC.
func parseDateTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("unexpected %T for DATETIME/TIMESTAMP", v)
	}
	if strings.HasPrefix(s, "0000-00-00") {
		return time.Unix(0, 0).UTC(), nil
	}
	return time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.UTC)
}

// parseTimeMicros parses "[-]HHH:MM:SS[.ffffff]" into microseconds.
func parseTimeMicros(v any) (int64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("unexpected %T for TIME", v)
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, frac = s[:i], s[i+1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, fmt.Errorf("TIME %q: want HH:MM:SS", v)
	}
	var hms [3]int64
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("TIME %q: %w", v, err)
		}
		hms[i] = n
	}
	us := ((hms[0]*60+hms[1])*60 + hms[2]) * 1_000_000
	if frac != "" {
		f := (frac + "000000")[:6]
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("TIME %q: %w", v, err)
		}
		us += n
	}
	if neg {
		us = -us
	}
	return us, nil
}
