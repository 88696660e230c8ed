package connectapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// LambdaAPI is the part of *lambda.Client the AWS adapters use.
type LambdaAPI interface {
	UpdateEventSourceMapping(ctx context.Context, in *lambda.UpdateEventSourceMappingInput, optFns ...func(*lambda.Options)) (*lambda.UpdateEventSourceMappingOutput, error)
	GetEventSourceMapping(ctx context.Context, in *lambda.GetEventSourceMappingInput, optFns ...func(*lambda.Options)) (*lambda.GetEventSourceMappingOutput, error)
	Invoke(ctx context.Context, in *lambda.InvokeInput, optFns ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

var _ LambdaAPI = (*lambda.Client)(nil)

// LambdaMappings switches sinks' Kafka event source mappings with
// UpdateEventSourceMapping; UUIDs maps a connector name to its mappings
// (one per topic).
type LambdaMappings struct {
	Client LambdaAPI
	UUIDs  map[string][]string
}

func (m LambdaMappings) uuids(c Connector) ([]string, error) {
	us := m.UUIDs[c.Name]
	if len(us) == 0 {
		return nil, fmt.Errorf("connectapi: sink %s has no event source mapping UUID configured", c.Name)
	}
	return us, nil
}

// SetEnabled sets every mapping's Enabled flag. When one update fails, the
// ones already switched are switched back.
func (m LambdaMappings) SetEnabled(ctx context.Context, c Connector, enabled bool) error {
	us, err := m.uuids(c)
	if err != nil {
		return err
	}
	for i, u := range us {
		if _, err := m.Client.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{UUID: aws.String(u), Enabled: aws.Bool(enabled)}); err != nil {
			err = fmt.Errorf("connectapi: update event source mapping %s of %s (enabled=%v): %w", u, c.Name, enabled, err)
			for _, back := range us[:i] {
				if _, rerr := m.Client.UpdateEventSourceMapping(context.WithoutCancel(ctx), &lambda.UpdateEventSourceMappingInput{UUID: aws.String(back), Enabled: aws.Bool(!enabled)}); rerr != nil {
					err = fmt.Errorf("%w; switching mapping %s back also failed: %v", err, back, rerr)
				}
			}
			return err
		}
	}
	return nil
}

// Disabled reports whether every mapping's state is Disabled (Lambda moves
// a mapping through Disabling while its pollers stop).
func (m LambdaMappings) Disabled(ctx context.Context, c Connector) (bool, error) {
	us, err := m.uuids(c)
	if err != nil {
		return false, err
	}
	for _, u := range us {
		out, err := m.Client.GetEventSourceMapping(ctx, &lambda.GetEventSourceMappingInput{UUID: aws.String(u)})
		if err != nil {
			return false, fmt.Errorf("connectapi: get event source mapping %s of %s: %w", u, c.Name, err)
		}
		if aws.ToString(out.State) != "Disabled" {
			return false, nil
		}
	}
	return true, nil
}

// LambdaInvoker invokes functions asynchronously (InvocationType Event).
type LambdaInvoker struct{ Client LambdaAPI }

// InvokeEvent sends an Event invoke.
func (l LambdaInvoker) InvokeEvent(ctx context.Context, function string, payload []byte) error {
	if _, err := l.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(function), InvocationType: types.InvocationTypeEvent, Payload: payload,
	}); err != nil {
		return fmt.Errorf("connectapi: invoke %s: %w", function, err)
	}
	return nil
}

type principalKey struct{}

// IAMPrincipal is a Server.Principal for requests served through
// FunctionURLHandler: the caller's IAM principal ARN from the function
// URL's request context.
func IAMPrincipal(r *http.Request) string {
	p, _ := r.Context().Value(principalKey{}).(string)
	return p
}

// FunctionURLHandler serves a Lambda function URL event (payload 2.0) with
// h. The function URL's AWS_IAM auth has already checked the caller's
// SigV4 signature; a request without an IAM principal in its context is
// refused with 403, so the handler never runs unauthenticated.
func FunctionURLHandler(h http.Handler) func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
	return func(ctx context.Context, ev events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
		var arn string
		if a := ev.RequestContext.Authorizer; a != nil && a.IAM != nil {
			arn = a.IAM.UserARN
		}
		if arn == "" {
			return events.LambdaFunctionURLResponse{StatusCode: http.StatusForbidden, Headers: map[string]string{"Content-Type": "application/json"},
				Body: `{"error_code":403,"message":"request has no IAM principal: the function URL must use AWS_IAM auth"}`}, nil
		}
		body := ev.Body
		if ev.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				return events.LambdaFunctionURLResponse{StatusCode: http.StatusBadRequest, Body: `{"error_code":400,"message":"body is not valid base64"}`}, nil
			}
			body = string(b)
		}
		u := &url.URL{Path: ev.RawPath, RawQuery: ev.RawQueryString}
		req, err := http.NewRequestWithContext(context.WithValue(ctx, principalKey{}, arn), ev.RequestContext.HTTP.Method, u.String(), strings.NewReader(body))
		if err != nil {
			return events.LambdaFunctionURLResponse{StatusCode: http.StatusBadRequest, Body: fmt.Sprintf(`{"error_code":400,"message":%q}`, err.Error())}, nil
		}
		for k, v := range ev.Headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		headers := map[string]string{}
		for k := range rec.Header() {
			headers[k] = rec.Header().Get(k)
		}
		return events.LambdaFunctionURLResponse{StatusCode: rec.Code, Headers: headers, Body: rec.Body.String()}, nil
	}
}
