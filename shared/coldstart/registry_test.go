package coldstart

// The tests resolve connector classes through the connectors registry, as
// the functions do.
import _ "github.com/serverless-kafka-connect/slkc/connectors/all"
