package mysql

import (
	"errors"
	"fmt"
	"strings"

	gomysql "github.com/go-sql-driver/mysql"
)

// recordErrorNumbers are server errors caused by the data of one row: the
// row can never be written as it is, while the other rows of the same
// statement can. The sink retries a failed multi-row statement row by row
// to find the rows responsible and reports them in a BatchError.
var recordErrorNumbers = map[uint16]string{
	1048: "column cannot be null",
	1062: "duplicate entry",
	1242: "unique key guard: another row holds the record's unique values (see keyGuard)",
	1264: "out of range value",
	1265: "data truncated",
	1292: "incorrect date/time value",
	1300: "invalid character string",
	1364: "field has no default value",
	1366: "incorrect value",
	1367: "illegal value",
	1406: "data too long",
	1411: "incorrect value for function",
	1451: "foreign key: row is referenced",
	1452: "foreign key constraint fails",
	1690: "value out of range",
	3140: "invalid JSON text",
	3819: "check constraint violated",
	4025: "constraint failed",
}

// Error numbers the upsert's unique key handling looks for.
const (
	// duplicateEntry is ER_DUP_ENTRY.
	duplicateEntry = 1062
	// keyGuardErrorNumber is ER_SUBQUERY_NO_1_ROW, raised by keyGuardRaise.
	keyGuardErrorNumber = 1242
)

// duplicateColumn is ER_DUP_FIELDNAME, which a concurrent auto.evolve of
// the same column produces; the column then exists, which is what we want.
const duplicateColumn = 1060

// isRecordError reports whether err is a per-row data error (see
// recordErrorNumbers). Everything else (deadlock 1213, lock wait timeout
// 1205, lost connection, unknown column, permission) fails the whole batch
// and is left for shared/errclass to classify from the wrapped
// *mysql.MySQLError or driver error. The list is wider than errclass's
// data-error numbers on purpose: it decides which rows to isolate, and the
// sink marks each isolated row errclass.Data itself.
func isRecordError(err error) bool {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		_, ok := recordErrorNumbers[me.Number]
		return ok
	}
	return false
}

func mysqlErrorNumber(err error) uint16 {
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// uniqueKeyError is a record refused because one of its unique values is
// held by a row with another key: writing it would have changed that row.
type uniqueKeyError struct {
	// Key is the unique index (constraint) name the server reported, and
	// Columns its columns when information_schema could tell them.
	Key     string
	Columns []string
	// RecordKey lists the sink's key columns (pk.mode / pk.fields).
	RecordKey []string
	// Err is the server's duplicate entry error.
	Err error
}

func (e *uniqueKeyError) Error() string {
	key := fmt.Sprintf("%q", e.Key)
	if len(e.Columns) > 0 {
		key += " (" + strings.Join(e.Columns, ", ") + ")"
	}
	return fmt.Sprintf("unique key %s is held by another row whose key (%s) differs from the record's: "+
		"an upsert only inserts the record's key or updates the row with that key, and never changes another row: %v",
		key, strings.Join(e.RecordKey, ", "), e.Err)
}

func (e *uniqueKeyError) Unwrap() error { return e.Err }

// duplicateKeyName returns the index name of an ER_DUP_ENTRY message:
// "Duplicate entry 'v' for key 'name'" (MariaDB, MySQL 5.7) or "... for
// key 'table.name'" (MySQL 8.0.19+, which prefixes the table name).
func duplicateKeyName(msg, table string) string {
	const marker = " for key '"
	i := strings.LastIndex(msg, marker)
	if i < 0 || !strings.HasSuffix(msg, "'") {
		return ""
	}
	name := msg[i+len(marker) : len(msg)-1]
	_, table = schemaAndName(table)
	if n := len(table); len(name) > n+1 && name[n] == '.' && strings.EqualFold(name[:n], table) {
		return name[n+1:]
	}
	return name
}
