// Package errclass is the one place that decides whether an error is worth
// retrying. Callers mark errors they understand with Retryable, Permanent or
// Data; everything else is classified from vendor signals at the edge
// (franz-go kerr, AWS SDK API error codes, network errors, and the
// classifiers connectors register for their own systems' errors, such as
// MySQL error numbers). The answer drives the framework: a retryable error fails the
// invocation so Lambda (or the next schedule) tries again; a permanent error
// goes to the dead-letter topic or fails the connector loudly.
//
// Unknown errors are Retryable. Retrying something that can never succeed
// costs invocations and shows up as a stuck connector with its error in the
// status table; treating a transient failure as permanent would dead-letter
// or skip a record that could have been delivered. Losing data silently is the
// worse failure, so the default errs on the side of retrying.
package errclass

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Class is the retry class of an error.
type Class int

const (
	// ClassRetryable errors may succeed when tried again (throttling, timeouts,
	// broken connections, deadlocks, leader changes). The zero value, so an
	// unclassified Class means "retry".
	ClassRetryable Class = iota
	// ClassPermanent errors fail the same way on every attempt (bad data,
	// missing table, access denied, invalid request).
	ClassPermanent
)

// String returns "retryable" or "permanent".
func (c Class) String() string {
	switch c {
	case ClassRetryable:
		return "retryable"
	case ClassPermanent:
		return "permanent"
	default:
		return fmt.Sprintf("Class(%d)", int(c))
	}
}

// Kind refines Permanent for naming: a data error is a problem with one
// record (value too long, bad type) rather than with the connector.
type Kind int

const (
	// KindGeneric is any error without a more specific kind.
	KindGeneric Kind = iota
	// KindData marks a problem with the record's data (conversion, type,
	// range); Kafka Connect reports these as DataException.
	KindData
)

// Error is an error explicitly classified by the code that produced it. Use
// errors.As to find it; Classify honours the outermost one.
type Error struct {
	Class Class
	Kind  Kind
	Err   error
}

// Error returns the wrapped error's message.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Class.String() + " error"
	}
	return e.Err.Error()
}

// Unwrap returns the wrapped error.
func (e *Error) Unwrap() error { return e.Err }

// Retryable marks err as retryable. It returns nil when err is nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassRetryable, Err: err}
}

// Permanent marks err as permanent. It returns nil when err is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassPermanent, Err: err}
}

// Data marks err as a permanent problem with one record's data (named
// DataException). It returns nil when err is nil.
func Data(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: ClassPermanent, Kind: KindData, Err: err}
}

// IsRetryable reports whether Classify(err) is ClassRetryable. A nil error is not
// retryable (there is nothing to retry).
func IsRetryable(err error) bool { return err != nil && Classify(err) == ClassRetryable }

// IsPermanent reports whether Classify(err) is ClassPermanent.
func IsPermanent(err error) bool { return err != nil && Classify(err) == ClassPermanent }

// Classifier classifies the errors of one system a connector talks to (a
// database driver's error numbers, say). known is false for errors it does
// not recognise, so the next classifier is asked.
type Classifier func(err error) (c Class, k Kind, known bool)

// classifiers are the connectors' classifiers, in registration order. They
// are added at init (connectors.Register) and only read afterwards.
var classifiers []Classifier

// Register adds a connector's classifier; Classify asks it after the
// framework's own signals (explicit wrappers, context, Kafka) and before
// the AWS SDK's. Call it from init only: connectors.Register does, for
// each registered connector.
func Register(c Classifier) { classifiers = append(classifiers, c) }

// Classify returns the class of err. The order is: an explicit *Error
// wrapper (the outermost wins); context deadline/cancel; franz-go kerr
// errors; the registered connectors' classifiers (MySQL error numbers, ...);
// database/sql's ErrBadConn; AWS API error codes and the SDK's retryable
// checks; network errors and io.EOF. Anything else is Retryable (see the
// package comment for why). Classify(nil) is Retryable but callers should not
// ask.
func Classify(err error) Class {
	c, _ := classify(err)
	return c
}

// classify returns the class and the kind used for naming.
func classify(err error) (Class, Kind) {
	if err == nil {
		return ClassRetryable, KindGeneric
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Class, e.Kind
	}
	// A deadline or cancellation means this invocation ran out of time, not
	// that the work is impossible; the next one resumes.
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return ClassRetryable, KindGeneric
	}
	if ke, ok := errors.AsType[*kerr.Error](err); ok {
		if ke.Retriable {
			return ClassRetryable, KindGeneric
		}
		switch ke {
		case kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidRecord, kerr.CorruptMessage:
			return ClassPermanent, KindData
		}
		return ClassPermanent, KindGeneric
	}
	for _, classify := range classifiers {
		if c, k, known := classify(err); known {
			return c, k
		}
	}
	if errors.Is(err, driver.ErrBadConn) {
		return ClassRetryable, KindGeneric
	}
	if ae, ok := errors.AsType[smithy.APIError](err); ok {
		if c, known := awsCodeClass(ae.ErrorCode()); known {
			return c, KindGeneric
		}
	}
	if retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary {
		return ClassRetryable, KindGeneric
	}
	if ae, ok := errors.AsType[smithy.APIError](err); ok && ae.ErrorFault() == smithy.FaultClient {
		// A client fault the SDK does not retry: the request itself is wrong.
		return ClassPermanent, KindGeneric
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return ClassRetryable, KindGeneric
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return ClassRetryable, KindGeneric
	}
	return ClassRetryable, KindGeneric
}

// awsCodeClass maps AWS API error codes the SDK's default retryables do not
// settle the way the framework wants.
func awsCodeClass(code string) (Class, bool) {
	switch code {
	case "ThrottlingException", "Throttling", "ProvisionedThroughputExceededException",
		"RequestLimitExceeded", "InternalServerError", "InternalFailure",
		"ServiceUnavailable", "ServiceUnavailableException", "TransactionConflict",
		"TransactionConflictException", "TransactionInProgressException",
		"LimitExceededException", "RequestTimeout", "RequestTimeoutException",
		"TooManyRequestsException":
		return ClassRetryable, true
	case "ValidationException", "ResourceNotFoundException", "AccessDenied",
		"AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
		"MissingAuthenticationToken", "ConditionalCheckFailedException",
		"ItemCollectionSizeLimitExceededException", "SerializationException",
		"IncompleteSignature", "InvalidParameterValue", "InvalidParameterException",
		"DecryptionFailure", "InvalidRequestException", "ExpiredTokenException":
		return ClassPermanent, true
	}
	return ClassRetryable, false
}

// Java-like exception class names, as Kafka Connect writes them into
// __connect.errors.exception.class.name and status traces.
const (
	RetriableExceptionName = "org.apache.kafka.connect.errors.RetriableException"
	DataExceptionName      = "org.apache.kafka.connect.errors.DataException"
	ConnectExceptionName   = "org.apache.kafka.connect.errors.ConnectException"
)

// Name returns the Kafka Connect exception class name matching err's
// classification: RetriableException for retryable errors, DataException for
// permanent data errors, ConnectException for other permanent errors. It
// returns "" for nil.
func Name(err error) string {
	if err == nil {
		return ""
	}
	c, k := classify(err)
	switch {
	case c == ClassRetryable:
		return RetriableExceptionName
	case k == KindData:
		return DataExceptionName
	default:
		return ConnectExceptionName
	}
}

// GoType returns the Go type of the most specific error in err's chain that
// is not a plain wrapper (for example "*kerr.Error" or a driver's error type),
// for logs and the DLQ's message header. It returns "" for nil.
func GoType(err error) string {
	if err == nil {
		return ""
	}
	last := fmt.Sprintf("%T", err)
	for e := err; e != nil; {
		switch e.(type) {
		case *Error:
		default:
			t := fmt.Sprintf("%T", e)
			if t != "*fmt.wrapError" && t != "*fmt.wrapErrors" && t != "*errors.joinError" {
				last = t
			}
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	return last
}
