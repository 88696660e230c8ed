package connectapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// TestSourceTasksOverREST: a source with tasks.max 3 lists three tasks,
// its status has one entry per task as the tasks wrote them (a retired
// task, with no table under the assignment, is left out), and task ids
// beyond tasks.max are 404.
func TestSourceTasksOverREST(t *testing.T) {
	env := testenv.New(t)
	ddb := env.Dynamo(t)
	statusTable := env.DynamoTable(t, state.StatusTableInput(""))
	status := state.NewStatusStore(ddb, statusTable)
	src, err := connectapi.FromFile(&config.File{Name: "multi", Config: map[string]string{
		"connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector", "name": "multi", "tasks.max": "3",
	}}, "multi")
	if err != nil {
		t.Fatal(err)
	}
	srv := &connectapi.Server{Connectors: map[string]connectapi.Connector{"multi": src}, Statuses: status,
		Targets: state.NewTargetStore(ddb, statusTable), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ctx := context.Background()
	now := time.Now().UTC()
	for _, st := range []state.Status{
		{Connector: "multi", Task: "task-0", Type: state.TypeSource, State: state.StateRunning, WorkerID: "w0", RunStart: now, RunEnd: now},
		{Connector: "multi", Task: "task-1", Type: state.TypeSource, State: state.StateFailed, WorkerID: "w1", RunStart: now, RunEnd: now,
			LastError: &state.ErrorInfo{Class: "org.apache.kafka.connect.errors.DataException", Message: "bad row", At: now}},
		{Connector: "multi", Task: "task-2", Type: state.TypeSource, State: state.StateRunning, WorkerID: "w2", RunStart: now, RunEnd: now},
		{Connector: "multi", Task: "task-3", Type: state.TypeSource, State: state.StateRunning, WorkerID: "w3", Retired: true},
	} {
		if err := status.Put(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string, want int, into any) {
		t.Helper()
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
		if into != nil {
			if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
				t.Fatal(err)
			}
		}
	}
	var body state.ConnectStatusBody
	get("/connectors/multi/status", 200, &body)
	if len(body.Tasks) != 3 {
		t.Fatalf("status tasks = %+v; want 3", body.Tasks)
	}
	for i, ts := range body.Tasks {
		wantState := map[int]string{0: state.StateRunning, 1: state.StateFailed, 2: state.StateRunning}[i]
		if ts.ID != i || ts.State != wantState || ts.WorkerID != []string{"w0", "w1", "w2"}[i] || (i == 1) != (ts.Trace != "") {
			t.Errorf("status task %d = %+v", i, ts)
		}
	}
	var tasks []connectapi.TaskInfo
	get("/connectors/multi/tasks", 200, &tasks)
	if len(tasks) != 3 || tasks[2].ID.Task != 2 {
		t.Errorf("tasks = %+v; want ids 0..2", tasks)
	}
	var one state.ConnectTaskState
	get("/connectors/multi/tasks/1/status", 200, &one)
	if one.ID != 1 || one.State != state.StateFailed {
		t.Errorf("task 1 status = %+v", one)
	}
	get("/connectors/multi/tasks/3/status", 404, nil)
}
