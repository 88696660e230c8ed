package mysql

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// maxPlaceholders is the MySQL/MariaDB protocol limit of parameters in one
// prepared statement (a 16-bit count).
const maxPlaceholders = 65535

// maxStatementBytes bounds the parameter bytes of one multi-row statement
// well under the smallest common max_allowed_packet (16 MiB on MariaDB).
const maxStatementBytes = 8 << 20

// upsertStyle is how ON DUPLICATE KEY UPDATE refers to the new row.
type upsertStyle int

const (
	// upsertRowAlias is MySQL 8.0.19+: "VALUES (...) AS new ON DUPLICATE
	// KEY UPDATE c = new.c"; VALUES(c) is deprecated there since 8.0.20.
	upsertRowAlias upsertStyle = iota
	// upsertValuesFunc is "ON DUPLICATE KEY UPDATE c = VALUES(c)": MariaDB
	// (which does not support the row alias syntax and where VALUES() is
	// not deprecated) and MySQL before 8.0.19.
	upsertValuesFunc
)

// upsertStyleFor picks the upsert form for a SELECT VERSION() string.
func upsertStyleFor(version string) upsertStyle {
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return upsertValuesFunc
	}
	var maj, min, patch int
	core, _, _ := strings.Cut(version, "-")
	parts := strings.SplitN(core, ".", 3)
	nums := []*int{&maj, &min, &patch}
	for i, p := range parts {
		n, _ := strconv.Atoi(strings.TrimFunc(p, func(r rune) bool { return r < '0' || r > '9' }))
		*nums[i] = n
	}
	if maj > 8 || (maj == 8 && (min > 0 || patch >= 19)) {
		return upsertRowAlias
	}
	return upsertValuesFunc
}

// rowsPerStatement is how many rows of ncols parameters fit one statement
// under batch.size and the placeholder limit.
func rowsPerStatement(ncols, batchSize int) int {
	n := maxPlaceholders / max(ncols, 1)
	return max(1, min(n, batchSize))
}

// targetStatementBytes is the parameter bytes a multi-row statement aims
// at. go-sql-driver (v1.10) keeps a connection's packet buffer for the
// next statement only up to 256 KiB (maxCachedBufSize); a bigger
// statement allocates and copies its packet again, by doubling, on every
// execute. In the sink-handler binary, alternating invoke by invoke
// (README, "Garbage collection at the memory limit, and a streamed write
// tried, eighth round"), statements of about 192 KiB instead of 3,000
// rows cut Sink.Write's p50 by 5–12 % at 1 KB records and 4–7 % at 200 B;
// with a fixed cap, 64 KB statements gained less and 1 MB ones nothing.
const targetStatementBytes = 192 << 10

// statementRows is how many rows of run (rows of ncols parameters) one
// multi-row statement takes: rowsPerStatement's bound, and about
// targetStatementBytes of parameters at the run's average row size,
// rounded down to three significant bits (..., 128, 160, 192, 224, 256,
// 320, ...) so that batches of similar rows share prepared statements.
// chunks still bounds each statement by maxStatementBytes, whatever the
// sizes of single rows.
func statementRows(run []sinkRow, ncols, batchSize int) int {
	total := 0
	for _, r := range run {
		total += r.bytes
	}
	avg := max(1, total/max(1, len(run)))
	n := max(1, targetStatementBytes/avg)
	if n >= 8 {
		shift := bits.Len(uint(n)) - 3
		n = n >> shift << shift
	}
	return min(rowsPerStatement(ncols, batchSize), n)
}

// insertKind is the conflict handling of a multi-row INSERT.
type insertKind int

const (
	// insertPlain fails a row whose key exists (duplicate entry, 1062).
	insertPlain insertKind = iota
	// insertUpsert replaces the non-key columns of the row with the
	// record's key; see keyGuard for a row matched on another unique key.
	insertUpsert
	// insertKeepExisting leaves the row with the record's key as it is,
	// without error (a no-op ON DUPLICATE KEY UPDATE; INSERT IGNORE would
	// also hide data errors); see keyGuard for another unique key.
	insertKeepExisting
)

// keyGuardRaise is an expression that always fails when evaluated, with
// ER_SUBQUERY_NO_1_ROW (keyGuardErrorNumber) whatever the sql_mode. The
// sink never writes subqueries otherwise, so that error number from an
// upsert means the key guard tripped.
const keyGuardRaise = "(SELECT 1 UNION ALL SELECT 2)"

// keyGuard writes the first assignment of ON DUPLICATE KEY UPDATE.
// MySQL runs that clause for a row matched on ANY unique key, so a record
// whose key is new but whose other unique values are held by another row
// would overwrite that row. The guard assigns the first key column its own
// value when the matched row has the record's key (compared in the
// column's collation, as the index compares it) and otherwise evaluates
// keyGuardRaise, which fails the statement before any row changes; IF
// evaluates only the branch it takes. The existing row's columns are
// qualified with the table so they cannot be confused with the row alias.
func keyGuard(b *strings.Builder, table string, keys []string, style upsertStyle) {
	first := table + "." + QuoteIdent(keys[0])
	b.WriteString(QuoteIdent(keys[0]))
	b.WriteString("=IF(")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" AND ")
		}
		q := QuoteIdent(k)
		b.WriteString(table)
		b.WriteByte('.')
		b.WriteString(q)
		b.WriteString("<=>")
		b.WriteString(newValue(q, style))
	}
	b.WriteByte(',')
	b.WriteString(first)
	b.WriteByte(',')
	b.WriteString(keyGuardRaise)
	b.WriteByte(')')
}

// newValue refers to the inserted row's value of the quoted column q in
// ON DUPLICATE KEY UPDATE.
func newValue(q string, style upsertStyle) string {
	if style == upsertRowAlias {
		return "new." + q
	}
	return "VALUES(" + q + ")"
}

// buildInsert builds a multi-row INSERT for nrows rows. table is already
// quoted; cols[:nkeys] are the key columns. insertUpsert and
// insertKeepExisting start their ON DUPLICATE KEY UPDATE with keyGuard.
func buildInsert(table string, cols []string, nkeys, nrows int, kind insertKind, style upsertStyle) string {
	var b strings.Builder
	b.Grow(32 + len(table) + nrows*(2*len(cols)+3) + len(cols)*24 + nkeys*(2*len(table)+32) + len(keyGuardRaise))
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" (")
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteIdent(c))
	}
	b.WriteString(") VALUES ")
	for r := 0; r < nrows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for i := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
	if kind == insertPlain || nkeys == 0 {
		return b.String()
	}
	if style == upsertRowAlias {
		b.WriteString(" AS new")
	}
	b.WriteString(" ON DUPLICATE KEY UPDATE ")
	keyGuard(&b, table, cols[:nkeys], style)
	if kind == insertKeepExisting {
		return b.String()
	}
	for _, c := range cols[nkeys:] {
		q := QuoteIdent(c)
		b.WriteByte(',')
		b.WriteString(q)
		b.WriteByte('=')
		b.WriteString(newValue(q, style))
	}
	return b.String()
}

// buildUpdate builds "UPDATE t SET c=? ... WHERE k=? AND ..."; parameters
// are the non-key values then the key values.
func buildUpdate(table string, cols []string, nkeys int) string {
	var b strings.Builder
	b.WriteString("UPDATE ")
	b.WriteString(table)
	b.WriteString(" SET ")
	for i, c := range cols[nkeys:] {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteIdent(c))
		b.WriteString("=?")
	}
	b.WriteString(" WHERE ")
	for i, c := range cols[:nkeys] {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(QuoteIdent(c))
		b.WriteString("=?")
	}
	return b.String()
}

// buildDelete builds "DELETE FROM t WHERE k IN (?,?)" for one key column or
// "WHERE (k1,k2) IN ((?,?),(?,?))" for a composite key.
func buildDelete(table string, keys []string, nrows int) string {
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(table)
	b.WriteString(" WHERE ")
	tuple := len(keys) > 1
	if tuple {
		b.WriteByte('(')
	}
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteIdent(k))
	}
	if tuple {
		b.WriteByte(')')
	}
	b.WriteString(" IN (")
	for r := 0; r < nrows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		if tuple {
			b.WriteByte('(')
		}
		for i := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		if tuple {
			b.WriteByte(')')
		}
	}
	b.WriteByte(')')
	return b.String()
}

// columnType maps a Connect schema to a MySQL column type, as the JDBC
// sink's MySQL dialect does: strings are VARCHAR(256) in keys (an index
// needs a bounded length) and TEXT otherwise; bytes VARBINARY(1024) in
// keys and BLOB otherwise; Decimal is DECIMAL(precision, scale) with the
// connect.decimal.precision parameter or 65.
func columnType(s *connect.Schema, key bool) (string, error) {
	if s == nil {
		return "", fmt.Errorf("no schema: auto.create and auto.evolve need records with a schema (JsonConverter schemas.enable=true, Avro, ...)")
	}
	switch s.Name {
	case connect.DecimalName:
		scale, err := strconv.Atoi(s.Parameters[connect.DecimalScaleParam])
		if err != nil || scale < 0 || scale > 30 {
			return "", fmt.Errorf("decimal scale %q is not in 0..30", s.Parameters[connect.DecimalScaleParam])
		}
		prec := 65
		if p, err := strconv.Atoi(s.Parameters[connect.DecimalPrecisionParam]); err == nil && p >= scale && p > 0 && p <= 65 {
			prec = p
		}
		return fmt.Sprintf("DECIMAL(%d,%d)", prec, scale), nil
	case connect.DateName:
		return "DATE", nil
	case connect.TimeName:
		return "TIME(3)", nil
	case connect.TimestampName:
		return "DATETIME(3)", nil
	}
	switch s.Type {
	case connect.Int8:
		return "TINYINT", nil
	case connect.Int16:
		return "SMALLINT", nil
	case connect.Int32:
		return "INT", nil
	case connect.Int64:
		return "BIGINT", nil
	case connect.Float32:
		return "FLOAT", nil
	case connect.Float64:
		return "DOUBLE", nil
	case connect.Boolean:
		return "TINYINT(1)", nil
	case connect.String:
		if key {
			return "VARCHAR(256)", nil
		}
		return "TEXT", nil
	case connect.Bytes:
		if key {
			return "VARBINARY(1024)", nil
		}
		return "BLOB", nil
	}
	return "", fmt.Errorf("connect type %s has no MySQL column type (the sink writes primitive fields only)", s.Type)
}

// columnDef renders "`name` TYPE [NOT] NULL [DEFAULT literal]". Defaults
// are rendered from typed numbers and booleans only, never by pasting
// text, so they cannot inject SQL.
func columnDef(c sinkColumn) (string, error) {
	typ, err := columnType(c.schema, c.key)
	if err != nil {
		return "", fmt.Errorf("column %q: %w", c.name, err)
	}
	def := QuoteIdent(c.name) + " " + typ
	if c.key || !c.schema.Optional {
		def += " NOT NULL"
	} else {
		def += " NULL"
	}
	if lit, ok := defaultLiteral(c.schema); ok && !c.key {
		def += " DEFAULT " + lit
	}
	return def, nil
}

// defaultLiteral renders a numeric or boolean schema default as a SQL
// literal. String and bytes defaults are not rendered: those are TEXT/BLOB
// columns, which MySQL before 8.0.13 cannot give a default.
func defaultLiteral(s *connect.Schema) (string, bool) {
	if s == nil || s.Default == nil || s.Name != "" {
		return "", false
	}
	switch v := s.Default.(type) {
	case int8:
		return strconv.FormatInt(int64(v), 10), true
	case int16:
		return strconv.FormatInt(int64(v), 10), true
	case int32:
		return strconv.FormatInt(int64(v), 10), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case bool:
		if v {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

// buildCreateTable builds CREATE TABLE IF NOT EXISTS with the columns in
// order and a PRIMARY KEY on the key columns (none when there are none).
func buildCreateTable(table string, cols []sinkColumn) (string, error) {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(table)
	b.WriteString(" (")
	var pk []string
	for i, c := range cols {
		def, err := columnDef(c)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(def)
		if c.key {
			pk = append(pk, QuoteIdent(c.name))
		}
	}
	if len(pk) > 0 {
		b.WriteString(", PRIMARY KEY (")
		b.WriteString(strings.Join(pk, ","))
		b.WriteByte(')')
	}
	b.WriteByte(')')
	return b.String(), nil
}

// buildAddColumn builds ALTER TABLE ADD COLUMN for auto.evolve. Like the
// JDBC sink, it refuses a required field without a default, since existing
// rows would have no value for it.
func buildAddColumn(table string, c sinkColumn) (string, error) {
	if c.key {
		return "", fmt.Errorf("column %q is a primary key column and is missing from table %s: auto.evolve cannot change the primary key", c.name, table)
	}
	if c.schema != nil && !c.schema.Optional {
		if _, ok := defaultLiteral(c.schema); !ok {
			return "", fmt.Errorf("cannot ALTER TABLE %s to add missing field %q: it is not optional and has no default value", table, c.name)
		}
	}
	def, err := columnDef(c)
	if err != nil {
		return "", err
	}
	return "ALTER TABLE " + table + " ADD COLUMN " + def, nil
}
