package kafka

import (
	"strings"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// ClientKeys are the connector config keys a Kafka client is built from
// (ConfigFromProps): bootstrap servers, security protocol, SASL and TLS.
var ClientKeys = []string{config.KeyBootstrapServers, config.KeySecurityProtocol, config.KeySASLMechanism,
	config.KeySASLUsername, config.KeySASLPassword, config.KeySSLCALocation, config.KeySSLCertLocation, config.KeySSLKeyLocation}

// ConfigFromProps builds the client Config from resolved connector props
// (config provider references already replaced); Opts validates it.
func ConfigFromProps(props map[string]string) Config {
	return Config{
		Bootstrap:        config.SplitList(props[config.KeyBootstrapServers]),
		SecurityProtocol: strings.ToUpper(strings.TrimSpace(props[config.KeySecurityProtocol])),
		SASLMechanism:    props[config.KeySASLMechanism],
		Username:         props[config.KeySASLUsername],
		Password:         props[config.KeySASLPassword],
		CALocation:       props[config.KeySSLCALocation],
		CertLocation:     props[config.KeySSLCertLocation],
		KeyLocation:      props[config.KeySSLKeyLocation],
	}
}
