// Package coldstarttest holds the test set-up shared by the functions'
// tests: a connector config handed over the way Lambda hands it (the
// SLKC_CONNECTOR_CONFIG environment variable), AWS settings for the local
// stack, state tables, and running a function's setup expecting success
// or a named error. Only tests import it.
package coldstarttest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/coldstart"
	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/state"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// Env returns a getenv that reads m (nil reads nothing), so a test never
// depends on the process environment for the connector config.
func Env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// RawConfig is the environment of a connector named name whose "config"
// object is the JSON members fields, written as text so a test can put any
// key, even a misspelt or duplicated one, e.g.
// RawConfig("s", `"connector.class":"com.example.Nope"`).
func RawConfig(name, fields string) map[string]string {
	return map[string]string{config.EnvConnectorConfig: `{"name":"` + name + `","config":{` + fields + `}}`}
}

// Connector returns a getenv whose SLKC_CONNECTOR_CONFIG is the connector
// file {"name": name, "config": cfg}.
func Connector(t testing.TB, name string, cfg map[string]string) func(string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": name, "config": cfg})
	if err != nil {
		t.Fatal(err)
	}
	return Env(map[string]string{config.EnvConnectorConfig: string(b)})
}

// Discard is a logger that writes nothing.
func Discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// FakeAWS sets a region and static credentials, so code that loads the AWS
// config and builds clients runs without AWS; nothing may call AWS then.
func FakeAWS(t *testing.T) {
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "local")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "local")
}

// LocalEnv is testenv.New followed by LocalAWS: the local stack, with the
// code under test pointed at it.
func LocalEnv(t *testing.T) *testenv.Env {
	env := testenv.New(t)
	LocalAWS(t, env)
	return env
}

// LocalAWS points the AWS SDK of the code under test at env's services:
// env's region and static credentials unless the environment sets them
// (real AWS), and env's DynamoDB endpoint.
func LocalAWS(t *testing.T, env *testenv.Env) {
	for k, v := range map[string]string{"AWS_REGION": env.Region(), "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
	if ep := env.DynamoEndpoint(); ep != "" {
		t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", ep)
	}
}

// StateTables creates the offsets, leases and status tables on env's
// DynamoDB (removed at cleanup) and names them in SLKC_OFFSETS_TABLE,
// SLKC_LEASES_TABLE and SLKC_STATUS_TABLE for the code under test.
func StateTables(t *testing.T, env *testenv.Env) state.Tables {
	tables := state.Tables{
		Offsets: env.DynamoTable(t, state.OffsetsTableInput("x")),
		Leases:  env.DynamoTable(t, state.LeasesTableInput("x")),
		Status:  env.DynamoTable(t, state.StatusTableInput("x")),
	}
	t.Setenv("SLKC_OFFSETS_TABLE", tables.Offsets)
	t.Setenv("SLKC_LEASES_TABLE", tables.Leases)
	t.Setenv("SLKC_STATUS_TABLE", tables.Status)
	return tables
}

// MustSetup runs setup with getenv and a discarding logger, fails t on
// error, and closes the app at cleanup.
func MustSetup[A coldstart.App](t testing.TB, ctx context.Context, setup coldstart.SetupFunc[A], getenv func(string) string) A {
	t.Helper()
	a, err := setup(ctx, getenv, Discard())
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

// ErrorCase is an environment setup must reject, and the texts its error
// must contain (the key, the value, what is allowed).
type ErrorCase struct {
	Name string
	Env  map[string]string
	Want []string
}

// SetupErrors runs setup for every case as a subtest. A setup that
// succeeds fails the case (and is closed).
func SetupErrors[A coldstart.App](t *testing.T, setup coldstart.SetupFunc[A], cases []ErrorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			a, err := setup(context.Background(), Env(tc.Env), Discard())
			if err == nil {
				a.Close()
				t.Fatalf("setup succeeded, want an error containing %q", tc.Want)
			}
			for _, w := range tc.Want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("setup error %q does not contain %q", err, w)
				}
			}
		})
	}
}
