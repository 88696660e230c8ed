package connectors

import "context"

// Chunker is a Source that can read the first load of a large partition as
// several key-range chunks at once (a parallel initial load). The task loop
// asks for chunks only for a partition with no stored offset, stores the
// plan, drains every chunk concurrently (each a partition of its own that
// ReadPage reads from a nil position, with its own offsets), and then moves
// the partition's offset to Then, from which incremental reads continue.
type Chunker interface {
	// Chunks splits p's key range into at most the connector's configured
	// parallelism of chunks, taken as the range is now. It returns no
	// chunks when p is not worth splitting (chunking is off, or the range
	// fits a few pages); then p is read as usual. An error names p when its
	// key cannot be split (e.g. not a unique single-column integer key).
	Chunks(ctx context.Context, p Partition) (chunks []Partition, then Position, err error)
}
