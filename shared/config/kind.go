package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Kind says whether a connector reads into Kafka (Source) or writes out of
// it (Sink).
type Kind int

// Connector kinds.
const (
	Source Kind = iota + 1
	Sink
)

// String returns "source" or "sink".
func (k Kind) String() string {
	switch k {
	case Source:
		return "source"
	case Sink:
		return "sink"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

type classInfo struct {
	kind      Kind
	canonical string
}

// classes maps every registered connector.class value (canonical or alias)
// to its kind and canonical class. The connector registry
// (connectors.Register) fills it at init; nothing else names classes.
var (
	classesMu sync.RWMutex
	classes   = map[string]classInfo{}
)

// RegisterClass makes canonical and its aliases known as connector.class
// values of kind. It is called by connectors.Register, which also keeps the
// connector's definitions and constructors; call that instead. It panics
// when a name is already registered for another class, because two
// connectors claiming one class name is a programming error.
func RegisterClass(kind Kind, canonical string, aliases ...string) {
	classesMu.Lock()
	defer classesMu.Unlock()
	for _, name := range append([]string{canonical}, aliases...) {
		if prev, ok := classes[name]; ok && prev.canonical != canonical {
			panic(fmt.Sprintf("config: connector class %q registered for %s and %s", name, prev.canonical, canonical))
		}
		classes[name] = classInfo{kind, canonical}
	}
}

// ConnectorKind maps a connector.class value, canonical or one of the
// aliases users know from other connectors (the Confluent JDBC names, ...),
// to its kind and canonical class. Surrounding spaces are ignored. An
// unknown class is an error listing the known ones.
func ConnectorKind(class string) (Kind, string, error) {
	classesMu.RLock()
	c, ok := classes[strings.TrimSpace(class)]
	classesMu.RUnlock()
	if !ok {
		return 0, "", fmt.Errorf("config: unknown %s %q; known: %s", KeyConnectorClass, class, strings.Join(ConnectorClasses(), ", "))
	}
	return c.kind, c.canonical, nil
}

// ConnectorClasses returns every accepted connector.class value (canonical
// classes and aliases), sorted.
func ConnectorClasses() []string {
	classesMu.RLock()
	defer classesMu.RUnlock()
	return slices.Sorted(maps.Keys(classes))
}
