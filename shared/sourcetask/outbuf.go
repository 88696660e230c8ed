package sourcetask

import (
	"sync"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// AppendConverter is a Converter that can also encode into a buffer the
// caller owns; shared/convert's JsonConverter is one. A Task encodes the
// keys and values of a page with it into blocks of its own (laid out by
// convert.Blocks), and reuses a page's blocks once every record of the
// page is acknowledged, instead of leaving a page's worth of fresh, zeroed
// blocks to the collector.
type AppendConverter interface {
	Converter
	AppendFromConnect(b []byte, topic string, schema *connect.Schema, value any) ([]byte, error)
}

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

// get returns an empty block of convert.BlockSize bytes.
func (p *blockPool) get() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		p.reused++
		return b[:0]
	}
	return make([]byte, 0, convert.BlockSize)
}

// put takes back blocks no record refers to any more.
func (p *blockPool) put(blocks [][]byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	room := max(0, maxFreeBlocks-len(p.free))
	p.free = append(p.free, blocks[:min(room, len(blocks))]...)
}

// encode converts value with conv: into bl's blocks when conv is an
// AppendConverter (nil for a tombstone, as FromConnect), else with
// FromConnect.
func encode(conv Converter, bl *convert.Blocks, topic string, schema *connect.Schema, value any) ([]byte, error) {
	ac, ok := conv.(AppendConverter)
	if !ok {
		return conv.FromConnect(topic, schema, value)
	}
	if schema == nil && value == nil {
		return nil, nil
	}
	out, err := ac.AppendFromConnect(bl.Free(), topic, schema, value)
	if err != nil {
		return nil, err
	}
	return bl.Keep(out), nil
}
