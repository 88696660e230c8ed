package transform

const (
	kafkaPkg     = "org.apache.kafka.connect.transforms."
	predicatePkg = "org.apache.kafka.connect.transforms.predicates."
)

// Transform type names accepted in transforms.<alias>.type.
const (
	ExtractNewRecordStateType = "io.debezium.transforms.ExtractNewRecordState"
	ReplaceFieldValueType     = kafkaPkg + "ReplaceField$Value"
	ReplaceFieldKeyType       = kafkaPkg + "ReplaceField$Key"
	RegexRouterType           = kafkaPkg + "RegexRouter"
)

// transformTypes maps each accepted transforms.<alias>.type to its
// constructor; the constructor reads its keys from c and reports problems
// there.
var transformTypes = map[string]func(c *config) Transform{
	ExtractNewRecordStateType: func(c *config) Transform { return newExtractNewRecordState(c) },
	RegexRouterType:           func(c *config) Transform { return newRegexRouter(c) },
	kafkaPkg + "DropHeaders":  func(c *config) Transform { return newDropHeaders(c) },
	kafkaPkg + "Filter":       func(c *config) Transform { return filter{} },
	kafkaPkg + "InsertHeader": func(c *config) Transform { return newInsertHeader(c) },
	kafkaPkg + "TimestampRouter": func(c *config) Transform {
		return newTimestampRouter(c)
	},
	kafkaPkg + "ValueToKey": func(c *config) Transform { return newValueToKey(c) },
}

// sided are the transforms with a $Key and a $Value variant.
var sided = map[string]func(c *config, s side) Transform{
	"Cast":               func(c *config, s side) Transform { return newCast(c, s) },
	"ExtractField":       func(c *config, s side) Transform { return newExtractField(c, s) },
	"Flatten":            func(c *config, s side) Transform { return newFlatten(c, s) },
	"HeaderFrom":         func(c *config, s side) Transform { return newHeaderFrom(c, s) },
	"HoistField":         func(c *config, s side) Transform { return newHoistField(c, s) },
	"InsertField":        func(c *config, s side) Transform { return newInsertField(c, s) },
	"MaskField":          func(c *config, s side) Transform { return newMaskField(c, s) },
	"ReplaceField":       func(c *config, s side) Transform { return newReplaceField(c, bool(s)) },
	"SetSchemaMetadata":  func(c *config, s side) Transform { return newSetSchemaMetadata(c, s) },
	"TimestampConverter": func(c *config, s side) Transform { return newTimestampConverter(c, s) },
}

func init() {
	for name, ctor := range sided {
		transformTypes[kafkaPkg+name+"$Key"] = func(c *config) Transform { return ctor(c, keySide) }
		transformTypes[kafkaPkg+name+"$Value"] = func(c *config) Transform { return ctor(c, valueSide) }
	}
}

// predicateTypes maps each accepted predicates.<alias>.type to its constructor.
var predicateTypes = map[string]func(c *config) Predicate{
	predicatePkg + "TopicNameMatches":  func(c *config) Predicate { return newTopicNameMatches(c) },
	predicatePkg + "HasHeaderKey":      func(c *config) Predicate { return newHasHeaderKey(c) },
	predicatePkg + "RecordIsTombstone": func(c *config) Predicate { return recordIsTombstone{} },
}

// Types lists the supported transform types, sorted.
func Types() []string { return sortedKeys(transformTypes) }

// PredicateTypes lists the supported predicate types, sorted.
func PredicateTypes() []string { return sortedKeys(predicateTypes) }
