package mysql

import (
	"errors"

	gomysql "github.com/go-sql-driver/mysql"
)

// recordErrorNumbers are server errors caused by the data of one row: the
// row can never be written as it is, while the other rows of the same
// statement can. The sink retries a failed multi-row statement row by row
// to find the rows responsible and reports them in a BatchError.
var recordErrorNumbers = map[uint16]string{
	1048: "column cannot be null",
	1062: "duplicate entry",
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
