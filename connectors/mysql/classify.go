package mysql

import (
	"errors"

	"github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// ClassifyError is the MySQL connectors' errclass.Classifier: server and
// client error numbers of MySQL and MariaDB, and the driver's invalid
// connection. Any other *mysql.MySQLError is retryable (errclass's default
// for what it does not know). The binlog source registers it too: it talks
// to the same servers through the same driver.
func ClassifyError(err error) (errclass.Class, errclass.Kind, bool) {
	if me, ok := errors.AsType[*mysql.MySQLError](err); ok {
		if c, k, known := mysqlClass(me.Number); known {
			return c, k, true
		}
		return errclass.ClassRetryable, errclass.KindGeneric, true
	}
	if errors.Is(err, mysql.ErrInvalidConn) {
		return errclass.ClassRetryable, errclass.KindGeneric, true
	}
	return 0, 0, false
}

// mysqlClass maps MySQL/MariaDB server and client error numbers.
func mysqlClass(n uint16) (errclass.Class, errclass.Kind, bool) {
	switch n {
	case 1213, // ER_LOCK_DEADLOCK
		1205,                   // ER_LOCK_WAIT_TIMEOUT
		1040,                   // ER_CON_COUNT_ERROR (too many connections)
		1290,                   // ER_OPTION_PREVENTS_STATEMENT (read-only during failover)
		1927,                   // ER_CONNECTION_KILLED (MariaDB)
		1053,                   // ER_SERVER_SHUTDOWN
		2002, 2003, 2006, 2013: // client: can't connect, gone away, lost connection
		return errclass.ClassRetryable, errclass.KindGeneric, true
	case 1406, // ER_DATA_TOO_LONG
		1264, // ER_WARN_DATA_OUT_OF_RANGE
		1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
		1048, // ER_BAD_NULL_ERROR
		1292, // ER_TRUNCATED_WRONG_VALUE
		1364, // ER_NO_DEFAULT_FOR_FIELD
		1062: // ER_DUP_ENTRY (upserts should never hit it; the row is the problem)
		return errclass.ClassPermanent, errclass.KindData, true
	case 1054, // ER_BAD_FIELD_ERROR
		1146, // ER_NO_SUCH_TABLE
		1045, // ER_ACCESS_DENIED_ERROR
		1142, // ER_TABLEACCESS_DENIED_ERROR
		1044, // ER_DBACCESS_DENIED_ERROR
		1049, // ER_BAD_DB_ERROR
		1064: // ER_PARSE_ERROR
		return errclass.ClassPermanent, errclass.KindGeneric, true
	}
	return errclass.ClassRetryable, errclass.KindGeneric, false
}
