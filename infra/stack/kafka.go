package stack

import (
	"fmt"
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/kafka"
)

// Kafka modes.
const (
	KafkaModeMSK         = "msk"
	KafkaModeSelfManaged = "self-managed"
)

// Network places functions (and the self-managed Kafka event source mapping)
// in a VPC. Zero value: no VPC.
type Network struct {
	VpcID            string   // informational; Lambda derives it from the subnets
	SubnetIDs        []string // private subnets with a route to Kafka and the databases
	SecurityGroupIDs []string
}

// Enabled reports whether subnets are set.
func (n *Network) Enabled() bool { return n != nil && len(n.SubnetIDs) > 0 }

// Kafka tells how functions and event source mappings reach the cluster.
type Kafka struct {
	// Mode is KafkaModeMSK (Amazon MSK with IAM auth) or KafkaModeSelfManaged.
	Mode string
	// MSKClusterARN is the provisioned or serverless MSK cluster (msk mode).
	MSKClusterARN string
	// BootstrapServers are host:port pairs (self-managed mode).
	BootstrapServers []string
	// SASLSecretARN holds {"username","password"} for SASL/SCRAM (self-managed).
	SASLSecretARN string
	// SASLMechanism is SCRAM-SHA-256 or SCRAM-SHA-512 (default) for the mapping.
	SASLMechanism string
	// MTLSSecretARN holds the client certificate and key for mTLS (self-managed).
	MTLSSecretARN string
	// RootCASecretARN holds the broker CA certificate when it is private (self-managed).
	RootCASecretARN string
}

// Validate checks that the mode has what it needs.
func (k Kafka) Validate() error {
	switch k.Mode {
	case KafkaModeMSK:
		if _, err := parseMSKClusterARN(k.MSKClusterARN); err != nil {
			return err
		}
	case KafkaModeSelfManaged:
		if len(k.BootstrapServers) == 0 {
			return fmt.Errorf("kafka: self-managed mode needs bootstrap servers (context bootstrapServers)")
		}
		switch k.SASLMechanism {
		case "", "SCRAM-SHA-256", "SCRAM-SHA-512":
		default:
			return fmt.Errorf("kafka: SASL mechanism %q, allowed SCRAM-SHA-256 or SCRAM-SHA-512", k.SASLMechanism)
		}
		if k.SASLSecretARN != "" && k.MTLSSecretARN != "" {
			return fmt.Errorf("kafka: choose SASL/SCRAM (saslSecretArn) or mTLS (mtlsSecretArn), not both")
		}
	default:
		return fmt.Errorf("kafka: mode %q, allowed %q or %q", k.Mode, KafkaModeMSK, KafkaModeSelfManaged)
	}
	return nil
}

// selfManagedBootstrap is the bootstrap.servers value of self-managed mode
// (comma separated), empty with MSK, whose brokers are not known at synth.
func (k Kafka) selfManagedBootstrap() string {
	if k.Mode != KafkaModeSelfManaged {
		return ""
	}
	return strings.Join(k.BootstrapServers, ",")
}

// mskCluster is a parsed MSK cluster ARN:
// arn:PARTITION:kafka:REGION:ACCOUNT:cluster/NAME/UUID.
type mskCluster struct {
	arn, prefix, name, uuid string // prefix = arn:PARTITION:kafka:REGION:ACCOUNT
}

func parseMSKClusterARN(arn string) (mskCluster, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kafka" {
		return mskCluster{}, fmt.Errorf("kafka: MSK cluster ARN %q (context mskClusterArn) is not arn:aws:kafka:REGION:ACCOUNT:cluster/NAME/UUID", arn)
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != "cluster" || res[1] == "" || res[2] == "" {
		return mskCluster{}, fmt.Errorf("kafka: MSK cluster ARN %q: resource must be cluster/NAME/UUID", arn)
	}
	return mskCluster{arn: arn, prefix: strings.Join(parts[:5], ":"), name: res[1], uuid: res[2]}, nil
}

// topicARN is the IAM resource for a topic (or a topic name pattern).
func (c mskCluster) topicARN(topic string) string {
	return fmt.Sprintf("%s:topic/%s/%s/%s", c.prefix, c.name, c.uuid, topic)
}

// groupARN is the IAM resource for a consumer group.
func (c mskCluster) groupARN(group string) string {
	return fmt.Sprintf("%s:group/%s/%s/%s", c.prefix, c.name, c.uuid, group)
}

// literalTopic reports whether topic is a literal topic name that an IAM
// resource can hold (false for a ${...} reference, resolved only at run
// time), and refuses a literal that is not a valid Kafka topic name, so no
// IAM wildcard (* or ?) reaches a topic ARN. key names the setting.
func literalTopic(key, topic string) (bool, error) {
	if strings.Contains(topic, "${") {
		return false, nil
	}
	if err := kafka.ValidateTopicName(topic); err != nil {
		return false, fmt.Errorf("%s %q: %w", key, topic, err)
	}
	return true, nil
}
