package state

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Connector and task states, as Kafka Connect's REST API names them.
const (
	StateRunning    = "RUNNING"
	StatePaused     = "PAUSED"
	StateStopped    = "STOPPED"
	StateFailed     = "FAILED"
	StateUnassigned = "UNASSIGNED"
)

// Connector types.
const (
	TypeSource = "source"
	TypeSink   = "sink"
)

// ConnectorTask is the Task value of a connector-level status item.
const ConnectorTask = "connector"

// ErrorInfo is the last error a connector or task hit.
type ErrorInfo struct {
	// Class is the Java-like exception name (errclass.Name).
	Class   string    `dynamodbav:"class" json:"class"`
	Message string    `dynamodbav:"message" json:"message"`
	Trace   string    `dynamodbav:"trace" json:"trace"`
	At      time.Time `dynamodbav:"at" json:"at"`
}

// Status is one status item: a connector (Task == ConnectorTask) or one of
// its tasks ("task-0", or a table name for per-table work).
type Status struct {
	Connector string `dynamodbav:"connector"`
	Task      string `dynamodbav:"task"`
	// Type is TypeSource or TypeSink.
	Type string `dynamodbav:"type"`
	// State is one of the State* constants.
	State     string    `dynamodbav:"state"`
	WorkerID  string    `dynamodbav:"worker_id"`
	RequestID string    `dynamodbav:"request_id"`
	RunStart  time.Time `dynamodbav:"run_start"`
	RunEnd    time.Time `dynamodbav:"run_end"`
	// Counters are per-run counts, e.g. "records.produced" or
	// "rows.read.<table>"; sinks use "written", "dead_lettered", "failed".
	Counters map[string]int64 `dynamodbav:"counters,omitempty"`
	// HighWatermarks is, for sinks, the highest offset handled per
	// "topic-partition".
	HighWatermarks map[string]int64 `dynamodbav:"high_watermarks,omitempty"`
	LastError      *ErrorInfo       `dynamodbav:"last_error,omitempty"`
	// Retired marks a task that has no work under the current assignment
	// (a source with fewer tables than tasks.max); RenderConnectStatus
	// leaves it out, as Kafka Connect lists only the tasks it started.
	Retired bool `dynamodbav:"retired,omitempty"`
}

// StatusStore reads and writes status items. Safe for concurrent use.
type StatusStore struct {
	api   API
	table string
}

// NewStatusStore returns a store on the named status table.
func NewStatusStore(api API, table string) *StatusStore {
	return &StatusStore{api: api, table: table}
}

// Put writes st, replacing the item of the same connector and task (an
// empty Task means ConnectorTask). One PutItem, unconditional: status is
// last-writer-wins and informational.
func (ss *StatusStore) Put(ctx context.Context, st Status) error {
	if st.Connector == "" {
		return fmt.Errorf("state: put status: empty connector name")
	}
	if st.Task == "" {
		st.Task = ConnectorTask
	}
	item, err := attributevalue.MarshalMap(st)
	if err != nil {
		return fmt.Errorf("state: encode status of connector %q task %q: %w", st.Connector, st.Task, err)
	}
	if _, err := ss.api.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(ss.table), Item: item}); err != nil {
		return fmt.Errorf("state: put status of connector %q task %q to table %q: %w", st.Connector, st.Task, ss.table, err)
	}
	return nil
}

// Get returns every status item of a connector ordered by task (the
// connector item, if any, sorts by its name "connector"); an empty slice
// when there are none.
func (ss *StatusStore) Get(ctx context.Context, connector string) ([]Status, error) {
	var out []Status
	var start map[string]types.AttributeValue
	for {
		res, err := ss.api.Query(ctx, &dynamodb.QueryInput{
			TableName:                 aws.String(ss.table),
			KeyConditionExpression:    aws.String("#c = :c"),
			ExpressionAttributeNames:  map[string]string{"#c": attrConnector},
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": s(connector)},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			return nil, fmt.Errorf("state: get status of connector %q from table %q: %w", connector, ss.table, err)
		}
		for _, item := range res.Items {
			var st Status
			if err := attributevalue.UnmarshalMap(item, &st); err != nil {
				return nil, fmt.Errorf("state: decode status of connector %q task %q: %w", connector, getS(item, attrTask), err)
			}
			out = append(out, st)
		}
		if len(res.LastEvaluatedKey) == 0 {
			return out, nil
		}
		start = res.LastEvaluatedKey
	}
}

// ConnectState is the connector part of ConnectStatusBody.
type ConnectState struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// ConnectTaskState is one task of ConnectStatusBody.
type ConnectTaskState struct {
	ID       int    `json:"id"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

// ConnectStatusBody is Kafka Connect's GET /connectors/{name}/status body.
type ConnectStatusBody struct {
	Name      string             `json:"name"`
	Connector ConnectState       `json:"connector"`
	Tasks     []ConnectTaskState `json:"tasks"`
	Type      string             `json:"type,omitempty"`
}

// ConnectStatus renders a connector's status items in Kafka Connect's REST
// shape. The connector entry comes from the ConnectorTask item; without
// one it is RUNNING on the first task's worker when any task exists (as in
// Kafka Connect, a failed task does not fail its connector) and UNASSIGNED
// otherwise. Task ids are N for items named "task-N", else their position;
// retired tasks (Status.Retired) are left out.
// A trace is shown for FAILED entries: "Class: message" and the trace.
func (ss *StatusStore) ConnectStatus(ctx context.Context, connector string) (ConnectStatusBody, error) {
	items, err := ss.Get(ctx, connector)
	if err != nil {
		return ConnectStatusBody{}, err
	}
	return RenderConnectStatus(connector, items), nil
}

// RenderConnectStatus is ConnectStatus without the read.
func RenderConnectStatus(connector string, items []Status) ConnectStatusBody {
	body := ConnectStatusBody{Name: connector, Tasks: []ConnectTaskState{}, Connector: ConnectState{State: StateUnassigned}}
	var conn *Status
	var tasks []Status
	for i := range items {
		if items[i].Task == TargetStateTask {
			continue // the control plane's target state, not a task
		}
		if items[i].Task == ConnectorTask {
			conn = &items[i]
			continue
		}
		if items[i].Retired {
			continue
		}
		tasks = append(tasks, items[i])
	}
	sort.SliceStable(tasks, func(i, j int) bool { return taskLess(tasks[i].Task, tasks[j].Task) })
	for i, t := range tasks {
		id := i
		if v, ok := strings.CutPrefix(t.Task, "task-"); ok {
			if k, err := strconv.Atoi(v); err == nil {
				id = k
			}
		}
		body.Tasks = append(body.Tasks, ConnectTaskState{ID: id, State: t.State, WorkerID: t.WorkerID, Trace: trace(t)})
		if body.Type == "" {
			body.Type = t.Type
		}
	}
	switch {
	case conn != nil:
		body.Connector = ConnectState{State: conn.State, WorkerID: conn.WorkerID, Trace: trace(*conn)}
		if conn.Type != "" {
			body.Type = conn.Type
		}
	case len(tasks) > 0:
		body.Connector = ConnectState{State: StateRunning, WorkerID: tasks[0].WorkerID}
	}
	return body
}

// taskLess orders "task-2" before "task-10", other names lexically after.
func taskLess(a, b string) bool {
	an, aok := taskNum(a)
	bn, bok := taskNum(b)
	switch {
	case aok && bok:
		return an < bn
	case aok != bok:
		return aok
	default:
		return a < b
	}
}

func taskNum(s string) (int, bool) {
	v, ok := strings.CutPrefix(s, "task-")
	if !ok {
		return 0, false
	}
	k, err := strconv.Atoi(v)
	return k, err == nil
}

func trace(st Status) string {
	if st.State != StateFailed || st.LastError == nil {
		return ""
	}
	head := st.LastError.Message
	if st.LastError.Class != "" {
		head = st.LastError.Class + ": " + head
	}
	if st.LastError.Trace == "" {
		return head
	}
	return head + "\n" + st.LastError.Trace
}
