package sinktask

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/serverless-kafka-connect/slkc/events"
)

// Invoke is Handle for the raw invoke payload, with aws-lambda-go's
// lambda.Handler signature, so the function can be started with
// lambda.StartHandlerFunc(task.Invoke) or lambda.Start(task) and skip
// encoding/json's two validation passes over a multi-megabyte event:
// the payload is decoded by events.DecodeKafkaEvent (same result and
// errors as json.Unmarshal) and the response is the
// events.KafkaBatchResponse as JSON. A payload that is not a Kafka event
// returns an error naming it and reaches no destination.
//
// The event's keys and values point into payload
// (events.DecodeKafkaEventInPlace) instead of a 6 MB copy: aws-lambda-go
// reuses the payload's buffer for the next invoke, so nothing of the event
// may outlive Invoke, and nothing does: decodeEvent copies every key and
// value (its text too when it is not base64) before any other use
// (TestInvokeKeepsNothingOfThePayload).
func (t *Task) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ev, err := events.DecodeKafkaEventInPlace(payload)
	if err != nil {
		err = fmt.Errorf("sinktask: decode Kafka event (%d bytes): %w", len(payload), err)
		t.log().ErrorContext(ctx, "malformed Kafka event", "connector", t.Name, "error", err)
		return nil, err
	}
	resp, err := t.Handle(ctx, ev)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return nil, fmt.Errorf("sinktask: encode batch response: %w", err)
	}
	return out, nil
}
