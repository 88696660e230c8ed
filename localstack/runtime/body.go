package runtime

import (
	"io"
)

// readBody reads a request body of at most limit bytes (more is read as
// limit+1 bytes so the caller can refuse it). With the Content-Length
// known it reads into one buffer of that size: a 6 MB event read by
// io.ReadAll would be copied and cleared through a dozen growing buffers.
func readBody(r io.Reader, contentLength int64, limit int) ([]byte, error) {
	if contentLength <= 0 || contentLength > int64(limit) {
		return io.ReadAll(io.LimitReader(r, int64(limit)+1))
	}
	buf := make([]byte, contentLength)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
