package dynamodb

import "github.com/serverless-kafka-connect/slkc/shared/config"

// reasonCredentials is why AWS credentials in the connector config are
// refused.
const reasonCredentials = "the function signs its DynamoDB requests with its own credentials: the execution role in AWS " +
	"(the CDK app grants it the table), the environment's (AWS_ACCESS_KEY_ID ...) locally; remove the key and grant the role instead"

// CompatDef returns the keys of the Confluent DynamoDB sink's reference that
// this sink refuses, each with its reason (credentials: the function's role
// is used). ConfigDef includes them.
func CompatDef() *config.Def {
	return config.NewDef(
		config.Key{Name: "aws.dynamodb.credentials.provider.class", Type: config.Class, Group: GroupSink, Status: config.Refused,
			Reason: reasonCredentials, Doc: "AWS credentials provider class."},
		config.Key{Name: "aws.access.key.id", Type: config.String, Group: GroupSink, Status: config.Refused,
			Reason: reasonCredentials, Doc: "AWS access key id."},
		config.Key{Name: "aws.secret.access.key", Type: config.Password, Group: GroupSink, Status: config.Refused,
			Reason: reasonCredentials, Doc: "AWS secret access key."},
	)
}
