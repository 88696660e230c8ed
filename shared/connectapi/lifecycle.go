package connectapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// StateRestarting is the state Connect shows for what a restart request
// with includeTasks or onlyFailed is restarting.
const StateRestarting = "RESTARTING"

// ConnectorInfo is GET /connectors/{name}.
type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []TaskRef         `json:"tasks"`
	Type   string            `json:"type"`
}

// TaskRef is a task's id as Connect writes it.
type TaskRef struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// TaskInfo is one entry of GET /connectors/{name}/tasks.
type TaskInfo struct {
	ID     TaskRef           `json:"id"`
	Config map[string]string `json:"config"`
}

// status reads the connector's status items and target state and renders
// Connect's status body: a PAUSED target shows the connector and its tasks
// PAUSED (a FAILED task stays FAILED, as in Connect), STOPPED shows the
// connector STOPPED with no tasks.
func (s *Server) statusOf(ctx context.Context, c Connector) (state.ConnectStatusBody, state.TargetState, error) {
	items, err := s.Statuses.Get(ctx, c.Name)
	if err != nil {
		return state.ConnectStatusBody{}, state.TargetState{}, err
	}
	ts, err := s.Targets.Get(ctx, c.Name)
	if err != nil {
		return state.ConnectStatusBody{}, state.TargetState{}, err
	}
	body := state.RenderConnectStatus(c.Name, items)
	body.Type = c.Type()
	if body.Connector.WorkerID == "" {
		body.Connector.WorkerID = c.Function
	}
	switch ts.State {
	case state.StateStopped:
		body.Connector = state.ConnectState{State: state.StateStopped, WorkerID: body.Connector.WorkerID}
		body.Tasks = []state.ConnectTaskState{}
	case state.StatePaused:
		if body.Connector.State != state.StateFailed {
			body.Connector.State = state.StatePaused
		}
		for i := range body.Tasks {
			if body.Tasks[i].State != state.StateFailed {
				body.Tasks[i].State = state.StatePaused
			}
		}
	}
	return body, ts, nil
}

func (s *Server) infoOf(c Connector, ts state.TargetState) ConnectorInfo {
	info := ConnectorInfo{Name: c.Name, Config: c.Config, Tasks: []TaskRef{}, Type: c.Type()}
	if ts.State != state.StateStopped {
		for id := range c.TaskCount() {
			info.Tasks = append(info.Tasks, TaskRef{Connector: c.Name, Task: id})
		}
	}
	return info
}

// list is GET /connectors with optional ?expand=status and ?expand=info
// (repeatable).
func (s *Server) list(w http.ResponseWriter, r *http.Request) error {
	expand := map[string]bool{}
	for _, e := range r.URL.Query()["expand"] {
		switch e {
		case "status", "info":
			expand[e] = true
		default:
			return Errorf(http.StatusBadRequest, "query parameter expand=%q: want status or info", e)
		}
	}
	ns := names(s.Connectors)
	if len(expand) == 0 {
		writeJSON(w, http.StatusOK, ns)
		return nil
	}
	out := make(map[string]map[string]any, len(ns))
	for _, n := range ns {
		c := s.Connectors[n]
		body, ts, err := s.statusOf(r.Context(), c)
		if err != nil {
			return err
		}
		e := map[string]any{}
		if expand["status"] {
			e["status"] = body
		}
		if expand["info"] {
			e["info"] = s.infoOf(c, ts)
		}
		out[n] = e
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) info(w http.ResponseWriter, r *http.Request, c Connector) error {
	ts, err := s.Targets.Get(r.Context(), c.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.infoOf(c, ts))
	return nil
}

func (s *Server) config(w http.ResponseWriter, r *http.Request, c Connector) error {
	writeJSON(w, http.StatusOK, c.Config)
	return nil
}

func (s *Server) status(w http.ResponseWriter, r *http.Request, c Connector) error {
	body, _, err := s.statusOf(r.Context(), c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func (s *Server) tasks(w http.ResponseWriter, r *http.Request, c Connector) error {
	ts, err := s.Targets.Get(r.Context(), c.Name)
	if err != nil {
		return err
	}
	out := []TaskInfo{}
	if ts.State != state.StateStopped {
		for id := range c.TaskCount() {
			out = append(out, TaskInfo{ID: TaskRef{Connector: c.Name, Task: id}, Config: c.Config})
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) taskStatus(w http.ResponseWriter, r *http.Request, c Connector) error {
	id, err := taskID(r, c)
	if err != nil {
		return err
	}
	body, _, err := s.statusOf(r.Context(), c)
	if err != nil {
		return err
	}
	for _, t := range body.Tasks {
		if t.ID == id {
			writeJSON(w, http.StatusOK, t)
			return nil
		}
	}
	return Errorf(http.StatusNotFound, "No status found for task %s-%d", c.Name, id)
}

func (s *Server) topics(w http.ResponseWriter, r *http.Request, c Connector) error {
	topics := c.Topics
	if topics == nil {
		topics = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{c.Name: map[string]any{"topics": topics}})
	return nil
}

// setTarget changes the target state. For a sink with Mappings set, the
// mapping is switched first; if the target write then fails the mapping is
// switched back, so nothing is half-applied.
func (s *Server) setTarget(r *http.Request, c Connector, target, action string) error {
	ctx := r.Context()
	by := s.principal(r)
	if c.Kind == config.Sink && s.Mappings != nil {
		enable := target == state.StateRunning
		if err := s.Mappings.SetEnabled(ctx, c, enable); err != nil {
			return fmt.Errorf("%s connector %s: event source mapping: %w", action, c.Name, err)
		}
		if _, err := s.Targets.Set(ctx, c.Name, target, action, by); err != nil {
			if rerr := s.Mappings.SetEnabled(context.WithoutCancel(ctx), c, !enable); rerr != nil {
				err = errors.Join(err, fmt.Errorf("switching the event source mapping back also failed: %w", rerr))
			}
			return err
		}
	} else if _, err := s.Targets.Set(ctx, c.Name, target, action, by); err != nil {
		return err
	}
	s.log().Info("connector target state changed", "connector", c.Name, "action", action, "target_state", target, "by", by)
	return nil
}

// pause is PUT /connectors/{name}/pause: 202 Accepted, no body.
func (s *Server) pause(w http.ResponseWriter, r *http.Request, c Connector) error {
	if err := s.setTarget(r, c, state.StatePaused, "pause"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// resume is PUT /connectors/{name}/resume: 202 Accepted, no body.
func (s *Server) resume(w http.ResponseWriter, r *http.Request, c Connector) error {
	if err := s.setTarget(r, c, state.StateRunning, "resume"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// stop is PUT /connectors/{name}/stop: 204 No Content.
func (s *Server) stop(w http.ResponseWriter, r *http.Request, c Connector) error {
	if err := s.setTarget(r, c, state.StateStopped, "stop"); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// restart is POST /connectors/{name}/restart[?includeTasks=&onlyFailed=].
// Without either flag only the connector restarts (204, as Connect); with
// them the answer is 202 and the status with RESTARTING entries. Restarting
// clears FAILED on what it restarts and, for a source that is not paused
// or stopped, invokes its function now.
func (s *Server) restart(w http.ResponseWriter, r *http.Request, c Connector) error {
	includeTasks, err := boolParam(r, "includeTasks")
	if err != nil {
		return err
	}
	onlyFailed, err := boolParam(r, "onlyFailed")
	if err != nil {
		return err
	}
	body, err := s.doRestart(r, c, func(task string, st string) bool {
		if task != state.ConnectorTask && !includeTasks {
			return false
		}
		return !onlyFailed || st == state.StateFailed
	})
	if err != nil {
		return err
	}
	if !includeTasks && !onlyFailed {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, http.StatusAccepted, body)
	return nil
}

// taskRestart is POST /connectors/{name}/tasks/{id}/restart: 204.
func (s *Server) taskRestart(w http.ResponseWriter, r *http.Request, c Connector) error {
	if _, err := taskID(r, c); err != nil {
		return err
	}
	if _, err := s.doRestart(r, c, func(task, _ string) bool { return task != state.ConnectorTask }); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// doRestart clears FAILED on the status items pick selects, records the
// action, invokes a running source and returns the status body with the
// picked entries RESTARTING.
func (s *Server) doRestart(r *http.Request, c Connector, pick func(task, st string) bool) (state.ConnectStatusBody, error) {
	ctx := r.Context()
	by := s.principal(r)
	items, err := s.Statuses.Get(ctx, c.Name)
	if err != nil {
		return state.ConnectStatusBody{}, err
	}
	connectorPicked := pick(state.ConnectorTask, connectorState(items))
	var restarted []string
	picked := map[string]bool{}
	for _, it := range items {
		if it.Task == state.TargetStateTask || !pick(it.Task, it.State) {
			continue
		}
		restarted = append(restarted, it.Task)
		picked[it.Task] = true
		if it.State != state.StateFailed {
			continue
		}
		it.State = state.StateRunning
		it.LastError = nil
		if err := s.Statuses.Put(ctx, it); err != nil {
			return state.ConnectStatusBody{}, err
		}
	}
	body, ts, err := s.statusOf(ctx, c)
	if err != nil {
		return state.ConnectStatusBody{}, err
	}
	if err := s.Targets.Record(ctx, c.Name, "restart", by, strings.Join(restarted, ",")); err != nil {
		return state.ConnectStatusBody{}, err
	}
	if c.Kind == config.Source && s.Invoker != nil && ts.Runs() {
		payload, _ := json.Marshal(map[string]string{"source": "slkc.control", "action": "restart", "by": by})
		if err := s.Invoker.InvokeEvent(ctx, c.Function, payload); err != nil {
			return state.ConnectStatusBody{}, fmt.Errorf("restart connector %s: invoke %s: %w", c.Name, c.Function, err)
		}
	}
	s.log().Info("connector restarted", "connector", c.Name, "items", restarted, "by", by)
	if connectorPicked && body.Connector.State != state.StateStopped {
		body.Connector.State = StateRestarting
	}
	for i := range body.Tasks {
		if picked[fmt.Sprintf("task-%d", body.Tasks[i].ID)] {
			body.Tasks[i].State = StateRestarting
		}
	}
	return body, nil
}

// connectorState is the connector item's state, or RUNNING without one.
func connectorState(items []state.Status) string {
	for _, it := range items {
		if it.Task == state.ConnectorTask {
			return it.State
		}
	}
	return state.StateRunning
}
