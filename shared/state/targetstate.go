package state

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TargetStateTask is the task key of the status-table item that holds a
// connector's target state: what an operator asked for through the control
// plane (PUT /connectors/{name}/pause, /resume, /stop), as opposed to the
// status items the functions write about what they did. RenderConnectStatus
// never shows it as a task.
const TargetStateTask = "target-state"

// TargetHistoryMax is how many control actions a target-state item keeps,
// newest last; older ones are dropped (they remain in the control plane's
// logs).
const TargetHistoryMax = 50

// TargetAction is one recorded control-plane action on a connector.
type TargetAction struct {
	// Action is what was done: "pause", "resume", "stop", "restart",
	// "alter-offsets", "reset-offsets", ...
	Action string `dynamodbav:"action" json:"action"`
	// By is who did it: "local" for slkc-local, the caller's IAM principal
	// ARN on AWS.
	By string    `dynamodbav:"by" json:"by"`
	At time.Time `dynamodbav:"at" json:"at"`
	// Detail says what changed, e.g. the partitions of an offsets change.
	Detail string `dynamodbav:"detail,omitempty" json:"detail,omitempty"`
}

// TargetState is a connector's target state item. The zero value (no item)
// means RUNNING: a connector runs until someone pauses or stops it.
type TargetState struct {
	// State is StateRunning, StatePaused or StateStopped.
	State string `dynamodbav:"target_state"`
	// By and At name the last change of State.
	By string    `dynamodbav:"target_by"`
	At time.Time `dynamodbav:"target_at"`
	// Version is 0 when no item exists, +1 per write (optimistic locking).
	Version int64          `dynamodbav:"target_version"`
	History []TargetAction `dynamodbav:"history,omitempty"`
}

// Runs reports whether a connector in this target state may do work: a
// source takes its lease and polls, a sink's event source mapping is enabled.
func (t TargetState) Runs() bool { return t.State == "" || t.State == StateRunning }

// ErrTargetConflict is returned by TargetStore writes that lost a race with
// another writer more than TargetStore's retries could absorb.
var ErrTargetConflict = errors.New("state: target state changed concurrently")

// TargetStore reads and writes target-state items on the status table.
// Safe for concurrent use.
type TargetStore struct {
	api   API
	table string
	// Now is the clock for change times; nil means time.Now.
	Now func() time.Time
}

// NewTargetStore returns a store on the named status table.
func NewTargetStore(api API, statusTable string) *TargetStore {
	return &TargetStore{api: api, table: statusTable}
}

// Get returns the connector's target state with a strongly consistent read;
// State is StateRunning when no item exists. One GetItem.
func (ts *TargetStore) Get(ctx context.Context, connector string) (TargetState, error) {
	out, err := ts.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(ts.table),
		Key:            map[string]types.AttributeValue{attrConnector: s(connector), attrTask: s(TargetStateTask)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return TargetState{}, fmt.Errorf("state: get target state of connector %q from table %q: %w", connector, ts.table, err)
	}
	var t TargetState
	if len(out.Item) > 0 {
		if err := attributevalue.UnmarshalMap(out.Item, &t); err != nil {
			return TargetState{}, fmt.Errorf("state: decode target state of connector %q: %w", connector, err)
		}
	}
	if t.State == "" {
		t.State = StateRunning
	}
	return t, nil
}

// Set changes the connector's target state to state (StateRunning,
// StatePaused or StateStopped) and records the action. by names the caller.
// It returns the state as stored.
func (ts *TargetStore) Set(ctx context.Context, connector, state, action, by string) (TargetState, error) {
	switch state {
	case StateRunning, StatePaused, StateStopped:
	default:
		return TargetState{}, fmt.Errorf("state: set target state of connector %q: %q is not RUNNING, PAUSED or STOPPED", connector, state)
	}
	return ts.update(ctx, connector, func(t *TargetState, now time.Time) {
		t.State, t.By, t.At = state, by, now
		t.History = appendAction(t.History, TargetAction{Action: action, By: by, At: now})
	})
}

// Record adds an action that does not change the target state (a restart,
// an offsets change) to the connector's history.
func (ts *TargetStore) Record(ctx context.Context, connector, action, by, detail string) error {
	_, err := ts.update(ctx, connector, func(t *TargetState, now time.Time) {
		t.History = appendAction(t.History, TargetAction{Action: action, By: by, At: now, Detail: detail})
	})
	return err
}

func appendAction(h []TargetAction, a TargetAction) []TargetAction {
	h = append(h, a)
	if len(h) > TargetHistoryMax {
		h = h[len(h)-TargetHistoryMax:]
	}
	return h
}

// targetAttempts bounds update's read-modify-write attempts.
const targetAttempts = 10

// update is a read-modify-write conditional on the version read, retried
// after a short random pause when another writer got in between. Two
// requests per attempt.
func (ts *TargetStore) update(ctx context.Context, connector string, change func(*TargetState, time.Time)) (TargetState, error) {
	for attempt := range targetAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return TargetState{}, fmt.Errorf("state: update target state of connector %q: %w", connector, ctx.Err())
			case <-time.After(time.Duration(5+rand.IntN(20*attempt)) * time.Millisecond):
			}
		}
		cur, err := ts.Get(ctx, connector)
		if err != nil {
			return TargetState{}, err
		}
		next := cur
		next.History = append([]TargetAction(nil), cur.History...)
		change(&next, nowFunc(ts.Now).UTC())
		next.Version = cur.Version + 1
		item, err := attributevalue.MarshalMap(next)
		if err != nil {
			return TargetState{}, fmt.Errorf("state: encode target state of connector %q: %w", connector, err)
		}
		item[attrConnector] = s(connector)
		item[attrTask] = s(TargetStateTask)
		in := &dynamodb.PutItemInput{TableName: aws.String(ts.table), Item: item}
		if cur.Version == 0 {
			in.ConditionExpression = aws.String("attribute_not_exists(#c)")
			in.ExpressionAttributeNames = map[string]string{"#c": attrConnector}
		} else {
			in.ConditionExpression = aws.String("#v = :v")
			in.ExpressionAttributeNames = map[string]string{"#v": "target_version"}
			in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": n(cur.Version)}
		}
		if _, err := ts.api.PutItem(ctx, in); err != nil {
			if _, ok := conditionFailed(err); ok {
				continue
			}
			return TargetState{}, fmt.Errorf("state: put target state of connector %q to table %q: %w", connector, ts.table, err)
		}
		return next, nil
	}
	return TargetState{}, fmt.Errorf("state: connector %q: %w", connector, ErrTargetConflict)
}
