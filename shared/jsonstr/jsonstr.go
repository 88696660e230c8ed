// Package jsonstr finds where the text of a JSON string stops being plain:
// the scan the event decoder (events) and the JsonConverter (shared/convert)
// run over every string they read and write, eight bytes at a time.
package jsonstr

import "encoding/binary"

const (
	ones  = 0x0101010101010101 // 0x01 in every byte
	highs = 0x8080808080808080 // 0x80 in every byte
)

// plainWord reports whether the 8 bytes of w are all plain ASCII: no '"',
// no '\\', no control character and no byte from 0x80. A byte of q or b is
// zero where w holds '"' or '\\'; (x-ones)&^x sets the high bit of each
// zero byte of x, and (w-0x20*ones)|w that of each byte below 0x20 or from
// 0x80; borrows set more only above the lowest such byte, so the answer
// for the word as a whole is exact. A caller finds the position in a
// flagged word byte by byte.
func plainWord(w uint64) bool {
	q := w ^ ('"' * ones)
	b := w ^ ('\\' * ones)
	return ((q-ones)&^q|(b-ones)&^b|(w-0x20*ones)|w)&highs == 0
}

// PlainASCII returns the length of the longest prefix of s that is plain
// ASCII (see plainWord): the bytes a JSON string holds as is and that need
// no UTF-8 check. s[n], when n < len(s), is the byte that ends it.
func PlainASCII(s string) int {
	i := 0
	for i+8 <= len(s) && plainWord(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
		uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
		i += 8
	}
	for i < len(s) {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			break
		}
		i++
	}
	return i
}

// Plain returns the length of the longest prefix of d that holds no '"',
// no '\\' and no control character (below 0x20), and whether that prefix
// is all ASCII. d[n], when n < len(d), is the byte that ends it: the
// closing quote of a string without escapes, or a byte the caller must
// handle on a slower path.
func Plain(d []byte) (n int, ascii bool) {
	ascii = true
	i := 0
	for i+8 <= len(d) {
		if plainWord(binary.LittleEndian.Uint64(d[i:])) {
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
