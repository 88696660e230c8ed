package connectapi

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/serverless-kafka-connect/slkc/connectors"
)

// PluginHeads reads source tables' heads through the connector registry:
// each connector's plugin opens its own reader (Plugin.Heads) with the
// connector's config. Resolve turns the config's ${env:...} and
// ${secretsmanager:...} references into values, with the providers of the
// place it runs. A connector's reader is opened on first use and kept;
// Close closes them all.
type PluginHeads struct {
	Resolve func(ctx context.Context, props map[string]string) (map[string]string, error)

	mu      sync.Mutex
	readers map[string]connectors.HeadReader
}

var _ Heads = (*PluginHeads)(nil)

// reader returns the connector's head reader, opening it on first use. A
// class whose plugin has no Heads is refused, naming the classes that do.
func (m *PluginHeads) reader(ctx context.Context, c Connector) (connectors.HeadReader, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.readers[c.Name]; ok {
		return r, nil
	}
	p, err := connectors.Lookup(c.Class)
	if err != nil || p.Heads == nil {
		var with []string
		for _, p := range connectors.Plugins() {
			if p.Heads != nil {
				with = append(with, p.Class)
			}
		}
		return nil, fmt.Errorf("connector class %s: the control plane reads table heads of %s only", c.Class, strings.Join(with, ", "))
	}
	props := c.Config
	if m.Resolve != nil {
		if props, err = m.Resolve(ctx, c.Config); err != nil {
			return nil, fmt.Errorf("resolving the config of %s: %w", c.Name, err)
		}
	}
	r, err := p.Heads(props)
	if err != nil {
		return nil, fmt.Errorf("connector %s: %w", c.Name, err)
	}
	if m.readers == nil {
		m.readers = map[string]connectors.HeadReader{}
	}
	m.readers[c.Name] = r
	return r, nil
}

// Head reads the head of the partition's table with the connector's
// reader.
func (m *PluginHeads) Head(ctx context.Context, c Connector, p connectors.Partition) (Head, error) {
	r, err := m.reader(ctx, c)
	if err != nil {
		return Head{}, err
	}
	return r.Head(ctx, p)
}

// Close closes the readers.
func (m *PluginHeads) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs []error
	for _, r := range m.readers {
		errs = append(errs, r.Close())
	}
	m.readers = nil
	return errors.Join(errs...)
}
