// Command infra is the CDK app of serverless Kafka Connect: it reads the
// connector config folder (the same files the functions and the local runner
// read) and synthesizes one stack per stage (context "env"), named slkc-<env>.
//
// Context keys are documented on stack.Settings. When the pipelineDir folder
// does not exist the sample pipeline in testdata/pipeline is used, so that
// `cdk synth` works on a fresh checkout.
package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
	"github.com/serverless-kafka-connect/slkc/infra/stack"
)

// samplePipelineDir is used when the configured folder does not exist.
const samplePipelineDir = "testdata/pipeline"

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	if _, err := build(app); err != nil {
		slog.Error("synth failed", "err", err)
		os.Exit(1)
	}
	app.Synth(nil)
}

// build adds the stage's stack to app from the app's context.
func build(app awscdk.App) (*stack.Pipeline, error) {
	settings, err := stack.SettingsFromContext(func(k string) any { return app.Node().TryGetContext(jsii.String(k)) })
	if err != nil {
		return nil, err
	}
	dir := settings.PipelineDir
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		slog.Warn("pipeline folder missing, using the sample pipeline", "pipelineDir", dir, "sample", samplePipelineDir)
		dir = samplePipelineDir
	}
	conns, err := pipeline.Load(dir)
	if err != nil {
		return nil, err
	}
	sp := awscdk.StackProps{}
	// CDK_DEFAULT_* are set by the cdk CLI from the caller's credentials;
	// without them the stack is environment-agnostic (offline synth).
	if acct, region := os.Getenv("CDK_DEFAULT_ACCOUNT"), os.Getenv("CDK_DEFAULT_REGION"); acct != "" && region != "" {
		sp.Env = &awscdk.Environment{Account: jsii.String(acct), Region: jsii.String(region)}
	}
	p, err := stack.NewPipelineStack(app, settings.StackName(), &stack.PipelineStackProps{
		StackProps: sp, Settings: settings, Connectors: conns,
	})
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", settings.Stage, err)
	}
	return p, nil
}
