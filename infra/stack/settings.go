package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/serverless-kafka-connect/slkc/infra/pipeline"
)

// Settings are the environment settings of one stage, read from CDK context
// (cdk.json or -c key=value). Keys:
//
//	env               stage name (default "dev"); the stack is named slkc-<env>
//	pipelineDir       connector config folder (default ../connectors/pipeline)
//	buildDir          folder with source-poller/ and sink-handler/ (default ../build)
//	kafkaMode         msk | self-managed (default msk)
//	mskClusterArn     MSK cluster ARN (msk)
//	bootstrapServers  host:port list, comma separated or JSON array (self-managed)
//	saslSecretArn     SASL/SCRAM secret for the event source mapping (self-managed)
//	saslMechanism     SCRAM-SHA-512 (default) | SCRAM-SHA-256
//	mtlsSecretArn     client certificate secret for mTLS (self-managed)
//	rootCaSecretArn   private CA secret of the brokers (self-managed)
//	vpcId, subnetIds, securityGroupIds   VPC placement (lists: comma separated or JSON array)
//	secretArns        ARNs of the secrets the configs reference with ${secretsmanager:...}
//	logRetentionDays  CloudWatch Logs retention (default 30)
//	alarmTopicArn     SNS topic for alarm actions (optional)
//	minimumPollers, maximumPollers   sinks' provisioned pollers (defaults 1, 3)
//	functionEnv       values of the ${env:NAME} variables the configs reference:
//	                  NAME=value,NAME2=value or a JSON object {"NAME": "value"}
//	                  (see FunctionEnvFromContext)
type Settings struct {
	Stage          string
	PipelineDir    string
	BuildDir       string
	Kafka          Kafka
	Network        *Network
	SecretARNs     []string
	LogRetention   awslogs.RetentionDays
	AlarmTopicARN  string
	MinimumPollers int
	MaximumPollers int
	// FunctionEnv holds the values of ${env:NAME} references. A function gets
	// only the variables its own config references (pipeline.EnvResolver).
	FunctionEnv map[string]string
}

// SettingsFromContext reads Settings through get (app.Node().TryGetContext
// unwrapped). Values may be strings (from -c) or JSON values (from cdk.json).
// All problems are reported together.
func SettingsFromContext(get func(key string) any) (Settings, error) {
	var errs []error
	str := func(key, def string) string {
		switch v := get(key).(type) {
		case nil:
			return def
		case string:
			if v == "" {
				return def
			}
			return strings.TrimSpace(v)
		default:
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	list := func(key string) []string {
		var raw []any
		switch v := get(key).(type) {
		case nil:
			return nil
		case []any:
			raw = v
		case string:
			s := strings.TrimSpace(v)
			if strings.HasPrefix(s, "[") {
				if err := json.Unmarshal([]byte(s), &raw); err != nil {
					errs = append(errs, fmt.Errorf("context %s: %w", key, err))
					return nil
				}
				break
			}
			for _, p := range strings.Split(s, ",") {
				raw = append(raw, p)
			}
		default:
			errs = append(errs, fmt.Errorf("context %s: want a list or comma separated string, got %T", key, v))
			return nil
		}
		var out []string
		for _, r := range raw {
			s, ok := r.(string)
			if !ok {
				errs = append(errs, fmt.Errorf("context %s: element %v is not a string", key, r))
				continue
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	num := func(key string) int {
		s := str(key, "")
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			errs = append(errs, fmt.Errorf("context %s: %q is not an integer", key, s))
		}
		return n
	}
	st := Settings{
		Stage:          str("env", "dev"),
		PipelineDir:    str("pipelineDir", "../connectors/pipeline"),
		BuildDir:       str("buildDir", "../build"),
		AlarmTopicARN:  str("alarmTopicArn", ""),
		MinimumPollers: num("minimumPollers"),
		MaximumPollers: num("maximumPollers"),
		Kafka: Kafka{
			Mode:             str("kafkaMode", KafkaModeMSK),
			MSKClusterARN:    str("mskClusterArn", ""),
			BootstrapServers: list("bootstrapServers"),
			SASLSecretARN:    str("saslSecretArn", ""),
			SASLMechanism:    str("saslMechanism", ""),
			MTLSSecretARN:    str("mtlsSecretArn", ""),
			RootCASecretARN:  str("rootCaSecretArn", ""),
		},
	}
	for _, r := range st.Stage {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			errs = append(errs, fmt.Errorf("context env: stage %q may hold only letters, digits and '-'", st.Stage))
			break
		}
	}
	if subnets := list("subnetIds"); len(subnets) > 0 {
		st.Network = &Network{VpcID: str("vpcId", ""), SubnetIDs: subnets, SecurityGroupIDs: list("securityGroupIds")}
		if len(st.Network.SecurityGroupIDs) == 0 {
			errs = append(errs, errors.New("context securityGroupIds: required with subnetIds"))
		}
	} else if len(list("securityGroupIds")) > 0 || str("vpcId", "") != "" {
		errs = append(errs, errors.New("context subnetIds: required with vpcId/securityGroupIds"))
	}
	fenv, err := FunctionEnvFromContext(get("functionEnv"))
	if err != nil {
		errs = append(errs, fmt.Errorf("context functionEnv: %w", err))
	}
	st.FunctionEnv = fenv
	st.SecretARNs = list("secretArns")
	sort.Strings(st.SecretARNs)
	for _, a := range st.SecretARNs {
		if !strings.HasPrefix(a, "arn:") || !strings.Contains(a, ":secretsmanager:") {
			errs = append(errs, fmt.Errorf("context secretArns: %q is not a Secrets Manager ARN", a))
		}
	}
	ret, err := LogRetentionDays(num("logRetentionDays"))
	if err != nil {
		errs = append(errs, fmt.Errorf("context logRetentionDays: %w", err))
	}
	st.LogRetention = ret
	if err := st.Kafka.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("context: %w", err))
	}
	return st, errors.Join(errs...)
}

// StackName is the stack of a stage: slkc-<stage>.
func (s Settings) StackName() string { return "slkc-" + s.Stage }

// FunctionEnvFromContext reads context functionEnv: nil (none), a JSON
// object of strings (cdk.json, or -c functionEnv='{"NAME":"value"}'), or
// NAME=value pairs separated by commas. In the pair form a comma-separated
// part that does not start with NAME= continues the previous value, so
// -c functionEnv=SLKC_KAFKA_BOOTSTRAP=b1:9092,b2:9092,USER=slkc works; use
// the JSON form for a value with a comma followed by NAME=. Names must be
// valid Lambda environment variable names that neither Lambda nor the app
// set (AWS_REGION, SLKC_CONNECTOR_CONFIG, SLKC_*_TABLE, ...).
func FunctionEnvFromContext(v any) (map[string]string, error) {
	out := map[string]string{}
	var errs []error
	switch t := v.(type) {
	case nil:
		return out, nil
	case map[string]any:
		for k, x := range t {
			switch y := x.(type) {
			case string:
				out[k] = y
			case float64, bool:
				out[k] = fmt.Sprint(y)
			default:
				errs = append(errs, fmt.Errorf("%s: value must be a string, got %T", k, x))
			}
		}
	case string:
		s := strings.TrimSpace(t)
		if strings.HasPrefix(s, "{") {
			var m map[string]any
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				return nil, fmt.Errorf("JSON object: %w", err)
			}
			return FunctionEnvFromContext(m)
		}
		last := ""
		for _, part := range strings.Split(s, ",") {
			name, val, ok := strings.Cut(part, "=")
			if ok && envNamePrefix.MatchString(strings.TrimSpace(name)) {
				last = strings.TrimSpace(name)
				if _, dup := out[last]; dup {
					errs = append(errs, fmt.Errorf("%s: given twice", last))
				}
				out[last] = val
				continue
			}
			if last == "" {
				if strings.TrimSpace(part) != "" {
					errs = append(errs, fmt.Errorf("%q: want NAME=value", part))
				}
				continue
			}
			out[last] += "," + part
		}
	default:
		return nil, fmt.Errorf("want NAME=value,... or a JSON object, got %T", v)
	}
	names := slices.Sorted(maps.Keys(out))
	for _, k := range names {
		if err := pipeline.ValidEnvName(k); err != nil {
			errs = append(errs, err)
		} else if appEnv[k] {
			errs = append(errs, fmt.Errorf("environment variable %s is set by the app", k))
		}
	}
	return out, errors.Join(errs...)
}

// envNamePrefix is a NAME= candidate in the pair form.
var envNamePrefix = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// appEnv are the variables every function gets from the app.
var appEnv = map[string]bool{
	"SLKC_CONNECTOR_CONFIG": true, "SLKC_CONNECTOR_CONFIG_FILE": true,
	"SLKC_WORKER_CONFIG": true, "SLKC_WORKER_CONFIG_FILE": true,
	"SLKC_OFFSETS_TABLE": true, "SLKC_LEASES_TABLE": true, "SLKC_STATUS_TABLE": true,
}

// presetEnv are the variables a ${env:...} reference may use without a
// functionEnv value: Lambda's and the app's.
func presetEnv() map[string]bool {
	m := map[string]bool{}
	for k := range appEnv {
		m[k] = true
	}
	for _, k := range pipeline.LambdaReservedEnv {
		m[k] = true
	}
	return m
}
