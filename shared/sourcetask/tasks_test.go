package sourcetask

import (
	"fmt"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

func tables(names ...string) []connectors.Partition {
	var ps []connectors.Partition
	for _, n := range names {
		ps = append(ps, connectors.Partition{"protocol": "1", "table": n})
	}
	return ps
}

func manyTables(n int) []connectors.Partition {
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("db.t%03d", i))
	}
	return tables(names...)
}

func TestTaskCount(t *testing.T) {
	cases := []struct {
		name                       string
		partitions, tasksMax, want int
	}{
		{"fewer tables than tasks", 3, 10, 3},
		{"more tables than tasks", 100, 4, 4},
		{"equal", 6, 6, 6},
		{"no tables still one task", 0, 5, 1},
		{"tasks.max unset", 7, 0, 1},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			if got := TaskCount(tt.partitions, tt.tasksMax); got != tt.want {
				t.Errorf("TaskCount(%d, %d) = %d, want %d", tt.partitions, tt.tasksMax, got, tt.want)
			}
		})
	}
}

// TestAssignmentPartitions: every partition goes to exactly one task in
// range, the same one every time, and no task is starved.
func TestAssignmentPartitions(t *testing.T) {
	parts := manyTables(100)
	for _, tasks := range []int{1, 3, 4, 10} {
		t.Run(fmt.Sprintf("tasks=%d", tasks), func(t *testing.T) {
			seen := map[string]int{}
			for id := range tasks {
				mine := Assigned(parts, tasks, id)
				if len(mine) == 0 {
					t.Errorf("task %d got no table of 100", id)
				}
				// rendezvous hashing is balanced in expectation; allow a wide margin
				if len(mine) > 3*100/tasks+5 {
					t.Errorf("task %d got %d of 100 tables: badly unbalanced", id, len(mine))
				}
				for _, p := range mine {
					seen[p.String()]++
					if again := TaskOf(p, tasks); again != id {
						t.Errorf("TaskOf(%s) = %d, then %d", p, id, again)
					}
				}
			}
			for _, p := range parts {
				if seen[p.String()] != 1 {
					t.Errorf("table %s assigned %d times", p, seen[p.String()])
				}
			}
		})
	}
}

// TestAssignmentStable: with the task count unchanged, adding or dropping a
// table moves no other table; raising the task count moves tables only to
// the new task.
func TestAssignmentStable(t *testing.T) {
	parts := manyTables(50)
	before := map[string]int{}
	for _, p := range parts {
		before[p.String()] = TaskOf(p, 4)
	}
	t.Run("add a table", func(t *testing.T) {
		grown := append(append([]connectors.Partition{}, parts...), tables("db.new_table")...)
		for _, p := range grown[:len(parts)] {
			if got := TaskOf(p, TaskCount(len(grown), 4)); got != before[p.String()] {
				t.Errorf("table %s moved from task %d to %d when a table was added", p, before[p.String()], got)
			}
		}
	})
	t.Run("drop a table", func(t *testing.T) {
		shrunk := parts[1:]
		for _, p := range shrunk {
			if got := TaskOf(p, TaskCount(len(shrunk), 4)); got != before[p.String()] {
				t.Errorf("table %s moved from task %d to %d when a table was dropped", p, before[p.String()], got)
			}
		}
	})
	t.Run("one more task", func(t *testing.T) {
		moved := 0
		for _, p := range parts {
			got := TaskOf(p, 5)
			if got != before[p.String()] {
				moved++
				if got != 4 {
					t.Errorf("table %s moved from task %d to old task %d; only the new task 4 may take tables", p, before[p.String()], got)
				}
			}
		}
		if moved == 0 || moved > len(parts)/2 {
			t.Errorf("%d of %d tables moved to the new task; want some, about a fifth", moved, len(parts))
		}
	})
}

// TestPartitionLeaseKey: keys are per connector and partition, and a long
// query partition is hashed under DynamoDB's key size limit.
func TestPartitionLeaseKey(t *testing.T) {
	a := partitionLeaseKey("c", tables("db.a")[0])
	if a == partitionLeaseKey("c", tables("db.b")[0]) || a == partitionLeaseKey("d", tables("db.a")[0]) {
		t.Errorf("lease keys collide: %s", a)
	}
	long := connectors.Partition{"query": fmt.Sprintf("SELECT * FROM t WHERE x IN (%0900d, %0900d)", 1, 2)}
	if k := partitionLeaseKey("c", long); len(k) > 2048 || k == partitionLeaseKey("c", connectors.Partition{"query": "SELECT 1"}) {
		t.Errorf("long partition key %d bytes: %s", len(k), k)
	}
}
