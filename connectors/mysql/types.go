package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// Column is one column's metadata as information_schema.COLUMNS reports it
// (or, in query mode, as the result set describes it).
type Column struct {
	Name string
	// DataType is DATA_TYPE in lower case ("int", "decimal", "varchar").
	DataType string
	// ColumnType is COLUMN_TYPE ("int(10) unsigned", "enum('a','b')",
	// "bit(3)"), kept for error messages and width details.
	ColumnType string
	Unsigned   bool
	// Precision and Scale are NUMERIC_PRECISION and NUMERIC_SCALE (DECIMAL)
	// or the bit count in Precision for BIT.
	Precision int64
	Scale     int64
	// DatetimePrecision is DATETIME_PRECISION: fractional second digits.
	DatetimePrecision int64
	Nullable          bool
	AutoIncrement     bool
}

// Table is a table's metadata: columns in ordinal order and the primary key
// column names in key order (empty when the table has none).
type Table struct {
	DB         string
	Name       string
	Columns    []Column
	PrimaryKey []string
}

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// Qualified returns "db.table" as used in partitions and messages.
func (t *Table) Qualified() string { return t.DB + "." + t.Name }

// LoadTable reads a table's column metadata and primary key from
// information_schema. It fails when the table does not exist.
func LoadTable(ctx context.Context, db *sql.DB, schema, name string) (*Table, error) {
	const colsSQL = "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, IS_NULLABLE, EXTRA" +
		" FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION"
	rows, err := db.QueryContext(ctx, colsSQL, schema, name)
	if err != nil {
		return nil, fmt.Errorf("mysql source: read columns of %s.%s: %w", schema, name, err)
	}
	defer rows.Close()
	t := &Table{DB: schema, Name: name}
	for rows.Next() {
		var c Column
		var prec, scale, dtPrec sql.NullInt64
		var nullable, extra string
		if err := rows.Scan(&c.Name, &c.DataType, &c.ColumnType, &prec, &scale, &dtPrec, &nullable, &extra); err != nil {
			return nil, fmt.Errorf("mysql source: read columns of %s.%s: %w", schema, name, err)
		}
		c.DataType = strings.ToLower(c.DataType)
		c.Unsigned = strings.Contains(strings.ToLower(c.ColumnType), "unsigned")
		c.Precision, c.Scale, c.DatetimePrecision = prec.Int64, scale.Int64, dtPrec.Int64
		c.Nullable = nullable == "YES"
		c.AutoIncrement = strings.Contains(strings.ToLower(extra), "auto_increment")
		t.Columns = append(t.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mysql source: read columns of %s.%s: %w", schema, name, err)
	}
	if len(t.Columns) == 0 {
		return nil, errclass.Permanent(fmt.Errorf("mysql source: table %s.%s not found (or no privilege to see its columns)", schema, name))
	}
	const pkSQL = "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE" +
		" WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION"
	pk, err := db.QueryContext(ctx, pkSQL, schema, name)
	if err != nil {
		return nil, fmt.Errorf("mysql source: read primary key of %s.%s: %w", schema, name, err)
	}
	defer pk.Close()
	for pk.Next() {
		var n string
		if err := pk.Scan(&n); err != nil {
			return nil, fmt.Errorf("mysql source: read primary key of %s.%s: %w", schema, name, err)
		}
		t.PrimaryKey = append(t.PrimaryKey, n)
	}
	if err := pk.Err(); err != nil {
		return nil, fmt.Errorf("mysql source: read primary key of %s.%s: %w", schema, name, err)
	}
	return t, nil
}

// columnsFromResult describes a result set's columns (query mode, where
// information_schema does not apply). BIT columns of any width map to bytes
// here because the driver does not expose the bit count.
func columnsFromResult(cts []*sql.ColumnType) []Column {
	cols := make([]Column, len(cts))
	for i, ct := range cts {
		name := strings.ToLower(ct.DatabaseTypeName())
		c := Column{Name: ct.Name(), ColumnType: name}
		if rest, ok := strings.CutPrefix(name, "unsigned "); ok {
			c.Unsigned, name = true, rest
		}
		c.DataType = name
		if n, ok := ct.Nullable(); ok {
			c.Nullable = n
		} else {
			c.Nullable = true
		}
		switch name {
		case "decimal":
			if p, s, ok := ct.DecimalSize(); ok {
				if c.Unsigned {
					p++ // the driver subtracts a sign position an unsigned column lacks
				}
				c.Precision, c.Scale = p, s
			}
		case "datetime", "timestamp", "time":
			if p, _, ok := ct.DecimalSize(); ok {
				c.DatetimePrecision = p
			}
		case "bit":
			c.Precision = 64 // never boolean: width unknown
		}
		cols[i] = c
	}
	return cols
}

// NumericMapping is numeric.mapping: how DECIMAL/NUMERIC columns map, with
// the JDBC source connector's rules.
type NumericMapping string

// numeric.mapping values.
const (
	// NumericNone maps every DECIMAL to the Decimal logical type (default).
	NumericNone NumericMapping = "none"
	// NumericPrecisionOnly maps DECIMAL(p,0) with p <= 18 to the smallest
	// integer type that holds p digits; others stay Decimal.
	NumericPrecisionOnly NumericMapping = "precision_only"
	// NumericBestFit is precision_only plus DECIMAL(p,s>0) with p < 19 as
	// float64 (lossy by the user's choice).
	NumericBestFit NumericMapping = "best_fit"
	// NumericBestFitEagerDouble is best_fit, but any DECIMAL with a scale
	// maps to float64 whatever its precision.
	NumericBestFitEagerDouble NumericMapping = "best_fit_eager_double"
)

// UnsignedMode is bigint.unsigned.handling.mode, as Debezium names it.
type UnsignedMode string

// bigint.unsigned.handling.mode values.
const (
	// UnsignedLong maps BIGINT UNSIGNED to int64 and fails loudly, naming
	// table, column and value, on a value above 9223372036854775807 (default).
	UnsignedLong UnsignedMode = "long"
	// UnsignedPrecise maps BIGINT UNSIGNED to Decimal(20,0) holding any value.
	UnsignedPrecise UnsignedMode = "precise"
)

// TimePrecisionMode is time.precision.mode: how DATETIME, TIMESTAMP and
// TIME map, as Debezium names the setting.
type TimePrecisionMode string

// time.precision.mode values.
const (
	// TimeConnect maps DATETIME/TIMESTAMP to Kafka Connect's Timestamp and
	// TIME to Time, both milliseconds: fractional digits beyond the third
	// (DATETIME(4..6), TIME(4..6)) are dropped, as the JDBC source
	// connector does (default).
	TimeConnect TimePrecisionMode = "connect"
	// TimeAdaptiveMicros keeps microseconds: DATETIME/TIMESTAMP(4..6) map
	// to io.debezium.time.MicroTimestamp and every TIME to
	// io.debezium.time.MicroTime (int64 microseconds, as Debezium's
	// adaptive_time_microseconds); DATETIME/TIMESTAMP(0..3) keep Kafka
	// Connect's Timestamp, which holds them exactly.
	TimeAdaptiveMicros TimePrecisionMode = "adaptive_time_microseconds"
)

// TypeOptions are the config settings that change the type mapping.
type TypeOptions struct {
	NumericMapping NumericMapping
	Unsigned       UnsignedMode
	// TimePrecision is time.precision.mode; empty means TimeConnect.
	TimePrecision TimePrecisionMode
}

// kind is how a column's driver value becomes a connect value.
type kind int

const (
	kInt8 kind = iota
	kInt16
	kInt32
	kInt64
	kUint64Decimal
	kFloat32
	kFloat64
	kDecimal
	kDecimalInt8
	kDecimalInt16
	kDecimalInt32
	kDecimalInt64
	kDecimalFloat64
	kBool
	kBits
	kString
	kBytes
	kDate
	kTime
	kTimestamp
	kMicroTime      // TIME as int64 microseconds (MicroTime)
	kMicroTimestamp // DATETIME/TIMESTAMP as int64 microseconds (MicroTimestamp)
	kIntBool        // TINYINT(1) as boolean: non-zero is true
)

// isTimestamp reports whether the column holds a date or date-time usable
// as timestamp.column.name.
func (k kind) isTimestamp() bool { return k == kTimestamp || k == kDate || k == kMicroTimestamp }

// usesRawBytes reports whether the column is scanned into sql.RawBytes
// (the driver hands over text or binary) rather than a driver value.
func (k kind) usesRawBytes() bool {
	switch k {
	case kDecimal, kDecimalInt8, kDecimalInt16, kDecimalInt32, kDecimalInt64, kDecimalFloat64,
		kBool, kBits, kString, kBytes, kTime, kMicroTime, kUint64Decimal:
		return true
	}
	return false
}

// mapColumn returns the Kafka Connect schema of a column and how its values
// convert. table is "db.table" (or "query") for the error message of a type
// without mapping.
//
// The mapping follows the JDBC source connector and Debezium:
//
//	TINYINT(1)         boolean (non-zero is true), as the JDBC connector with Connector/J's tinyInt1isBit=true
//	TINYINT            int8   (UNSIGNED int16)
//	SMALLINT           int16  (UNSIGNED int32)
//	MEDIUMINT, INT     int32  (INT UNSIGNED int64; MEDIUMINT UNSIGNED int32)
//	BIGINT             int64  (UNSIGNED per bigint.unsigned.handling.mode)
//	FLOAT / DOUBLE     float32 / float64
//	DECIMAL(p,s)       Decimal{scale=s, connect.decimal.precision=p}, or per numeric.mapping
//	BIT(1) / BIT(n)    boolean / bytes (big-endian, ceil(n/8) bytes)
//	CHAR, VARCHAR, TEXT*, ENUM, SET, JSON, UUID, INET4, INET6   string
//	BINARY, VARBINARY, BLOB*    bytes
//	DATE               Date
//	TIME               Time (values outside 00:00:00..23:59:59.999999 are an error)
//	DATETIME, TIMESTAMP  Timestamp
//	YEAR               int32
//
// with time.precision.mode=adaptive_time_microseconds:
//
//	TIME(0..6)                     MicroTime (int64 µs; negative and >= 24 h allowed)
//	DATETIME/TIMESTAMP(4..6)       MicroTimestamp (int64 µs since the epoch)
//	DATETIME/TIMESTAMP(0..3)       Timestamp (milliseconds hold them exactly)
//
// Timestamp is milliseconds in Kafka Connect's format, as with the JDBC
// connector: in connect mode DATETIME(4..6) values lose the digits after the
// millisecond on the topic (the offset keeps them in timestamp_nanos, so no
// row is skipped). TINYINT(1) is told by COLUMN_TYPE, so in query mode
// (where only the result set is described) TINYINT stays int8. Nullable
// columns get optional schemas.
func mapColumn(table string, c Column, opt TypeOptions) (*connect.Schema, kind, error) {
	var s *connect.Schema
	var k kind
	switch c.DataType {
	case "tinyint":
		if strings.HasPrefix(strings.ToLower(c.ColumnType), "tinyint(1)") {
			s, k = connect.Primitive(connect.Boolean), kIntBool
		} else {
			s, k = intSchema(c.Unsigned, kInt8, kInt16)
		}
	case "smallint":
		s, k = intSchema(c.Unsigned, kInt16, kInt32)
	case "mediumint":
		s, k = connect.Primitive(connect.Int32), kInt32
	case "int", "integer":
		s, k = intSchema(c.Unsigned, kInt32, kInt64)
	case "bigint":
		switch {
		case !c.Unsigned:
			s, k = connect.Primitive(connect.Int64), kInt64
		case opt.Unsigned == UnsignedPrecise:
			s, k = connect.DecimalSchema(0, 20), kUint64Decimal
		default:
			s, k = connect.Primitive(connect.Int64), kInt64
		}
	case "float":
		s, k = connect.Primitive(connect.Float32), kFloat32
	case "double", "real", "double precision":
		s, k = connect.Primitive(connect.Float64), kFloat64
	case "decimal", "numeric", "dec", "fixed":
		s, k = decimalSchema(c.Precision, c.Scale, opt.NumericMapping)
	case "bit":
		if c.Precision == 1 {
			s, k = connect.Primitive(connect.Boolean), kBool
		} else {
			s, k = connect.Primitive(connect.Bytes), kBits
		}
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json",
		"uuid", "inet4", "inet6":
		s, k = connect.Primitive(connect.String), kString
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		s, k = connect.Primitive(connect.Bytes), kBytes
	case "date":
		s, k = connect.DateSchema(), kDate
	case "time":
		if opt.TimePrecision == TimeAdaptiveMicros {
			s, k = connect.MicroTimeSchema(), kMicroTime
		} else {
			s, k = connect.TimeSchema(), kTime
		}
	case "datetime", "timestamp":
		if opt.TimePrecision == TimeAdaptiveMicros && c.DatetimePrecision > 3 {
			s, k = connect.MicroTimestampSchema(), kMicroTimestamp
		} else {
			s, k = connect.TimestampSchema(), kTimestamp
		}
	case "year":
		s, k = connect.Primitive(connect.Int32), kInt32
	default:
		return nil, 0, fmt.Errorf("mysql source: table %s column %s: type %s has no Kafka Connect mapping; exclude the column with a query, or cast it in query mode",
			table, c.Name, orDefault(c.ColumnType, c.DataType))
	}
	if c.Nullable {
		s.Optional = true
	}
	return s, k, nil
}

func intSchema(unsigned bool, signed, wider kind) (*connect.Schema, kind) {
	k := signed
	if unsigned {
		k = wider
	}
	return connect.Primitive(kindType(k)), k
}

func kindType(k kind) connect.Type {
	switch k {
	case kInt8, kDecimalInt8:
		return connect.Int8
	case kInt16, kDecimalInt16:
		return connect.Int16
	case kInt32, kDecimalInt32:
		return connect.Int32
	default:
		return connect.Int64
	}
}

// decimalSchema applies numeric.mapping as the JDBC source connector does
// (GenericDatabaseDialect.addFieldToSchema for NUMERIC/DECIMAL).
func decimalSchema(precision, scale int64, m NumericMapping) (*connect.Schema, kind) {
	intKind := func() kind {
		switch {
		case precision > 9:
			return kDecimalInt64
		case precision > 4:
			return kDecimalInt32
		case precision > 2:
			return kDecimalInt16
		default:
			return kDecimalInt8
		}
	}
	switch m {
	case NumericPrecisionOnly:
		if scale == 0 && precision <= 18 {
			k := intKind()
			return connect.Primitive(kindType(k)), k
		}
	case NumericBestFit, NumericBestFitEagerDouble:
		if precision < 19 && scale == 0 {
			k := intKind()
			return connect.Primitive(kindType(k)), k
		}
		if scale > 0 && (precision < 19 || m == NumericBestFitEagerDouble) {
			return connect.Primitive(connect.Float64), kDecimalFloat64
		}
	}
	return connect.DecimalSchema(int(scale), int(precision)), kDecimal
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
