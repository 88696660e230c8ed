package events

import (
	"encoding/base64"

	simd "github.com/segmentio/asm/base64"
)

// decodeBase64 is base64.StdEncoding.Decode(dst, src), with the same
// result and errors; dst holds base64.StdEncoding.DecodedLen(len(src))
// bytes (a shorter dst goes to encoding/base64 alone). The bulk of src
// goes through segmentio/asm's vector decoder (AVX2 on amd64, NEON on
// arm64, encoding/base64 on other machines), which hands padding, line
// breaks and bad bytes to encoding/base64; about five times faster than
// encoding/base64 on a record's value (BenchmarkDecodeBase64). Its error
// offsets count from where its vector loop stopped, so on an error src
// is decoded again by encoding/base64 alone, whose error is returned.
func decodeBase64(dst, src []byte) (int, error) {
	if len(dst) < base64.StdEncoding.DecodedLen(len(src)) {
		return base64.StdEncoding.Decode(dst, src)
	}
	n, err := simd.StdEncoding.Decode(dst, src)
	if err != nil {
		return base64.StdEncoding.Decode(dst, src)
	}
	return n, nil
}
