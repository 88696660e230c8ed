package transform

import (
	"sync"
	"sync/atomic"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// maxCachedSchemas bounds the per-transform schema caches, like Debezium's
// SCHEMA_CACHE_SIZE: sinks see few schemas (JsonConverter reuses one
// pointer per distinct schema), but a source that builds a new schema per
// record must not grow memory without bound.
const maxCachedSchemas = 1024

// planCache maps an input schema pointer to the plan built for it.
type planCache[T any] struct {
	m sync.Map
	n atomic.Int64
}

// get returns the cached plan for s or builds it.
func (c *planCache[T]) get(s *connect.Schema, build func(*connect.Schema) T) T {
	if v, ok := c.m.Load(s); ok {
		return v.(T)
	}
	p := build(s)
	if c.n.Load() >= maxCachedSchemas {
		return p
	}
	actual, loaded := c.m.LoadOrStore(s, p)
	if !loaded {
		c.n.Add(1)
	}
	return actual.(T)
}
