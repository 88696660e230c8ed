package connectors

import (
	"errors"
	"strings"
	"testing"
)

func TestPartitionStringIsCanonical(t *testing.T) {
	cases := []struct {
		name string
		p    Partition
		want string
	}{
		{"jdbc table", Partition{"table": "db.orders", "protocol": "1"}, `{"protocol":"1","table":"db.orders"}`},
		{"query", Partition{"query": "query"}, `{"query":"query"}`},
		{"escaping", Partition{"table": `a"b\c`}, `{"table":"a\"b\\c"}`},
		{"empty", Partition{}, `{}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i := 0; i < 5; i++ { // map order must not leak into the key
				if got := tc.p.String(); got != tc.want {
					t.Fatalf("String() = %s, want %s", got, tc.want)
				}
			}
		})
	}
}

func TestBatchError(t *testing.T) {
	if msg := NewBatchError().Error(); !strings.Contains(msg, "no failed records") {
		t.Fatalf("empty batch error = %q", msg)
	}
	b := NewBatchError().Fail(7, errors.New("late")).Fail(2, errors.New("too long"))
	if len(b.Failed) != 2 {
		t.Fatalf("Failed = %v", b.Failed)
	}
	if msg := b.Error(); !strings.Contains(msg, "2 record(s)") || !strings.Contains(msg, "index 2") || !strings.Contains(msg, "too long") {
		t.Fatalf("Error() = %q: must count failures and name the first by index", msg)
	}
	var target *BatchError
	if !errors.As(error(b), &target) {
		t.Fatal("BatchError must be reachable with errors.As")
	}
}
