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
	"github.com/twmb/franz-go/pkg/kerr"
)

// vendorError stands for a connector's own error type, classified by the
// classifier registered below as a connector does through
// connectors.Register.
type vendorError struct{ permanent bool }

func (vendorError) Error() string { return "vendor error" }

func init() {
	Register(func(err error) (Class, Kind, bool) {
		if v, ok := errors.AsType[vendorError](err); ok {
			if v.permanent {
				return ClassPermanent, KindData, true
			}
			return ClassRetryable, KindGeneric, true
		}
		return 0, 0, false
	})
}

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
		{"explicit retryable wins over permanent vendor code", Retryable(kerr.TopicAuthorizationFailed), ClassRetryable, RetriableExceptionName},
		{"registered classifier", fmt.Errorf("write: %w", vendorError{permanent: true}), ClassPermanent, DataExceptionName},
		{"registered classifier retryable", vendorError{}, ClassRetryable, RetriableExceptionName},
		{"explicit wrapper wins over a registered classifier", Retryable(vendorError{permanent: true}), ClassRetryable, RetriableExceptionName},
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
		{"bad conn", fmt.Errorf("exec: %w", driver.ErrBadConn), ClassRetryable, RetriableExceptionName},
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
