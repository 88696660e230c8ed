package convert

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// jsonConverter is org.apache.kafka.connect.json.JsonConverter.
type jsonConverter struct {
	schemasEnable  bool
	numericDecimal bool
	replaceNull    bool
	isKey          bool
	// entryObjects writes and reads the entries of maps with non-string
	// keys as {"key":k,"value":v} objects (JsonSchemaConverter's JSON body)
	// instead of JsonConverter's [k, v] pairs.
	entryObjects bool

	// What the encoder keeps per schema pointer (its JSON, the plan of a
	// struct's fields): sources reuse one schema for every row, so the
	// envelope's schema half and the field names are encoded once.
	encMu    sync.RWMutex
	encCache map[*connect.Schema]*encEntry
	lastEnc  atomic.Pointer[encEntry]
	// Parsed schemas per schema JSON text (sink side).
	decMu     sync.RWMutex
	decCache  map[string]*decEntry
	lastDec   atomic.Pointer[decEntry]
	cacheSize int

	bufs sync.Pool
}

// encEntry is what the encoder keeps for one schema: its JSON, or the
// error building it, and for a struct value schema the plan of its fields
// (nil otherwise).
type encEntry struct {
	schema *connect.Schema
	json   []byte
	err    error
	fields []fieldPlan
}

var jsonKeys = map[string]string{
	"schemas.enable":            "true|false",
	"schemas.cache.size":        "a non-negative int",
	"decimal.format":            "BASE64|NUMERIC",
	"replace.null.with.default": "true|false",
}

func newJSON(props map[string]string, isKey bool) (*jsonConverter, error) {
	if err := checkProps(props, jsonKeys); err != nil {
		return nil, err
	}
	c := &jsonConverter{schemasEnable: true, replaceNull: true, isKey: isKey, cacheSize: 1000}
	var err error
	if v, ok := props["schemas.enable"]; ok {
		if c.schemasEnable, err = parseBool(v); err != nil {
			return nil, &ConfigError{Key: "schemas.enable", Value: v, Allowed: "true or false"}
		}
	}
	if v, ok := props["replace.null.with.default"]; ok {
		if c.replaceNull, err = parseBool(v); err != nil {
			return nil, &ConfigError{Key: "replace.null.with.default", Value: v, Allowed: "true or false"}
		}
	}
	if v, ok := props["decimal.format"]; ok {
		switch strings.ToUpper(strings.TrimSpace(v)) {
		case "BASE64":
		case "NUMERIC":
			c.numericDecimal = true
		default:
			return nil, &ConfigError{Key: "decimal.format", Value: v, Allowed: "BASE64 or NUMERIC (case-insensitive)"}
		}
	}
	if v, ok := props["schemas.cache.size"]; ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return nil, &ConfigError{Key: "schemas.cache.size", Value: v, Allowed: "an integer >= 0"}
		}
		c.cacheSize = n
	}
	c.encCache = make(map[*connect.Schema]*encEntry)
	c.decCache = make(map[string]*decEntry)
	c.bufs.New = func() any { return &scratch{buf: make([]byte, 0, 1024)} }
	return c, nil
}

// parseBool accepts what Kafka's ConfigDef BOOLEAN accepts: true/false in
// any case, surrounding spaces trimmed.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, strconv.ErrSyntax
}
