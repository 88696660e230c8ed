package connectors

import (
	"context"
	"errors"
	"io"
	"sync/atomic"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// StreamWriter is implemented by a Destination that can start writing a
// batch while the rest of it is still being converted: the conversion of
// the later records then overlaps the write of the first ones.
type StreamWriter interface {
	// WriteStream writes the records s hands out, in order, as one Write
	// of all of them: the same result, the same guarantees, and the
	// indexes of a *BatchError refer to the whole batch. It writes nothing
	// for good until s has ended (Next returned io.EOF); when s is
	// aborted it returns an error and leaves the batch unwritten, as
	// Write does for an error that is not a *BatchError.
	WriteStream(ctx context.Context, s *Stream) error
}

// ErrStreamAborted is returned by Stream.Next when the producer gave up on
// the batch.
var ErrStreamAborted = errors.New("connectors: the batch's producer gave up before it was complete")

// Stream hands the records of one batch from the goroutine that builds it
// (the producer) to a StreamWriter, in batch order, as they become final.
// The producer builds the batch in place in a slice allocated up front,
// calls Publish with the length that is final so far, and End (or Abort)
// once. Publish never blocks, so a writer that returned early cannot hold
// the producer up.
type Stream struct {
	recs      []connect.Record
	published atomic.Int64
	ended     atomic.Bool
	aborted   atomic.Bool
	signal    chan struct{}
	taken     int    // consumer side only
	onWait    func() // see OnWait
}

// NewStream returns a Stream over recs, the slice the producer builds the
// batch in (its length the most the batch can hold).
func NewStream(recs []connect.Record) *Stream {
	return &Stream{recs: recs, signal: make(chan struct{}, 1)}
}

// Publish makes recs[:n] final and visible to the writer; n never
// decreases and must not exceed len(recs).
func (s *Stream) Publish(n int) {
	if n > len(s.recs) || int64(n) < s.published.Load() {
		panic("connectors: Stream.Publish out of order")
	}
	s.published.Store(int64(n))
	s.wake()
}

// End says the batch is complete: what was published is all of it.
func (s *Stream) End() {
	s.ended.Store(true)
	s.wake()
}

// Abort says the batch will not be completed; the writer must not commit
// any of it.
func (s *Stream) Abort() {
	s.aborted.Store(true)
	s.End()
}

func (s *Stream) wake() {
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

// Next returns every record published since the last call and the batch
// index of the first of them, waiting until there is one. It returns
// io.EOF once the batch has ended and all of it was returned,
// ErrStreamAborted when the producer aborted, and ctx's error when ctx is
// done first. Only one goroutine may call Next.
func (s *Stream) Next(ctx context.Context) (part []connect.Record, from int, err error) {
	for {
		// ended is read before published: every Publish comes before End,
		// so once ended is seen, published is final.
		ended := s.ended.Load()
		if s.aborted.Load() {
			return nil, s.taken, ErrStreamAborted
		}
		if n := int(s.published.Load()); n > s.taken {
			from = s.taken
			s.taken = n
			return s.recs[from:n], from, nil
		}
		if ended {
			return nil, s.taken, io.EOF
		}
		if s.onWait != nil {
			s.onWait()
		}
		select {
		case <-s.signal:
		case <-ctx.Done():
			return nil, s.taken, ctx.Err()
		}
	}
}

// OnWait sets f to be called by Next each time it has returned everything
// published and is about to wait for more: for tests that publish a part
// only once the writer has taken the ones before. Set it before the
// writer starts.
func (s *Stream) OnWait(f func()) { s.onWait = f }

// Taken returns the records Next has returned so far: batch indexes
// 0..len-1.
func (s *Stream) Taken() []connect.Record { return s.recs[:s.taken] }

// Drain returns every record the batch holds, waiting for the producer to
// end it: for a writer that falls back to writing the whole batch at
// once. It returns ErrStreamAborted or ctx's error as Next does.
func (s *Stream) Drain(ctx context.Context) ([]connect.Record, error) {
	for {
		_, _, err := s.Next(ctx)
		if errors.Is(err, io.EOF) {
			return s.Taken(), nil
		}
		if err != nil {
			return nil, err
		}
	}
}
