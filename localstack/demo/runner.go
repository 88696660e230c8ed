package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Runner is the local runner (slkc-local run) as a child process. The demo
// never calls connector code itself: the runner hosts the real bootstrap
// binaries, fires the source on its schedule and feeds the sinks from
// Kafka.
type Runner struct {
	cmd  *exec.Cmd
	Addr string
	done chan struct{}
	err  error
}

// RunnerOptions are the inputs of StartRunner.
type RunnerOptions struct {
	// Binary is the slkc-local executable.
	Binary      string
	PipelineDir string
	BuildDir    string
	// EnvFile is passed as -env-file (KEY=VALUE lines for the functions).
	EnvFile string
	// SecretsFile, when set, is passed as -secrets-file: the runner serves
	// it as a local Secrets Manager to the functions.
	SecretsFile string
	// Log receives the runner's and the functions' output.
	Log io.Writer
	// Ready bounds the wait for the Invoke API to listen (default 30 s).
	Ready time.Duration
	// ControlAddr, when set, is passed as -control-addr (where the runner
	// serves the Kafka Connect REST API).
	ControlAddr string
}

// WriteSecretsFile writes secrets (name to secret string) as the JSON
// object the runner's -secrets-file reads, readable by the owner only.
func WriteSecretsFile(path string, secrets map[string]string) error {
	b, err := json.MarshalIndent(secrets, "", "  ")
	if err != nil {
		return fmt.Errorf("demo: secrets file: %w", err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("demo: write secrets file: %w", err)
	}
	return nil
}

// WriteEnvFile writes env as sorted KEY=VALUE lines (values must not
// contain newlines).
func WriteEnvFile(path string, env map[string]string) error {
	keys := make([]string, 0, len(env))
	for k := range env {
		if strings.ContainsAny(env[k], "\r\n") {
			return fmt.Errorf("demo: env %s: value contains a newline", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# written by the demo for slkc-local run -env-file; values reach the functions' environment\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, env[k])
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("demo: write env file: %w", err)
	}
	return nil
}

// freeAddr returns a loopback address nobody listens on right now, so
// parallel runs (and tests) do not fight over the runner's default port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("demo: pick a port for the runner: %w", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr, nil
}

// StartRunner starts `slkc-local run` in its own process group (so a
// terminal's Ctrl-C reaches the demo, which then stops the runner in
// order) and waits until its Invoke API accepts connections.
func StartRunner(ctx context.Context, o RunnerOptions) (*Runner, error) {
	if _, err := os.Stat(o.Binary); err != nil {
		return nil, fmt.Errorf("demo: runner binary: %w (build it with: go build -o %s ./localstack/cmd/slkc-local)", err, o.Binary)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	// The runner starts each bootstrap in its own folder (LAMBDA_TASK_ROOT),
	// so relative paths would not resolve there.
	for _, p := range []*string{&o.PipelineDir, &o.BuildDir, &o.EnvFile, &o.SecretsFile} {
		if *p == "" {
			continue
		}
		if *p, err = filepath.Abs(*p); err != nil {
			return nil, fmt.Errorf("demo: runner path: %w", err)
		}
	}
	args := []string{"run", "-pipeline", o.PipelineDir, "-build", o.BuildDir,
		"-env-file", o.EnvFile, "-addr", addr, "-status-every", "5s"}
	if o.SecretsFile != "" {
		args = append(args, "-secrets-file", o.SecretsFile)
	}
	if o.ControlAddr != "" {
		args = append(args, "-control-addr", o.ControlAddr)
	}
	cmd := exec.Command(o.Binary, args...)
	cmd.Stdout, cmd.Stderr = o.Log, o.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("demo: start %s: %w", o.Binary, err)
	}
	r := &Runner{cmd: cmd, Addr: addr, done: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	ready := o.Ready
	if ready <= 0 {
		ready = 30 * time.Second
	}
	deadline := time.Now().Add(ready)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return r, nil
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("demo: runner exited before it was ready: %v", r.err)
		case <-ctx.Done():
			_ = r.Stop(5 * time.Second)
			return nil, fmt.Errorf("demo: waiting for the runner: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = r.Stop(5 * time.Second)
			return nil, fmt.Errorf("demo: runner did not listen on %s within %s", addr, ready)
		}
	}
}

// Done is closed when the runner process has exited.
func (r *Runner) Done() <-chan struct{} { return r.done }

// Err is the runner's exit error, valid once Done is closed.
func (r *Runner) Err() error { return r.err }

// Stop sends SIGTERM (the runner then stops its bridges and sends SIGTERM
// to the functions) and waits up to grace; after that the whole process
// group is killed. Calling Stop again is harmless.
func (r *Runner) Stop(grace time.Duration) error {
	select {
	case <-r.done:
		return nil
	default:
	}
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("demo: stop runner: %w", err)
	}
	select {
	case <-r.done:
		return nil
	case <-time.After(grace):
		_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
		return fmt.Errorf("demo: runner did not stop within %s after SIGTERM; killed its process group", grace)
	}
}
