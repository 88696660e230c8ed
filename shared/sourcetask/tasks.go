package sourcetask

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"time"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
	"github.com/serverless-kafka-connect/slkc/shared/state"
)

// Tasks (tasks.max > 1).
//
// Assignment: a partition belongs to the task with the highest
// rendezvous weight hash(partition, task id) among the TaskCount tasks, so
// every task computes the same split from the same partition list with no
// coordination, and adding or dropping a partition moves only that
// partition (while the task count stays the same).
//
// Fencing: the assignment is only what a task reads; it is not what makes
// reads exclusive, because two tasks can list the partitions at different
// moments (a table added in between changes the task count) and a task's
// run may outlive the assignment it started with. Each partition is read
// under its own partition lease (state.LeaseKey(name, "partition:...")),
// taken before its offset is read and released after its last commit; its
// offset writes are fenced by that lease (OffsetStore.Commit checks it). A
// partition whose lease is held is skipped for this run and counted in
// Result.PartitionsHeld: its former owner is still reading it, and the new
// owner picks it up on its next run. A former owner whose partition lease
// expired and was taken over has its next commit refused (ErrLeaseLost).
//
// The task lease (state.LeaseKey(name, "task-N")) keeps EventBridge's
// double deliveries and Lambda's async retries of one task from running at
// once, as the connector lease does for a single task. A multi-task run
// also skips while the connector's own lease is held: by a run started
// while tasks.max was 1, or by the control plane editing offsets; it checks
// again after taking each partition (or chunk) lease, and a single task
// (tasks.max 1, which reads under the connector's lease) skips every
// partition and chunk whose lease another run holds, so whichever of a
// single and a multi-task run comes second on a partition sees the first.
//
// Tasks without a table of their own (fewer tables than tasks) and tasks
// done with their tables help with the chunks of parallel initial loads
// (chunks.go).

// KeyedLeaseStore is the LeaseStore a Task with TasksMax > 1 needs;
// *state.LeaseStore satisfies it.
type KeyedLeaseStore interface {
	LeaseStore
	AcquireKey(ctx context.Context, connector, key, owner string, ttl time.Duration) (state.Lease, error)
	Current(ctx context.Context, connector string) (state.Lease, bool, error)
	CurrentKey(ctx context.Context, connector, key string) (state.Lease, bool, error)
}

// TaskName is the status item and lease name of task id: "task-<id>", as
// Kafka Connect numbers tasks from 0.
func TaskName(id int) string { return "task-" + strconv.Itoa(id) }

// TaskCount is the number of tasks that get work: tasksMax, or fewer when
// there are fewer partitions (as Kafka Connect's JDBC source starts at most
// one task per table); at least 1.
func TaskCount(partitions, tasksMax int) int {
	return max(1, min(partitions, tasksMax))
}

// TaskOf returns the task (0..tasks-1) that owns p among tasks tasks: the
// one with the highest rendezvous weight (highest-random-weight hashing).
func TaskOf(p connectors.Partition, tasks int) int {
	key := p.String()
	best, bestW := 0, uint64(0)
	for id := range max(tasks, 1) {
		if w := weight(key, id); id == 0 || w > bestW {
			best, bestW = id, w
		}
	}
	return best
}

// Assigned returns the partitions of parts that task owns among tasks
// tasks, in their listed order.
func Assigned(parts []connectors.Partition, tasks, task int) []connectors.Partition {
	var out []connectors.Partition
	for _, p := range parts {
		if TaskOf(p, tasks) == task {
			out = append(out, p)
		}
	}
	return out
}

// weight is the rendezvous weight of a partition key for task id: FNV-1a
// over key, a zero byte and the id, finished with SplitMix64's mixer so
// nearby ids give unrelated weights.
func weight(key string, id int) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(strconv.Itoa(id)))
	z := h.Sum64() + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// maxLeaseSub bounds the partition part of a lease key; DynamoDB allows
// 2048 bytes in a partition key and a query-mode partition holds the query.
const maxLeaseSub = 1024

// partitionLeaseKey is the leases-table key of p's partition lease.
func partitionLeaseKey(connector string, p connectors.Partition) string {
	sub := "partition:" + p.String()
	if len(sub) > maxLeaseSub {
		sum := sha256.Sum256([]byte(p.String()))
		sub = "partition-sha256:" + hex.EncodeToString(sum[:])
	}
	return state.LeaseKey(connector, sub)
}

// taskLeases checks taskID against TasksMax and returns the keyed lease
// store multi-task runs need (nil with TasksMax <= 1).
func (t *Task) taskLeases(taskID int) (KeyedLeaseStore, error) {
	n := max(t.TasksMax, 1)
	if taskID < 0 || taskID >= n {
		return nil, errclass.Permanent(fmt.Errorf("sourcetask: connector %q: task id %d is out of range: tasks.max is %d, so ids are 0..%d",
			t.Name, taskID, n, n-1))
	}
	if n == 1 {
		return nil, nil
	}
	kl, ok := t.Leases.(KeyedLeaseStore)
	if !ok {
		return nil, fmt.Errorf("sourcetask: connector %q: tasks.max %d needs a lease store with per-task and per-partition leases; %T has none", t.Name, n, t.Leases)
	}
	return kl, nil
}

// singleTaskRunning reports whether the connector's own lease is held: a
// run started under tasks.max=1 (it reads every partition without
// partition leases) or the control plane altering offsets. The run then
// skips.
func (t *Task) singleTaskRunning(ctx context.Context, log *slog.Logger, kl KeyedLeaseStore) (bool, error) {
	cur, ok, err := kl.Current(ctx, t.Name)
	if err != nil {
		return false, fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
	}
	if ok && cur.Held(t.now()) {
		log.Info("the connector's own lease is held (a run started with tasks.max=1, or an offset edit); skipping run",
			"holder", cur.Owner, "lease_expires_at", cur.ExpiresAt)
		return true, nil
	}
	return false, nil
}

// subLeaseHeld reports whether another run holds the sub-lease key (a
// partition or chunk lease), for a run that reads under the connector's
// own lease (tasks.max 1) and so must not join a multi-task run still
// reading it.
func (t *Task) subLeaseHeld(ctx context.Context, log *slog.Logger, kl KeyedLeaseStore, key, what string) (bool, error) {
	cur, ok, err := kl.CurrentKey(ctx, t.Name, key)
	if err != nil {
		return false, fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
	}
	if ok && cur.Held(t.now()) {
		log.Info("another run (a task of a higher tasks.max) still holds the lease; skipping it this run", "what", what,
			"holder", cur.Owner, "lease_expires_at", cur.ExpiresAt)
		return true, nil
	}
	return false, nil
}

// runAssigned reads the partitions assigned to taskID, each under its
// partition lease.
func (t *Task) runAssigned(ctx context.Context, log *slog.Logger, kl KeyedLeaseStore, owner string, taskID int, res *Result) error {
	parts, err := t.Source.Partitions(ctx)
	if err != nil {
		return fmt.Errorf("sourcetask: connector %q: list partitions: %w", t.Name, err)
	}
	tasks := TaskCount(len(parts), t.TasksMax)
	if tasks < t.TasksMax {
		log.Info("fewer partitions than tasks.max; running fewer tasks", "tasks_max", t.TasksMax, "partitions", len(parts), "tasks", tasks)
	}
	sc := &scope{kl: kl, owner: owner, task: taskID, tasks: t.TasksMax, loads: map[string]bool{}}
	var estimate time.Duration
	if taskID >= tasks {
		log.Info("task has no partition under the current assignment; it only helps with initial loads", "tasks", tasks)
		res.Retired = true
	} else {
		for _, p := range Assigned(parts, tasks, taskID) {
			if !t.budgetLeft(ctx, estimate) {
				res.StoppedByDeadline = true
				return nil
			}
			stop, err := t.runLeased(ctx, log, sc, res, p, &estimate)
			if err != nil || stop {
				return err
			}
		}
	}
	return t.helpLoads(ctx, log, sc, parts, res, &estimate)
}

// runLeased drains p under its partition lease; a held lease skips p.
func (t *Task) runLeased(ctx context.Context, log *slog.Logger, sc *scope, res *Result,
	p connectors.Partition, estimate *time.Duration) (stop bool, err error) {
	kl := sc.kl
	lease, err := kl.AcquireKey(ctx, t.Name, partitionLeaseKey(t.Name, p), sc.owner, t.leaseTTL(ctx))
	if err != nil {
		var held *state.LeaseHeldError
		if errors.As(err, &held) {
			res.PartitionsHeld++
			log.Info("partition lease held by another run; skipping the partition this run", "partition", p.String(),
				"holder", held.Holder, "lease_expires_at", held.ExpiresAt)
			return false, nil
		}
		return false, fmt.Errorf("sourcetask: connector %q: partition %s: %w", t.Name, p, err)
	}
	defer func() {
		if errors.Is(err, state.ErrLeaseLost) {
			return // taken over: the lease is someone else's
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if rerr := kl.Release(rctx, lease); rerr != nil {
			log.Warn("partition lease release failed; it expires on its own", "partition", p.String(), "error", rerr.Error())
		}
	}()
	// A single task reads partitions under the connector's lease after
	// checking their partition leases (subLeaseHeld): checking the
	// connector's lease after taking ours means one of the two sees the
	// other, whichever came first.
	if single, err := t.singleTaskRunning(ctx, log, kl); err != nil || single {
		if single {
			res.PartitionsHeld++
		}
		return false, err
	}
	off, err := t.Offsets.Get(ctx, t.Name, p)
	if err != nil {
		return false, fmt.Errorf("sourcetask: connector %q: %w", t.Name, err)
	}
	return t.readPartition(ctx, log, sc, lease, res, p, off, estimate)
}
