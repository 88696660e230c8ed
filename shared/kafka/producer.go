package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Producer sends records the way Kafka's Java producer does with
// batch.size: records are batched up to Config.BatchBytes, and a record
// too large for such a batch still goes out, in a batch of its own (up to
// the broker's default message.max.bytes). franz-go treats its batch size
// as a hard limit and fails a larger record before sending it, so with a
// batch size of 16 KB (the Java producer's default) any source row or dead
// letter of 16 KB or more would fail. Producer sends those through a
// second client without the batch limit, created on first need, after
// everything before them is acknowledged, so a partition's records keep
// their order.
type Producer struct {
	// Client is the client of the configured batch size; use it for
	// anything but producing (admin requests, metadata).
	Client *kgo.Client
	limit  int // a record of more bytes than this goes alone
	cfg    Config
	opts   []kgo.Opt

	mu    sync.Mutex
	large *kgo.Client
}

// singleBatchBytes is the batch size of the client for large records:
// franz-go's default ProducerBatchMaxBytes, under the broker's default
// message.max.bytes (1,048,588).
const singleBatchBytes = 1_000_012

// batchOverhead bounds the bytes a record batch adds around one record:
// the batch header (61 bytes) and the record's own varint fields.
const batchOverhead = 128

// NewProducer returns a Producer for cfg (see NewClient for opts).
func NewProducer(ctx context.Context, cfg Config, opts ...kgo.Opt) (*Producer, error) {
	cl, err := NewClient(ctx, cfg, opts...)
	if err != nil {
		return nil, err
	}
	p := &Producer{Client: cl, cfg: cfg, opts: opts, limit: -1}
	if cfg.BatchBytes > 0 && cfg.BatchBytes < singleBatchBytes {
		p.limit = cfg.BatchBytes - batchOverhead
	}
	return p, nil
}

// Close closes both clients.
func (p *Producer) Close() {
	p.Client.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.large != nil {
		p.large.Close()
	}
}

// recordBytes is what a record puts in a batch besides the fixed overhead.
func recordBytes(r *kgo.Record) int {
	n := len(r.Key) + len(r.Value)
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value) + 10
	}
	return n
}

// Oversized reports whether r would not fit a batch of the configured
// size, so that it goes alone through the second client.
func (p *Producer) Oversized(r *kgo.Record) bool {
	return p.limit >= 0 && recordBytes(r) > p.limit
}

// ProduceSync produces rs and waits for every acknowledgement, like
// kgo.Client.ProduceSync, returning one result per record in rs's order.
// Records that fit the configured batch size go through Client as usual;
// each larger one goes alone through the second client once the records
// before it are acknowledged. After a failure nothing later is sent (its
// results carry ErrNotSent), so a partition's records are never written
// out of order.
func (p *Producer) ProduceSync(ctx context.Context, rs ...*kgo.Record) kgo.ProduceResults {
	if !slices.ContainsFunc(rs, p.Oversized) {
		return p.Client.ProduceSync(ctx, rs...)
	}
	out := make(kgo.ProduceResults, 0, len(rs))
	for len(rs) > 0 {
		n := 0
		for n < len(rs) && !p.Oversized(rs[n]) {
			n++
		}
		var res kgo.ProduceResults
		if n > 0 {
			res = p.Client.ProduceSync(ctx, rs[:n]...)
		} else if large, err := p.largeClient(ctx); err != nil {
			n, res = 1, kgo.ProduceResults{{Record: rs[0], Err: err}}
		} else {
			n, res = 1, large.ProduceSync(ctx, rs[0])
		}
		out = append(out, res...)
		rs = rs[n:]
		if res.FirstErr() != nil {
			break
		}
	}
	for _, r := range rs {
		out = append(out, kgo.ProduceResult{Record: r, Err: ErrNotSent})
	}
	return out
}

// Produce hands r over without waiting for its acknowledgement, as
// kgo.Client.Produce does, and calls promise once with its outcome; it
// blocks while the client's buffer is full. Records handed over one after
// another keep that order in their partition: a record that fits the
// configured batch size goes through Client; a larger one first waits
// until every record handed over before it is acknowledged (Client.Flush),
// then goes alone through the second client, and Produce returns only once
// it is acknowledged, so nothing after it overtakes it. Client.Flush waits
// for every record of the client, other goroutines' too, so a caller that
// shares the Producer with others sends its oversized records with
// ProduceSync instead (shared/sourcetask does, for a page that has one).
func (p *Producer) Produce(ctx context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	if !p.Oversized(r) {
		p.Client.Produce(ctx, r, promise)
		return
	}
	if err := p.Client.Flush(ctx); err != nil {
		promise(r, fmt.Errorf("kafka: waiting for the records before one of %d bytes: %w", recordBytes(r), err))
		return
	}
	large, err := p.largeClient(ctx)
	if err != nil {
		promise(r, err)
		return
	}
	res := large.ProduceSync(ctx, r)
	promise(r, res[0].Err)
}

// ErrNotSent is the result of a record ProduceSync did not send because a
// record before it failed.
var ErrNotSent = errors.New("kafka: not sent: a record before it in the same call failed")

// largeClient returns the client for records larger than the batch size,
// creating it on first use with the same settings and no batch limit of
// its own (franz-go's default).
func (p *Producer) largeClient(ctx context.Context) (*kgo.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.large != nil {
		return p.large, nil
	}
	cfg := p.cfg
	cfg.BatchBytes = 0
	cl, err := NewClient(ctx, cfg, p.opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka: client for records over %d bytes: %w", p.cfg.BatchBytes, err)
	}
	p.large = cl
	return cl, nil
}

// Explainer is a producer that adds the fix to a produce error that the
// broker's error alone does not give; Producer is one.
type Explainer interface {
	Explain(topic string, err error) error
}

// ExplainProduceError adds the fix to a produce error to topic: p's own
// explanation when p is an Explainer, else ExplainMissingTopic's.
func ExplainProduceError(p any, topic string, err error) error {
	if e, ok := p.(Explainer); ok {
		return e.Explain(topic, err)
	}
	return ExplainMissingTopic(topic, err)
}

// Explain adds the fix to a produce error to topic that the broker's error
// alone does not give: a topic that does not exist (ExplainMissingTopic),
// and a batch over the topic's max.message.bytes (MESSAGE_TOO_LARGE). The
// broker checks every batch against that limit, and batches here grow up
// to producer.override.batch.size, so a topic whose limit is lower refuses
// them even when every record fits. Other errors are returned unchanged.
func (p *Producer) Explain(topic string, err error) error {
	if !errors.Is(err, kerr.MessageTooLarge) {
		return ExplainMissingTopic(topic, err)
	}
	batch := p.cfg.BatchBytes
	if batch <= 0 {
		batch = singleBatchBytes
	}
	return fmt.Errorf("kafka: topic %q refused a batch or record as too large: batches grow up to %d bytes (%s) and a larger record goes alone in a batch of up to %d bytes; lower %s under the topic's max.message.bytes, or raise max.message.bytes: %w",
		topic, batch, config.KeyProducerBatchSize, singleBatchBytes, config.KeyProducerBatchSize, err)
}
