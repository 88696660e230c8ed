package pipeline

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// EnvRef is one ${env:NAME} reference in a connector config.
type EnvRef struct {
	Key string // config key whose value holds the reference
	Var string // environment variable name
}

// envPattern is shared/config's reference syntax ${provider:rest} restricted
// to the env provider; the function resolves the same text at cold start.
var envPattern = regexp.MustCompile(`\$\{env:([^}]*)\}`)

// lambdaEnvName is what Lambda accepts as an environment variable key.
var lambdaEnvName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]+$`)

// LambdaReservedEnv are the variables the Lambda runtime sets itself
// ("Defined runtime environment variables" in the Lambda developer guide).
// A function may not set them, and a ${env:...} reference to one needs no
// value: the runtime provides it.
var LambdaReservedEnv = []string{
	"_HANDLER", "_X_AMZN_TRACE_ID", "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_DEFAULT_REGION",
	"AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_NAME",
	"AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
	"AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "AWS_REGION", "AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN", "LAMBDA_RUNTIME_DIR", "LAMBDA_TASK_ROOT",
}

// IsLambdaReservedEnv reports whether name is one of LambdaReservedEnv.
func IsLambdaReservedEnv(name string) bool {
	for _, r := range LambdaReservedEnv {
		if r == name {
			return true
		}
	}
	return false
}

// ValidEnvName reports why name cannot be a Lambda environment variable set
// by the app (nil when it can): Lambda's key syntax, and not reserved.
func ValidEnvName(name string) error {
	if !lambdaEnvName.MatchString(name) {
		return fmt.Errorf("environment variable name %q: Lambda allows a letter followed by letters, digits and '_'", name)
	}
	if IsLambdaReservedEnv(name) {
		return fmt.Errorf("environment variable %s is set by the Lambda runtime and cannot be given", name)
	}
	return nil
}

// IsSecretKey reports whether a config key holds a credential: its name
// contains "password" (connection.password, sasl.password, ssl.key.password,
// any *.password), "secret" (aws.secret.access.key) or "jaas"
// (sasl.jaas.config). It is the rule shared/config uses to redact values.
// In AWS such values must be ${secretsmanager:...} references: an ${env:...}
// value would put the credential in plain text into the template and the
// function's configuration.
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	return strings.Contains(k, "password") || strings.Contains(k, "secret") || strings.Contains(k, "jaas")
}

// EnvRefs returns every ${env:NAME} reference in the config values and the
// worker file's (Connector.Worker), sorted
// by key then variable, without duplicates.
func (c Connector) EnvRefs() []EnvRef {
	seen := map[EnvRef]bool{}
	var out []EnvRef
	for k, vs := range c.values() {
		for _, v := range vs {
			for _, m := range envPattern.FindAllStringSubmatch(v, -1) {
				r := EnvRef{Key: k, Var: m[1]}
				if !seen[r] {
					seen[r] = true
					out = append(out, r)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].Var < out[j].Var
	})
	return out
}

// KeyBootstrapServers is the Kafka client key whose ${env:...} variable may
// default to the stage's bootstrap servers (EnvResolver.BootstrapServers).
const KeyBootstrapServers = "bootstrap.servers"

// EnvResolver decides the environment variables a connector's function needs
// for its ${env:NAME} references. The function resolves the references
// itself at cold start (shared/config); the app only sets the variables.
type EnvResolver struct {
	// Values are the stage's variable values (context functionEnv).
	Values map[string]string
	// BootstrapServers, when set, is the value of a variable referenced in
	// bootstrap.servers that Values leave out. The app sets it from context
	// bootstrapServers in self-managed Kafka mode only; with MSK the brokers
	// are not known at synth time and must be given in Values.
	BootstrapServers string
	// Preset are variables that are set anyway: the Lambda runtime's
	// (LambdaReservedEnv) and the app's own (SLKC_CONNECTOR_CONFIG, the
	// SLKC_*_TABLE names). A reference to one needs no value, and Values
	// must not hold one.
	Preset map[string]bool
}

// Resolve returns the variables to set on c's function: one per distinct
// referenced variable that is not preset. All problems are reported
// together, each naming the connector, the key and the variable:
//   - an ${env:...} reference in a secret key (IsSecretKey): secrets must be
//     ${secretsmanager:SECRET_ID:JSON_KEY} references in AWS;
//   - a variable without a value in Values (nor a bootstrap default);
//   - a name Lambda does not accept, or a value given for a preset variable.
func (r EnvResolver) Resolve(c Connector) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	for _, ref := range c.EnvRefs() {
		where := fmt.Sprintf("connector %s (%s): key %q: ${env:%s}", c.Name, c.File, ref.Key, ref.Var)
		if IsSecretKey(ref.Key) {
			errs = append(errs, fmt.Errorf("%s: a password or secret key may not take its value from an environment variable in AWS, "+
				"where the value would be plain text in the template and the function's configuration; "+
				"use ${secretsmanager:SECRET_ID:JSON_KEY} and add the secret's ARN to context secretArns", where))
			continue
		}
		if r.Preset[ref.Var] {
			if _, given := r.Values[ref.Var]; given {
				errs = append(errs, fmt.Errorf("%s: %s is set by Lambda or the app, remove it from context functionEnv", where, ref.Var))
			}
			continue
		}
		if err := ValidEnvName(ref.Var); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
			continue
		}
		v, ok := r.Values[ref.Var]
		if !ok && ref.Key == KeyBootstrapServers && r.BootstrapServers != "" {
			v, ok = r.BootstrapServers, true
		}
		if !ok {
			hint := ""
			if ref.Key == KeyBootstrapServers {
				hint = " (with kafkaMode=self-managed it defaults to context bootstrapServers; for MSK give the cluster's bootstrap brokers, `aws kafka get-bootstrap-brokers`)"
			}
			errs = append(errs, fmt.Errorf("%s: variable %s has no value: set it in context functionEnv, e.g. -c functionEnv=%s=VALUE%s",
				where, ref.Var, ref.Var, hint))
			continue
		}
		out[ref.Var] = v
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}
