package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
)

// errInvalid is validate's error when the config has problems: they are in
// the printed response, so main only sets the exit status.
var errInvalid = errors.New("invalid config")

// validateConfig is what the validate command checks.
type validateConfig struct {
	Path    string            // the connector file
	Worker  string            // worker file; empty: none
	Env     map[string]string // -env-file, for ${env:...} before the process environment
	Secrets config.Providers  // ${secretsmanager:...} from -secrets-file
}

func parseValidate(args []string, stderr io.Writer) (validateConfig, error) {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var vc validateConfig
	var envFile, secretsFile string
	worker := fs.String("worker", "", "worker file merged first, as the functions do (default: worker.json next to the connector file, when there is one)")
	fs.StringVar(&envFile, "env-file", "", "KEY=VALUE file for ${env:...} references (then the process environment)")
	fs.StringVar(&secretsFile, "secrets-file", "", "JSON file {\"name\": value} for ${secretsmanager:...} references")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: slkc-local validate [flags] CONNECTOR.json\n\n"+
			"prints the answer of Kafka Connect's PUT /connector-plugins/{class}/config/validate for the file\n"+
			"(every key with its errors); exits 1 when error_count is not 0")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return vc, err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return vc, errors.New("validate: want one connector file")
	}
	vc.Path = fs.Arg(0)
	vc.Worker = *worker
	if vc.Worker == "" {
		vc.Worker = filepath.Join(filepath.Dir(vc.Path), config.WorkerFileName)
	}
	var err error
	if vc.Env, err = readEnvFile(envFile); err != nil {
		return vc, err
	}
	secrets, err := loadSecrets(secretsFile)
	if err != nil {
		return vc, err
	}
	if secrets != nil {
		vc.Secrets.Secrets = secrets
	}
	return vc, nil
}

// validate reads the connector file as a function would at cold start (the
// worker file merged, references resolved) and writes Connect's validate
// response for it, indented, to out: the same definitions and checks as the
// control API's validate endpoint (connectapi.Validate). It returns
// errInvalid when the response counts errors.
func validate(ctx context.Context, vc validateConfig, out io.Writer) error {
	f, err := config.Load(vc.Path)
	if err != nil {
		return err
	}
	w, err := config.LoadWorker(vc.Worker)
	if err != nil {
		return err
	}
	if err := config.ApplyWorker(w, f); err != nil {
		return err
	}
	providers := vc.Secrets
	providers.LookupEnv = func(k string) (string, bool) {
		if v, ok := vc.Env[k]; ok {
			return v, true
		}
		return os.LookupEnv(k)
	}
	props, err := config.Resolve(ctx, f.Config, providers)
	if err != nil {
		return fmt.Errorf("%s: %w", vc.Path, err)
	}
	if _, ok := props[config.KeyName]; !ok {
		props[config.KeyName] = f.Name
	}
	class := props[config.KeyConnectorClass]
	if class == "" {
		return fmt.Errorf("%s: %s is missing", vc.Path, config.KeyConnectorClass)
	}
	res, err := connectapi.Validate(class, props)
	if err != nil {
		var ce *connectapi.Error
		if errors.As(err, &ce) {
			return fmt.Errorf("%s: %s", vc.Path, ce.Message)
		}
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return err
	}
	if res.ErrorCount > 0 {
		return errInvalid
	}
	return nil
}
