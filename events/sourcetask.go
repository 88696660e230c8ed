package events

// SourceTaskInput is the constant input of a source task's schedule: the
// EventBridge rule target's Input (which replaces the scheduled event) and
// the local scheduler's Rule.Input. It names the task the invocation runs.
// A payload without task_id (a plain scheduled event, or {} for a manual
// invoke) runs task 0, the only task when tasks.max is 1.
type SourceTaskInput struct {
	TaskID int `json:"task_id"`
}
