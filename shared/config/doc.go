// Package config reads Kafka Connect connector configuration: the JSON files
// ({"name": ..., "config": {...}}), config provider references
// (${env:VAR}, ${secretsmanager:SECRET_ID:JSON_KEY}), and key definitions in
// the style of Kafka's ConfigDef that validate every key at cold start and
// report all problems together.
//
// Call order at cold start:
//
//	f, err := config.Load(path)                              // or LoadFromEnv / Parse / LoadDir
//	props, err := config.Resolve(ctx, f.Config, providers)   // ${env:..}, ${secretsmanager:..}
//	kind, _, err := config.ConnectorKind(props[config.KeyConnectorClass])
//	def := config.FrameworkDef(kind).Merge(mysql.SinkDef()) // framework keys + connector keys
//	vals, err := def.Parse(props)                            // every problem, joined, sorted by key
//	fw, err := config.ParseFramework(vals)                   // typed framework settings
package config
