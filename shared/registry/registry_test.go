package registry

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

func TestNewRefusesBadURLs(t *testing.T) {
	for _, urls := range [][]string{nil, {"localhost:8081"}, {"ftp://x"}} {
		if _, err := New(Config{URLs: urls}); err == nil {
			t.Errorf("New(%q) accepted", urls)
		}
	}
}

func TestErrorClasses(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	cases := []struct {
		name      string
		status    int
		retryable bool
	}{
		{"not found", http.StatusNotFound, false},
		{"unauthorized", http.StatusUnauthorized, false},
		{"incompatible", http.StatusConflict, false},
		{"invalid schema", http.StatusUnprocessableEntity, false},
		{"too many requests", http.StatusTooManyRequests, true},
		{"server error", http.StatusInternalServerError, true},
		{"unavailable", http.StatusServiceUnavailable, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg.ClearInterceptors()
			reg.Intercept(func(w http.ResponseWriter, _ *http.Request) bool {
				w.WriteHeader(tc.status)
				return true
			})
			c, err := New(Config{URLs: []string{reg.URL()}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.SchemaByID(ctx, 1)
			if err == nil || errclass.IsRetryable(err) != tc.retryable {
				t.Fatalf("got %v (retryable %v), want retryable=%v", err, errclass.IsRetryable(err), tc.retryable)
			}
			if tc.status == http.StatusNotFound && !IsNotFound(err) {
				t.Errorf("IsNotFound(%v) = false", err)
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		dead := srfake.New()
		u := dead.URL()
		dead.Close()
		c, _ := New(Config{URLs: []string{u}})
		_, err := c.SchemaByID(ctx, 1)
		if !errclass.IsRetryable(err) || !strings.Contains(err.Error(), "registry unavailable") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestSchemaByIDResolvesReferencesInOrder(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	ctx := context.Background()
	leaf := `{"type":"record","name":"Leaf","fields":[{"name":"x","type":"int"}]}`
	mid := `{"type":"record","name":"Mid","fields":[{"name":"l","type":"Leaf"}]}`
	top := `{"type":"record","name":"Top","fields":[{"name":"m","type":"Mid"},{"name":"l","type":"Leaf"}]}`
	mustReg := func(subject, text string, refs ...sr.SchemaReference) int {
		id, _, err := reg.RegisterSchema(subject, sr.Schema{Schema: text, References: refs})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	mustReg("Leaf", leaf)
	mustReg("Mid", mid, sr.SchemaReference{Name: "Leaf", Subject: "Leaf", Version: 1})
	id := mustReg("top-value", top, sr.SchemaReference{Name: "Mid", Subject: "Mid", Version: 1}, sr.SchemaReference{Name: "Leaf", Subject: "Leaf", Version: 1})
	c, err := New(Config{URLs: []string{reg.URL()}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.SchemaByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != top || len(got.Refs) != 2 || got.Refs[0] != leaf || got.Refs[1] != mid {
		t.Errorf("got %+v, want Leaf then Mid, each once", got)
	}
}
