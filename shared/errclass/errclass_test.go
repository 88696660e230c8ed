package errclass

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/go-sql-driver/mysql"
	"github.com/twmb/franz-go/pkg/kerr"
)

func opErr(err error) error {
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem", Err: err}
}

func TestClassify(t *testing.T) {
	// A real dial error against a closed port on loopback.
	_, dialErr := net.DialTimeout("tcp", "127.0.0.1:1", time.Second)
	if dialErr == nil {
		t.Fatal("expected dial to 127.0.0.1:1 to fail")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()

	tests := []struct {
		name string
		err  error
		want Class
		java string
	}{
		{"explicit retryable wins over permanent vendor code", Retryable(&mysql.MySQLError{Number: 1406}), ClassRetryable, RetriableExceptionName},
		{"explicit permanent wins over retryable vendor code", Permanent(kerr.NotLeaderForPartition), ClassPermanent, ConnectExceptionName},
		{"explicit data", fmt.Errorf("convert: %w", Data(errors.New("bad decimal"))), ClassPermanent, DataExceptionName},
		{"outermost wrapper wins", Permanent(fmt.Errorf("x: %w", Retryable(errors.New("y")))), ClassPermanent, ConnectExceptionName},
		{"kerr retriable", fmt.Errorf("produce: %w", kerr.NotLeaderForPartition), ClassRetryable, RetriableExceptionName},
		{"kerr request timed out", kerr.RequestTimedOut, ClassRetryable, RetriableExceptionName},
		{"kerr message too large", kerr.MessageTooLarge, ClassPermanent, DataExceptionName},
		{"kerr unknown topic is retriable", kerr.UnknownTopicOrPartition, ClassRetryable, RetriableExceptionName},
		{"kerr topic authorization", kerr.TopicAuthorizationFailed, ClassPermanent, ConnectExceptionName},
		{"kerr from code", kerr.ErrorForCode(kerr.InvalidRecord.Code), ClassPermanent, DataExceptionName},
		{"dynamodb throughput exceeded", opErr(&types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}), ClassRetryable, RetriableExceptionName},
		{"dynamodb internal server error", opErr(&types.InternalServerError{Message: aws.String("oops")}), ClassRetryable, RetriableExceptionName},
		{"dynamodb request limit", opErr(&types.RequestLimitExceeded{}), ClassRetryable, RetriableExceptionName},
		{"dynamodb transaction conflict", opErr(&types.TransactionConflictException{}), ClassRetryable, RetriableExceptionName},
		{"generic throttling", opErr(&smithy.GenericAPIError{Code: "ThrottlingException", Fault: smithy.FaultClient}), ClassRetryable, RetriableExceptionName},
		{"service unavailable", &smithy.GenericAPIError{Code: "ServiceUnavailable", Fault: smithy.FaultServer}, ClassRetryable, RetriableExceptionName},
		{"max attempts wraps throttling", &retry.MaxAttemptsError{Attempt: 3, Err: opErr(&types.ProvisionedThroughputExceededException{})}, ClassRetryable, RetriableExceptionName},
		{"dynamodb resource not found", opErr(&types.ResourceNotFoundException{Message: aws.String("no table")}), ClassPermanent, ConnectExceptionName},
		{"validation", opErr(&smithy.GenericAPIError{Code: "ValidationException", Fault: smithy.FaultClient}), ClassPermanent, ConnectExceptionName},
		{"access denied", opErr(&smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient}), ClassPermanent, ConnectExceptionName},
		{"unknown client fault", opErr(&smithy.GenericAPIError{Code: "SomethingNew", Fault: smithy.FaultClient}), ClassPermanent, ConnectExceptionName},
		{"unknown server fault", opErr(&smithy.GenericAPIError{Code: "SomethingNew", Fault: smithy.FaultServer}), ClassRetryable, RetriableExceptionName},
		{"mysql deadlock", fmt.Errorf("upsert: %w", &mysql.MySQLError{Number: 1213, Message: "Deadlock found"}), ClassRetryable, RetriableExceptionName},
		{"mysql lock wait", &mysql.MySQLError{Number: 1205}, ClassRetryable, RetriableExceptionName},
		{"mysql too many connections", &mysql.MySQLError{Number: 1040}, ClassRetryable, RetriableExceptionName},
		{"mysql read only", &mysql.MySQLError{Number: 1290}, ClassRetryable, RetriableExceptionName},
		{"mariadb connection killed", &mysql.MySQLError{Number: 1927}, ClassRetryable, RetriableExceptionName},
		{"mysql gone away", &mysql.MySQLError{Number: 2006}, ClassRetryable, RetriableExceptionName},
		{"mysql lost connection", &mysql.MySQLError{Number: 2013}, ClassRetryable, RetriableExceptionName},
		{"mysql data too long", &mysql.MySQLError{Number: 1406, Message: "Data too long for column 'name'"}, ClassPermanent, DataExceptionName},
		{"mysql out of range", &mysql.MySQLError{Number: 1264}, ClassPermanent, DataExceptionName},
		{"mysql incorrect value", &mysql.MySQLError{Number: 1366}, ClassPermanent, DataExceptionName},
		{"mysql null", &mysql.MySQLError{Number: 1048}, ClassPermanent, DataExceptionName},
		{"mysql bad datetime", &mysql.MySQLError{Number: 1292}, ClassPermanent, DataExceptionName},
		{"mysql no default", &mysql.MySQLError{Number: 1364}, ClassPermanent, DataExceptionName},
		{"mysql duplicate", &mysql.MySQLError{Number: 1062}, ClassPermanent, DataExceptionName},
		{"mysql unknown column", &mysql.MySQLError{Number: 1054}, ClassPermanent, ConnectExceptionName},
		{"mysql no table", &mysql.MySQLError{Number: 1146}, ClassPermanent, ConnectExceptionName},
		{"mysql unknown number", &mysql.MySQLError{Number: 9999}, ClassRetryable, RetriableExceptionName},
		{"bad conn", fmt.Errorf("exec: %w", driver.ErrBadConn), ClassRetryable, RetriableExceptionName},
		{"invalid conn", mysql.ErrInvalidConn, ClassRetryable, RetriableExceptionName},
		{"connection refused", fmt.Errorf("dial: %w", dialErr), ClassRetryable, RetriableExceptionName},
		{"eof", fmt.Errorf("read: %w", io.EOF), ClassRetryable, RetriableExceptionName},
		{"deadline", fmt.Errorf("page: %w", ctx.Err()), ClassRetryable, RetriableExceptionName},
		{"canceled", context.Canceled, ClassRetryable, RetriableExceptionName},
		{"unknown", errors.New("something odd"), ClassRetryable, RetriableExceptionName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if got := Name(tt.err); got != tt.java {
				t.Errorf("Name(%v) = %q, want %q", tt.err, got, tt.java)
			}
			if IsRetryable(tt.err) != (tt.want == ClassRetryable) || IsPermanent(tt.err) != (tt.want == ClassPermanent) {
				t.Errorf("IsRetryable/IsPermanent disagree with Classify for %v", tt.err)
			}
		})
	}
}

func TestWrappers(t *testing.T) {
	base := errors.New("boom")
	tests := []struct {
		name  string
		wrap  func(error) error
		class Class
		kind  Kind
	}{
		{"retryable", Retryable, ClassRetryable, KindGeneric},
		{"permanent", Permanent, ClassPermanent, KindGeneric},
		{"data", Data, ClassPermanent, KindData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.wrap(nil) != nil {
				t.Fatal("wrapping nil must return nil")
			}
			err := fmt.Errorf("ctx: %w", tt.wrap(base))
			var e *Error
			if !errors.As(err, &e) {
				t.Fatal("errors.As found no *Error")
			}
			if e.Class != tt.class || e.Kind != tt.kind {
				t.Errorf("got class %v kind %v, want %v %v", e.Class, e.Kind, tt.class, tt.kind)
			}
			if !errors.Is(err, base) {
				t.Error("wrapper hides the cause from errors.Is")
			}
			if err.Error() != "ctx: boom" {
				t.Errorf("message = %q", err.Error())
			}
		})
	}
	if IsRetryable(nil) || IsPermanent(nil) || Name(nil) != "" || GoType(nil) != "" {
		t.Error("nil must be neither retryable nor permanent and have no names")
	}
}

func TestGoType(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"mysql through wrappers", fmt.Errorf("a: %w", Permanent(fmt.Errorf("b: %w", &mysql.MySQLError{Number: 1406}))), "*mysql.MySQLError"},
		{"kerr", fmt.Errorf("produce: %w", kerr.MessageTooLarge), "*kerr.Error"},
		{"aws modeled", opErr(&types.ResourceNotFoundException{}), "*types.ResourceNotFoundException"},
		{"plain", errors.New("x"), "*errors.errorString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GoType(tt.err); got != tt.want {
				t.Errorf("GoType = %q, want %q", got, tt.want)
			}
		})
	}
}
