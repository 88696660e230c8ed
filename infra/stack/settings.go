package stack

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
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
