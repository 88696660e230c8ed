// Package stack holds the CDK constructs that deploy serverless Kafka Connect
// connectors: SourceConnector (scheduled poller function), SinkConnector
// (function behind a Kafka event source mapping), StateTables (offsets, leases
// and status on DynamoDB), a Dashboard, and NewPipelineStack, which wires them
// for every connector file of a pipeline folder.
//
// Conventions: one constructor per construct, NewX(scope, id, props), returning
// an error for invalid props instead of panicking; permissions are granted to
// each function's own role as inline statements scoped to ARNs (no managed
// policies). The few statements that need "*" say why next to them and carry
// checkov and cdk-nag suppressions with the reason in the resource's Metadata
// (checkov.skip and cdk_nag.rules_to_suppress; see suppress.go).
package stack
