package sourcetask

import (
	"sync"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// AppendConverter is a Converter that can also encode into a buffer the
// caller owns; shared/convert's JsonConverter is one. A Task encodes the
// keys and values of a page with it into blocks of its own, and reuses a
// page's blocks once every record of the page is acknowledged, instead of
// leaving a page's worth of fresh, zeroed blocks to the collector.
type AppendConverter interface {
	Converter
	AppendFromConnect(b []byte, topic string, schema *connect.Schema, value any) ([]byte, error)
}

// outBlockSize is the size of the blocks records are encoded into; a
// record of more than outBlockSize/8 bytes gets an allocation of its own.
const outBlockSize = 32 << 10

// maxFreeBlocks bounds the blocks a Task keeps for reuse: 32 MiB, the
// blocks of about three pages of 10,000 records of 1 KB (the page
// acknowledged, the page in flight and the page being converted).
const maxFreeBlocks = 1024

// blockPool keeps the blocks of acknowledged pages for the next pages.
type blockPool struct {
	mu     sync.Mutex
	free   [][]byte
	reused int // blocks handed out again, for tests
}

// get returns an empty block.
func (p *blockPool) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		p.reused++
		return b[:0]
	}
	return make([]byte, 0, outBlockSize)
}

// put takes back blocks no record refers to any more.
func (p *blockPool) put(blocks [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	room := max(0, maxFreeBlocks-len(p.free))
	p.free = append(p.free, blocks[:min(room, len(blocks))]...)
}

// outArena is where one goroutine encodes the records of one page: the
// free end of its current block and the blocks it took, which stay in use
// until the page is acknowledged.
type outArena struct {
	pool *blockPool
	cur  []byte // the free end of the current block (length 0)
	used [][]byte
}

// encode returns conv's encoding of value with its schema: nil for a
// tombstone; otherwise written straight into the free end of the current
// block (a new block when it does not fit), or an allocation of its own
// when it is big. The result's capacity is capped at its length.
func (a *outArena) encode(conv AppendConverter, topic string, schema *connect.Schema, value any) ([]byte, error) {
	if schema == nil && value == nil {
		return nil, nil
	}
	out, err := conv.AppendFromConnect(a.cur, topic, schema, value)
	if err != nil {
		return nil, err
	}
	n := len(out)
	if cap(out) == cap(a.cur) && n > 0 {
		// It fitted: keep it where it was written.
		a.cur = out[n:]
		return out[:n:n], nil
	}
	// append moved it to a new array, which is the record's own.
	if n > outBlockSize/8 {
		return out[:n:n], nil
	}
	blk := a.pool.get()
	a.used = append(a.used, blk[:cap(blk)])
	blk = append(blk, out...)
	a.cur = blk[n:]
	return blk[:n:n], nil
}

// encode converts value with conv: into a when conv is an AppendConverter,
// else with FromConnect.
func encode(conv Converter, a *outArena, topic string, schema *connect.Schema, value any) ([]byte, error) {
	if ac, ok := conv.(AppendConverter); ok {
		return a.encode(ac, topic, schema, value)
	}
	return conv.FromConnect(topic, schema, value)
}
