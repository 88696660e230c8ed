package coldstart

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// fakeApp records whether it was closed.
type fakeApp struct{ closed bool }

func (a *fakeApp) Handler() any { return func(context.Context) error { return nil } }
func (a *fakeApp) Close()       { a.closed = true }

func TestRun(t *testing.T) {
	prev := slog.Default()
	t.Cleanup(func() { slog.SetDefault(prev) })
	tests := []struct {
		name    string
		err     error
		wantOK  bool
		wantLog string
	}{
		{name: "setup succeeds", wantOK: true, wantLog: `"msg":"ready","connector":"c"`},
		{name: "setup fails", err: errors.New(`connector "s": mode: missing`),
			wantLog: `"level":"ERROR","msg":"fn init failed","error":"connector \"s\": mode: missing"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			var left time.Duration
			setup := func(ctx context.Context, getenv func(string) string, log *slog.Logger) (*fakeApp, error) {
				dl, _ := ctx.Deadline()
				left = time.Until(dl)
				if log != slog.Default() {
					t.Error("setup's logger is not the default logger")
				}
				log.Info("ready", "connector", getenv("NAME"))
				if tt.err != nil {
					return nil, tt.err
				}
				return &fakeApp{}, nil
			}
			app, ok := run("fn", setup, func(k string) string { return map[string]string{"NAME": "c"}[k] }, &logs)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
			if left <= InitTimeout-time.Second || left > InitTimeout {
				t.Errorf("setup had %s left, want about InitTimeout (%s)", left, InitTimeout)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("logs = %s, want them to contain %s", logs.String(), tt.wantLog)
			}
			if ok && (app == nil || app.Handler() == nil) {
				t.Error("run did not return setup's app")
			}
		})
	}
}
