// Package runtime is a local implementation of the AWS Lambda Runtime API
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) and of the
// Lambda Invoke API (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
//
// A Runner hosts several functions in one process. Each function's bootstrap
// binary runs as a child process with the environment Lambda sets and its own
// Runtime API listener (AWS_LAMBDA_RUNTIME_API), so unmodified aws-lambda-go
// binaries run as they do on AWS. The Invoke API
// (POST /2015-03-31/functions/{name}/invocations) accepts RequestResponse,
// Event and DryRun invocations, so the aws-sdk-go-v2 Lambda client, the
// scheduler and the Kafka bridge can all call it.
//
// Behaviour that follows Lambda:
//   - cold start on the first invoke; the process is reused while healthy;
//   - one invoke at a time per process; a function scales to more processes
//     up to FunctionSpec.Concurrency, further invokes wait in line;
//   - on timeout the process is killed (SIGTERM, then SIGKILL after
//     KillGrace) and the invoke fails with Sandbox.Timedout; the next invoke
//     cold starts a fresh process;
//   - a process that exits mid-invoke fails it with Runtime.ExitError, one
//     that fails init (exit before asking for work, or POST /runtime/init/error)
//     fails it with Runtime.InitError;
//   - Event invocations are queued and retried twice on error
//     (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html);
//   - a START/END/REPORT line per invoke is written to the output, and every
//     line the child writes is prefixed with the function name and the
//     current request id.
package runtime

import (
	"debug/elf"
	"errors"
	"fmt"
	"os"
	goruntime "runtime"
	"time"
)

// Defaults applied by New to zero fields of a FunctionSpec.
const (
	DefaultMemoryMB    = 128
	DefaultTimeout     = 3 * time.Second
	DefaultRegion      = "us-east-1"
	DefaultInitTimeout = 10 * time.Second
	DefaultConcurrency = 1
	// AccountID is the account used in ARNs the runner makes up.
	AccountID = "000000000000"
	// MaxPayloadBytes is Lambda's synchronous request and response payload limit (6 MB).
	MaxPayloadBytes = 6 * 1024 * 1024
)

// FunctionSpec describes one function hosted by a Runner.
type FunctionSpec struct {
	// Name is the function name (required, unique within a Runner).
	Name string
	// Bootstrap is the path of the executable (required); its folder becomes LAMBDA_TASK_ROOT.
	Bootstrap string
	// Env is added to the child's environment last, so it overrides everything else.
	Env map[string]string
	// MemoryMB is reported in AWS_LAMBDA_FUNCTION_MEMORY_SIZE and REPORT lines (default 128).
	// It is not enforced.
	MemoryMB int
	// Timeout is the per-invoke time limit (default 3s, Lambda's default).
	Timeout time.Duration
	// InitTimeout bounds a cold start until the runtime asks for its first event (default 10s, like Lambda's init phase).
	InitTimeout time.Duration
	// Region sets AWS_REGION/AWS_DEFAULT_REGION and the function ARN (default $AWS_REGION, else us-east-1).
	Region string
	// Concurrency is the most processes (and so concurrent invokes) of the
	// function, like reserved concurrency (default 1).
	Concurrency int
}

// ARN returns the function ARN the runner uses: arn:aws:lambda:<region>:000000000000:function:<name>.
func (s FunctionSpec) ARN() string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", s.Region, AccountID, s.Name)
}

func (s FunctionSpec) withDefaults() FunctionSpec {
	if s.MemoryMB <= 0 {
		s.MemoryMB = DefaultMemoryMB
	}
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	if s.InitTimeout <= 0 {
		s.InitTimeout = DefaultInitTimeout
	}
	if s.Region == "" {
		s.Region = os.Getenv("AWS_REGION")
	}
	if s.Region == "" {
		s.Region = DefaultRegion
	}
	if s.Concurrency <= 0 {
		s.Concurrency = DefaultConcurrency
	}
	return s
}

func (s FunctionSpec) validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("function name is empty"))
	}
	if s.Bootstrap == "" {
		errs = append(errs, fmt.Errorf("function %q: bootstrap path is empty", s.Name))
	} else if st, err := os.Stat(s.Bootstrap); err != nil {
		errs = append(errs, fmt.Errorf("function %q: bootstrap: %w", s.Name, err))
	} else if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		errs = append(errs, fmt.Errorf("function %q: bootstrap %s is not an executable file", s.Name, s.Bootstrap))
	} else if err := checkArch(s.Bootstrap); err != nil {
		errs = append(errs, fmt.Errorf("function %q: %w", s.Name, err))
	}
	return errors.Join(errs...)
}

var elfMachines = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm"}

// checkArch rejects an ELF binary built for another CPU than this machine's
// (the Lambda build defaults to linux/arm64), which would otherwise fail at
// the first invoke with "exec format error". Non-ELF files (scripts) pass.
func checkArch(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	arch, known := elfMachines[f.Machine]
	if known && arch != goruntime.GOARCH {
		return fmt.Errorf("bootstrap %s is built for linux/%s but this machine runs %s: build it with GOARCH=%s for local runs",
			path, arch, goruntime.GOARCH, goruntime.GOARCH)
	}
	return nil
}
