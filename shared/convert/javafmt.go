package convert

import (
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/serverless-kafka-connect/slkc/shared/jsonstr"
)

// appendJavaFloat writes f the way Jackson writes a Java float/double:
// Float.toString/Double.toString notation ("1.0", "1.5E10", "1.0E-4"), and
// the quoted strings "NaN", "Infinity", "-Infinity" for non-finite values
// (Jackson's default QUOTE_NON_NUMERIC_NUMBERS).
func appendJavaFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	// Shortest round-trip digits and the decimal exponent of the first one.
	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, bits)
	var digits [24]byte
	nd := 0
	i := 0
	for ; i < len(e) && e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits[nd] = e[i]
			nd++
		}
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	d := digits[:nd]
	if f >= 1e-3 && f < 1e7 {
		if exp >= 0 {
			if nd <= exp+1 {
				b = append(b, d...)
				for k := nd; k <= exp; k++ {
					b = append(b, '0')
				}
				return append(b, ".0"...)
			}
			b = append(b, d[:exp+1]...)
			b = append(b, '.')
			return append(b, d[exp+1:]...)
		}
		b = append(b, "0."...)
		for k := 0; k < -exp-1; k++ {
			b = append(b, '0')
		}
		return append(b, d...)
	}
	b = append(b, d[0], '.')
	if nd > 1 {
		b = append(b, d[1:]...)
	} else {
		b = append(b, '0')
	}
	b = append(b, 'E')
	return strconv.AppendInt(b, int64(exp), 10)
}

// appendJavaBigDecimal writes unscaled×10^-scale like Java's
// BigDecimal.toString, which Jackson uses for decimal.format=NUMERIC: plain
// notation unless the scale is negative or the adjusted exponent is below -6.
func appendJavaBigDecimal(b []byte, unscaled *big.Int, scale int32) []byte {
	var coeff []byte
	neg := false
	if unscaled == nil {
		coeff = []byte{'0'}
	} else {
		coeff = unscaled.Append(nil, 10)
		if coeff[0] == '-' {
			neg = true
			coeff = coeff[1:]
		}
	}
	if neg {
		b = append(b, '-')
	}
	adjusted := int64(len(coeff)) - 1 - int64(scale)
	if scale >= 0 && adjusted >= -6 {
		switch {
		case scale == 0:
			return append(b, coeff...)
		case len(coeff) > int(scale):
			p := len(coeff) - int(scale)
			b = append(b, coeff[:p]...)
			b = append(b, '.')
			return append(b, coeff[p:]...)
		default:
			b = append(b, "0."...)
			for k := len(coeff); k < int(scale); k++ {
				b = append(b, '0')
			}
			return append(b, coeff...)
		}
	}
	b = append(b, coeff[0])
	if len(coeff) > 1 {
		b = append(b, '.')
		b = append(b, coeff[1:]...)
	}
	b = append(b, 'E')
	if adjusted >= 0 {
		b = append(b, '+')
	}
	return strconv.AppendInt(b, adjusted, 10)
}

const hexUpper = "0123456789ABCDEF"

// appendJSONString writes s as a JSON string with Jackson's escaping: '"' and
// '\\' escaped, \b \t \n \f \r short forms, other control characters as
// \u00XX, everything else (including non-ASCII and '/') raw UTF-8. Invalid
// UTF-8 becomes U+FFFD, as a Java String decoded from those bytes would.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Plain ASCII runs are skipped 8 bytes at a time up to the next
		// byte that needs a look.
		i += jsonstr.PlainASCII(s[i:])
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\t':
				b = append(b, '\\', 't')
			case '\n':
				b = append(b, '\\', 'n')
			case '\f':
				b = append(b, '\\', 'f')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hexUpper[c>>4], hexUpper[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
