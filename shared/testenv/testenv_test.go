package testenv

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// recorder captures Fatalf/Skipf instead of stopping the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()          {}
func (r *recorder) Name() string     { return r.TB.Name() }
func (r *recorder) Cleanup(f func()) { r.TB.Cleanup(f) }
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	panic(r)
}
func (r *recorder) Skipf(format string, args ...any) { r.skip = fmt.Sprintf(format, args...); panic(r) }

func run(r *recorder, f func()) {
	defer func() {
		if p := recover(); p != nil && p != r {
			panic(p)
		}
	}()
	f()
}

func TestUnreachableServiceFailsInCIAndSkipsOtherwise(t *testing.T) {
	cases := []struct {
		name    string
		ci      string
		use     func(e *Env, tb testing.TB)
		service string
	}{
		{"kafka in CI", "true", func(e *Env, tb testing.TB) { e.Kafka(tb) }, "Kafka"},
		{"dynamodb in CI", "true", func(e *Env, tb testing.TB) { e.Dynamo(tb) }, "DynamoDB"},
		{"mysql in CI", "true", func(e *Env, tb testing.TB) { e.MySQLDatabase(tb) }, "MySQL/MariaDB"},
		{"kafka locally", "", func(e *Env, tb testing.TB) { e.Kafka(tb) }, "Kafka"},
		{"mysql locally", "false", func(e *Env, tb testing.TB) { e.MySQLDatabase(tb) }, "MySQL/MariaDB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Port 1 on loopback refuses connections at once.
			t.Setenv("CI", tc.ci)
			t.Setenv("SLKC_KAFKA_BOOTSTRAP", "127.0.0.1:1")
			t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1")
			t.Setenv("SLKC_MYSQL_DSN", "u:p@tcp(127.0.0.1:1)/")
			t.Setenv("AWS_ACCESS_KEY_ID", "x")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "x")
			t.Setenv("AWS_MAX_ATTEMPTS", "1")
			rec := &recorder{TB: t}
			run(rec, func() { tc.use(New(rec), rec) })
			got := rec.fatal
			if tc.ci != "true" {
				got = rec.skip
				if rec.fatal != "" {
					t.Fatalf("outside CI the test must skip, got failure %q", rec.fatal)
				}
			} else if rec.skip != "" {
				t.Fatalf("with CI=true the test must fail, got skip %q", rec.skip)
			}
			if !strings.Contains(got, tc.service) || !strings.Contains(got, "make local-up") {
				t.Fatalf("message %q must name %s and how to start it", got, tc.service)
			}
			if strings.Contains(got, ":p@") {
				t.Fatalf("message leaks the password: %q", got)
			}
		})
	}
}

func TestUniqueName(t *testing.T) {
	valid := regexp.MustCompile(`^[a-z0-9_]+$`)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		n := UniqueName(t, "db", 64)
		if len(n) > 64 || !valid.MatchString(n) {
			t.Fatalf("bad name %q", n)
		}
		if seen[n] {
			t.Fatalf("duplicate name %q", n)
		}
		seen[n] = true
	}
}
