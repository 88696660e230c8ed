// Command echo is the test function of the runtime package: it echoes its
// event and, on request, sleeps, crashes, panics, fails or reports env vars.
// ECHO_INIT=exit makes init fail by exiting; ECHO_INIT=post posts to
// /runtime/init/error first. ECHO_CRASH_ONCE=<file> crashes the first
// invoke (the one that creates the file).
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Echo    any      `json:"echo"`
	SleepMs int      `json:"sleepMs"`
	Crash   bool     `json:"crash"`
	Panic   bool     `json:"panic"`
	Fail    string   `json:"fail"`
	Log     string   `json:"log"`
	Env     []string `json:"env"`
}

type response struct {
	Echo        any               `json:"echo"`
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	DeadlineMs  int64             `json:"deadlineMs"`
	PID         int               `json:"pid"`
	Env         map[string]string `json:"env,omitempty"`
}

func handle(ctx context.Context, req request) (response, error) {
	lc, _ := lambdacontext.FromContext(ctx)
	if req.Log != "" {
		fmt.Println(req.Log)
	}
	if req.SleepMs > 0 {
		time.Sleep(time.Duration(req.SleepMs) * time.Millisecond)
	}
	if req.Crash {
		os.Exit(3)
	}
	if marker := os.Getenv("ECHO_CRASH_ONCE"); marker != "" {
		// Crash mid-invoke the first time only: the marker file remembers.
		if f, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
			f.Close()
			os.Exit(4)
		}
	}
	if req.Panic {
		panic("echo panics on request")
	}
	if req.Fail != "" {
		return response{}, errors.New(req.Fail)
	}
	dl, _ := ctx.Deadline()
	res := response{Echo: req.Echo, RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn, DeadlineMs: dl.UnixMilli(), PID: os.Getpid()}
	if len(req.Env) > 0 {
		res.Env = map[string]string{}
		for _, k := range req.Env {
			res.Env[k] = os.Getenv(k)
		}
	}
	return res, nil
}

func main() {
	switch os.Getenv("ECHO_INIT") {
	case "exit":
		fmt.Fprintln(os.Stderr, "init failed on request")
		os.Exit(1)
	case "post":
		url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"errorMessage":"bad config","errorType":"Config.Invalid"}`))
		req.Header.Set("Lambda-Runtime-Function-Error-Type", "Config.Invalid")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	}
	lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() { fmt.Println("sigterm received") }))
}
