// Package jsonstr finds where the text of a JSON string stops being plain:
// the scan the event decoder (events) and the JsonConverter (shared/convert)
// run over every string they read, eight bytes at a time.
package jsonstr

import "encoding/binary"

const (
	ones  = 0x0101010101010101 // 0x01 in every byte
	highs = 0x8080808080808080 // 0x80 in every byte
)

// Plain returns the length of the longest prefix of d that holds no '"',
// no '\\' and no control character (below 0x20), and whether that prefix
// is all ASCII. d[n], when n < len(d), is the byte that ends it: the
// closing quote of a string without escapes, or a byte the caller must
// handle on a slower path.
func Plain(d []byte) (n int, ascii bool) {
	ascii = true
	i := 0
	for i+8 <= len(d) {
		w := binary.LittleEndian.Uint64(d[i:])
		q := w ^ ('"' * ones)
		b := w ^ ('\\' * ones)
		// A byte of q or b is zero where w holds '"' or '\\'; (x-ones)&^x
		// sets the high bit of each zero byte of x, and (w-0x20*ones)|w
		// that of each byte below 0x20 or from 0x80; borrows set more
		// only above the lowest such byte. A word without any is plain
		// ASCII; a flagged one is read byte by byte, which finds the
		// exact position.
		if ((q-ones)&^q|(b-ones)&^b|(w-0x20*ones)|w)&highs == 0 {
			i += 8
			continue
		}
		for end := i + 8; i < end; i++ {
			switch c := d[i]; {
			case c == '"' || c == '\\' || c < 0x20:
				return i, ascii
			case c >= 0x80:
				ascii = false
			}
		}
	}
	for ; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"' || c == '\\' || c < 0x20:
			return i, ascii
		case c >= 0x80:
			ascii = false
		}
	}
	return i, ascii
}
