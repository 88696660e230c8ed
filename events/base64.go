package events

import (
	"encoding/base64"
	"encoding/binary"
)

// b64Bad marks a byte outside the standard alphabet in b64Tab; no valid
// quantum has the bit set.
const b64Bad = 1 << 24

// b64Tab[k][c] is the value of alphabet byte c shifted to its place in a
// 24-bit quantum when c is the k-th character of the quantum, or b64Bad.
var b64Tab = func() (t [4][256]uint32) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for k := range t {
		for c := range t[k] {
			t[k][c] = b64Bad
		}
	}
	for v := range len(alphabet) {
		c := alphabet[v]
		t[0][c], t[1][c], t[2][c], t[3][c] = uint32(v)<<18, uint32(v)<<12, uint32(v)<<6, uint32(v)
	}
	return t
}()

// decodeBase64 is base64.StdEncoding.Decode(dst, src), with the same
// result and errors: it decodes the leading run of sixteen-character
// groups of plain alphabet characters that are not the end of src itself
// (one table lookup per character, four tables, one check per group),
// then hands the rest — padding, line breaks, bad bytes and the last
// group — to encoding/base64, moving the offset of its error to src's.
// About twice as fast as encoding/base64 alone on a record's value.
func decodeBase64(dst, src []byte) (int, error) {
	si, di := 0, 0
	for len(src)-si > 16 && len(dst)-di >= 16 {
		s := src[si : si+16]
		a := b64Tab[0][s[0]] | b64Tab[1][s[1]] | b64Tab[2][s[2]] | b64Tab[3][s[3]]
		b := b64Tab[0][s[4]] | b64Tab[1][s[5]] | b64Tab[2][s[6]] | b64Tab[3][s[7]]
		c := b64Tab[0][s[8]] | b64Tab[1][s[9]] | b64Tab[2][s[10]] | b64Tab[3][s[11]]
		d := b64Tab[0][s[12]] | b64Tab[1][s[13]] | b64Tab[2][s[14]] | b64Tab[3][s[15]]
		if (a|b|c|d)&b64Bad != 0 {
			break
		}
		// Each write puts two quanta's six bytes and two more, past
		// them, that a later write overwrites or that lie past the
		// result (encoding/base64 writes the same way).
		out := dst[di : di+16]
		binary.BigEndian.PutUint64(out, uint64(a)<<40|uint64(b)<<16)
		binary.BigEndian.PutUint64(out[6:], uint64(c)<<40|uint64(d)<<16)
		si += 16
		di += 12
	}
	n, err := base64.StdEncoding.Decode(dst[di:], src[si:])
	if ce, ok := err.(base64.CorruptInputError); ok {
		err = ce + base64.CorruptInputError(si)
	}
	return di + n, err
}
