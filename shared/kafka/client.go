// Package kafka builds franz-go clients from a connector's Kafka client
// settings (bootstrap.servers, security.protocol, sasl.*, ssl.*,
// producer.override.*) and creates missing topics.
//
// Every client is an idempotent producer that waits for all in-sync replicas
// (acks=all), so a produce acknowledged by NewClient's client is durable and
// never duplicated by the client's own retries.
package kafka

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	awssasl "github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Security protocols (security.protocol).
const (
	ProtocolPlaintext     = "PLAINTEXT"
	ProtocolSSL           = "SSL"
	ProtocolSASLPlaintext = "SASL_PLAINTEXT"
	ProtocolSASLSSL       = "SASL_SSL"
)

// SASL mechanisms (sasl.mechanism).
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
	MechanismMSKIAM      = "AWS_MSK_IAM"
)

// Config holds the Kafka client settings of a connector. The comment of each
// field names the connector config key it comes from.
type Config struct {
	// Bootstrap is bootstrap.servers: host:port seeds; at least one.
	Bootstrap []string
	// SecurityProtocol is security.protocol (case-insensitive); empty means
	// PLAINTEXT.
	SecurityProtocol string
	// SASLMechanism is sasl.mechanism; required with SASL_PLAINTEXT and
	// SASL_SSL, forbidden otherwise. AWS_MSK_IAM needs SASL_SSL.
	SASLMechanism string
	// Username and Password are sasl.username and sasl.password, required by
	// PLAIN and SCRAM-*, ignored by AWS_MSK_IAM (which signs with the AWS
	// default credential chain).
	Username, Password string
	// CALocation is ssl.ca.location, a PEM file of CA certificates; empty
	// means the system roots. CertLocation and KeyLocation
	// (ssl.certificate.location, ssl.key.location) are a PEM client
	// certificate and key for mutual TLS; both or neither.
	CALocation, CertLocation, KeyLocation string
	// Compression is producer.override.compression.type:
	// none|gzip|snappy|lz4|zstd; empty means none (Kafka's default).
	Compression string
	// LingerMs is producer.override.linger.ms; 0 sends as soon as possible.
	LingerMs int
	// BatchBytes is producer.override.batch.size, the maximum bytes of one
	// record batch; 0 keeps franz-go's default of 1000012 bytes (the
	// broker's default message.max.bytes).
	BatchBytes int
	// ClientID is the client.id sent to brokers; empty keeps franz-go's
	// default ("kgo").
	ClientID string
}

// Validate reports every problem in c at once, naming the config key of each.
func (c Config) Validate() error {
	var errs []error
	if len(c.Bootstrap) == 0 {
		errs = append(errs, errors.New("bootstrap.servers: at least one host:port is required"))
	}
	for _, b := range c.Bootstrap {
		if strings.TrimSpace(b) == "" {
			errs = append(errs, fmt.Errorf("bootstrap.servers: empty entry in %q", strings.Join(c.Bootstrap, ",")))
			break
		}
	}
	proto := c.protocol()
	switch proto {
	case ProtocolPlaintext, ProtocolSSL, ProtocolSASLPlaintext, ProtocolSASLSSL:
	default:
		errs = append(errs, fmt.Errorf("security.protocol: %q is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL", c.SecurityProtocol))
	}
	saslProto := proto == ProtocolSASLPlaintext || proto == ProtocolSASLSSL
	tlsProto := proto == ProtocolSSL || proto == ProtocolSASLSSL
	switch c.SASLMechanism {
	case "":
		if saslProto {
			errs = append(errs, fmt.Errorf("sasl.mechanism: required when security.protocol is %s (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or AWS_MSK_IAM)", proto))
		}
	case MechanismPlain, MechanismScramSHA256, MechanismScramSHA512:
		if !saslProto {
			errs = append(errs, fmt.Errorf("sasl.mechanism: %s needs security.protocol SASL_PLAINTEXT or SASL_SSL, got %q", c.SASLMechanism, proto))
		}
		if c.Username == "" || c.Password == "" {
			errs = append(errs, fmt.Errorf("sasl.username, sasl.password: both are required with sasl.mechanism %s", c.SASLMechanism))
		}
	case MechanismMSKIAM:
		if proto != ProtocolSASLSSL {
			errs = append(errs, fmt.Errorf("sasl.mechanism: AWS_MSK_IAM needs security.protocol SASL_SSL, got %q", proto))
		}
	default:
		errs = append(errs, fmt.Errorf("sasl.mechanism: %q is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, AWS_MSK_IAM", c.SASLMechanism))
	}
	if !tlsProto && (c.CALocation != "" || c.CertLocation != "" || c.KeyLocation != "") {
		errs = append(errs, fmt.Errorf("ssl.ca.location, ssl.certificate.location, ssl.key.location: only allowed with security.protocol SSL or SASL_SSL, got %q", proto))
	}
	if (c.CertLocation == "") != (c.KeyLocation == "") {
		errs = append(errs, errors.New("ssl.certificate.location, ssl.key.location: set both or neither"))
	}
	if _, err := codec(c.Compression); err != nil {
		errs = append(errs, err)
	}
	if c.LingerMs < 0 {
		errs = append(errs, fmt.Errorf("producer.override.linger.ms: %d must be >= 0", c.LingerMs))
	}
	if c.BatchBytes < 0 || int64(c.BatchBytes) > 1<<30 {
		errs = append(errs, fmt.Errorf("producer.override.batch.size: %d must be between 0 and 1073741824", c.BatchBytes))
	}
	return errors.Join(errs...)
}

// protocol is the upper-cased security protocol, as Kafka's
// SecurityProtocol.forName reads it.
func (c Config) protocol() string {
	if c.SecurityProtocol == "" {
		return ProtocolPlaintext
	}
	return strings.ToUpper(c.SecurityProtocol)
}

func codec(name string) (kgo.CompressionCodec, error) {
	switch name {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("producer.override.compression.type: %q is not one of none, gzip, snappy, lz4, zstd", name)
}

// Opts validates c and returns the franz-go options it stands for: seeds,
// idempotent acks=all producing, compression, linger, batch size, client id,
// TLS and SASL. It reads the PEM files and, for AWS_MSK_IAM, loads the AWS
// SDK's default configuration (ctx bounds that load).
func (c Config) Opts(ctx context.Context) ([]kgo.Opt, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("kafka: invalid client config: %w", err)
	}
	cc, _ := codec(c.Compression)
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Bootstrap...),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerBatchCompression(cc),
		kgo.ProducerLinger(time.Duration(c.LingerMs) * time.Millisecond),
	}
	if c.BatchBytes > 0 {
		opts = append(opts, kgo.ProducerBatchMaxBytes(int32(c.BatchBytes)))
	}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	proto := c.protocol()
	if proto == ProtocolSSL || proto == ProtocolSASLSSL {
		tc, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if c.SASLMechanism != "" {
		m, err := c.mechanism(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(m))
	}
	return opts, nil
}

// tlsConfig loads the CA and client certificate files. ServerName is left
// empty: franz-go sets it to the host of each broker it dials.
func (c Config) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CALocation != "" {
		pem, err := os.ReadFile(c.CALocation)
		if err != nil {
			return nil, fmt.Errorf("kafka: ssl.ca.location: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka: ssl.ca.location: %s holds no PEM certificate", c.CALocation)
		}
		tc.RootCAs = pool
	}
	if c.CertLocation != "" {
		cert, err := tls.LoadX509KeyPair(c.CertLocation, c.KeyLocation)
		if err != nil {
			return nil, fmt.Errorf("kafka: ssl.certificate.location %s, ssl.key.location %s: %w", c.CertLocation, c.KeyLocation, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

func (c Config) mechanism(ctx context.Context) (sasl.Mechanism, error) {
	switch c.SASLMechanism {
	case MechanismPlain:
		return plain.Auth{User: c.Username, Pass: c.Password}.AsMechanism(), nil
	case MechanismScramSHA256:
		return scram.Auth{User: c.Username, Pass: c.Password}.AsSha256Mechanism(), nil
	case MechanismScramSHA512:
		return scram.Auth{User: c.Username, Pass: c.Password}.AsSha512Mechanism(), nil
	case MechanismMSKIAM:
		awsCfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("kafka: sasl.mechanism AWS_MSK_IAM: loading AWS config: %w", err)
		}
		creds := awsCfg.Credentials
		if creds == nil {
			return nil, errors.New("kafka: sasl.mechanism AWS_MSK_IAM: the AWS default credential chain found no credentials provider")
		}
		// Called for every new broker connection; the SDK's credentials
		// cache refreshes expiring (e.g. Lambda role) credentials.
		return awssasl.ManagedStreamingIAM(func(ctx context.Context) (awssasl.Auth, error) {
			v, err := creds.Retrieve(ctx)
			if err != nil {
				return awssasl.Auth{}, fmt.Errorf("kafka: AWS_MSK_IAM: retrieving AWS credentials: %w", err)
			}
			return awssasl.Auth{
				AccessKey:    v.AccessKeyID,
				SecretKey:    v.SecretAccessKey,
				SessionToken: v.SessionToken,
				UserAgent:    "slkc",
			}, nil
		}), nil
	}
	return nil, fmt.Errorf("kafka: sasl.mechanism: unsupported %q", c.SASLMechanism)
}

// NewClient validates cfg and returns a client built from it. opts are
// applied after cfg's options, so callers can add (e.g. kgo.WithLogger,
// consumer options) or override them. The client connects lazily: a bad
// address or bad credentials surface on the first request, not here. Close
// the client when done.
func NewClient(ctx context.Context, cfg Config, opts ...kgo.Opt) (*kgo.Client, error) {
	base, err := cfg.Opts(ctx)
	if err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka: creating client for %s: %w", strings.Join(cfg.Bootstrap, ","), err)
	}
	return cl, nil
}
