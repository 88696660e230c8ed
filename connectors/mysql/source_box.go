package mysql

import (
	"cmp"
	"time"
	"unsafe"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// valueArena holds the converted values of one page: text is copied into
// shared blocks and each value is boxed into an interface whose data points
// into a chunk of values of its type, instead of one or two allocations per
// value (a string's bytes, then the string, int32, time.Time... boxed on its
// own). A value is never written after it is boxed, which is what Go
// assumes of an interface's data, and a chunk lives as long as any value
// boxed in it (the page's records). Only the types listed here are boxed
// this way; none of them is pointer-shaped (which an interface would hold
// directly instead of pointing to).
type valueArena struct {
	// chunk is the value count of a chunk (boxChunk when zero): a page's
	// row count at most, so a short page does not reserve a full chunk.
	chunk int
	text  []byte
	strs  boxes[string]
	i16   boxes[int16]
	i32   boxes[int32]
	i64   boxes[int64]
	f64   boxes[float64]
	tms   boxes[time.Time]
	decs  boxes[connect.Decimal]
}

const (
	// boxChunk is the value count of one chunk of a type.
	boxChunk = 256
	// textChunk is the size of one text block; a longer text (more than a
	// quarter of it) gets its own allocation so one value does not pin a
	// block.
	textChunk = 16 << 10
)

// boxes hands out interfaces to values of T kept in chunks.
type boxes[T any] struct {
	typ   unsafe.Pointer // T's type word in an interface
	buf   []T
	chunk int // values per chunk; boxChunk when zero
}

// box returns v as an interface, its data in the current chunk.
func (b *boxes[T]) box(v T) any {
	if b.typ == nil {
		var zero T
		e := any(zero)
		b.typ = (*[2]unsafe.Pointer)(unsafe.Pointer(&e))[0]
	}
	if len(b.buf) == cap(b.buf) {
		b.buf = make([]T, 0, cmp.Or(b.chunk, boxChunk)) // the full chunk stays with the values in it
	}
	b.buf = append(b.buf, v)
	var out any
	w := (*[2]unsafe.Pointer)(unsafe.Pointer(&out))
	w[0], w[1] = b.typ, unsafe.Pointer(&b.buf[len(b.buf)-1])
	return out
}

// newValueArena returns an arena for pages of up to rows rows.
func newValueArena(rows int) *valueArena {
	n := min(max(rows, 1), boxChunk)
	a := &valueArena{chunk: n}
	a.strs.chunk, a.i16.chunk, a.i32.chunk, a.i64.chunk = n, n, n, n
	a.f64.chunk, a.tms.chunk, a.decs.chunk = n, n, n
	return a
}

// str returns raw as a string whose bytes are in a shared text block.
func (a *valueArena) str(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	if len(raw) > textChunk/4 {
		return string(raw)
	}
	if cap(a.text)-len(a.text) < len(raw) {
		a.text = make([]byte, 0, min(textChunk, max(textChunk/16, 64*cmp.Or(a.chunk, boxChunk))))
	}
	p := len(a.text)
	a.text = append(a.text, raw...)
	return unsafe.String(&a.text[p], len(raw))
}
