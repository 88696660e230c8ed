package mysql

import (
	"errors"
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// TestClassifyError checks the MySQL error numbers through errclass, where
// the connector's registration puts ClassifyError.
func TestClassifyError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want errclass.Class
		java string
	}{
		{"mysql deadlock", fmt.Errorf("upsert: %w", &mysql.MySQLError{Number: 1213, Message: "Deadlock found"}), errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"mysql lock wait", &mysql.MySQLError{Number: 1205}, errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"mysql too many connections", &mysql.MySQLError{Number: 1040}, errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"mysql read only", &mysql.MySQLError{Number: 1290}, errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"mariadb connection killed", &mysql.MySQLError{Number: 1927}, errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"mysql gone away", &mysql.MySQLError{Number: 2006}, errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"mysql lost connection", &mysql.MySQLError{Number: 2013}, errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"mysql data too long", &mysql.MySQLError{Number: 1406, Message: "Data too long for column 'name'"}, errclass.ClassPermanent, errclass.DataExceptionName},
		{"mysql out of range", &mysql.MySQLError{Number: 1264}, errclass.ClassPermanent, errclass.DataExceptionName},
		{"mysql incorrect value", &mysql.MySQLError{Number: 1366}, errclass.ClassPermanent, errclass.DataExceptionName},
		{"mysql null", &mysql.MySQLError{Number: 1048}, errclass.ClassPermanent, errclass.DataExceptionName},
		{"mysql bad datetime", &mysql.MySQLError{Number: 1292}, errclass.ClassPermanent, errclass.DataExceptionName},
		{"mysql no default", &mysql.MySQLError{Number: 1364}, errclass.ClassPermanent, errclass.DataExceptionName},
		{"mysql duplicate", &mysql.MySQLError{Number: 1062}, errclass.ClassPermanent, errclass.DataExceptionName},
		{"mysql unknown column", &mysql.MySQLError{Number: 1054}, errclass.ClassPermanent, errclass.ConnectExceptionName},
		{"mysql no table", &mysql.MySQLError{Number: 1146}, errclass.ClassPermanent, errclass.ConnectExceptionName},
		{"mysql unknown number", &mysql.MySQLError{Number: 9999}, errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"invalid conn", mysql.ErrInvalidConn, errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"explicit retryable wins over a permanent number", errclass.Retryable(&mysql.MySQLError{Number: 1406}), errclass.ClassRetryable, errclass.RetriableExceptionName},
		{"not a mysql error", errors.New("other"), errclass.ClassRetryable, errclass.RetriableExceptionName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := errclass.Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if got := errclass.Name(tt.err); got != tt.java {
				t.Errorf("Name(%v) = %q, want %q", tt.err, got, tt.java)
			}
		})
	}
	if _, _, known := ClassifyError(fmt.Errorf("x: %w", errors.New("y"))); known {
		t.Error("ClassifyError claims an error that is not the driver's")
	}
	if got := errclass.GoType(fmt.Errorf("a: %w", errclass.Permanent(fmt.Errorf("b: %w", &mysql.MySQLError{Number: 1406})))); got != "*mysql.MySQLError" {
		t.Errorf("GoType = %q", got)
	}
}
