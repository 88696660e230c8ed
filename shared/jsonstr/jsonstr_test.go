package jsonstr

import (
	"encoding/binary"
	"strings"
	"testing"
)

// plainRef is Plain one byte at a time.
func plainRef(d []byte) (int, bool) {
	ascii := true
	for i, c := range d {
		switch {
		case c == '"' || c == '\\' || c < 0x20:
			return i, ascii
		case c >= 0x80:
			ascii = false
		}
	}
	return len(d), ascii
}

func TestPlain(t *testing.T) {
	long := strings.Repeat("abcdefgh", 5)
	cases := []struct {
		name  string
		in    string
		n     int
		ascii bool
	}{
		{"empty", "", 0, true},
		{"quote first", `"abc`, 0, true},
		{"short plain", "abc", 3, true},
		{"long plain", long, 40, true},
		{"quote in a word", long + `abc"defgh`, 43, true},
		{"backslash", long + `ab\"`, 42, true},
		{"control", long + "a\nb", 41, true},
		{"DEL is plain", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\"", 8, true},
		{"space is plain", "        \"", 8, true},
		{"non-ASCII before the end", long + "é\"", 42, false},
		{"non-ASCII after the end is not seen", long + "\"é", 40, true},
		{"quote right after a high byte", "\xff\"aaaaaaaaa", 1, false},
		{"0x9f then quote", "abcdefg\x9f\x22", 8, false},
		{"borrow does not hide a hit", "\x00\x22\x5c\x1f\x20\x21\x80\xff", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, ascii := Plain([]byte(c.in))
			if n != c.n || ascii != c.ascii {
				t.Fatalf("Plain(%q) = %d, %v; want %d, %v", c.in, n, ascii, c.n, c.ascii)
			}
		})
	}
}

// TestPlainEveryByte puts each byte value at each position of a 17-byte
// plain string (so both the word loop and the tail see it) and compares
// with plainRef.
func TestPlainEveryByte(t *testing.T) {
	for pos := 0; pos < 17; pos++ {
		for v := 0; v < 256; v++ {
			d := []byte(strings.Repeat("a", 17))
			d[pos] = byte(v)
			n, ascii := Plain(d)
			wn, wascii := plainRef(d)
			if n != wn || ascii != wascii {
				t.Fatalf("byte %#x at %d: Plain = %d, %v; want %d, %v", v, pos, n, ascii, wn, wascii)
			}
		}
	}
}

func FuzzPlain(f *testing.F) {
	f.Add([]byte(`abc"def`))
	f.Add([]byte("\x00\x22\x5c\x1f\x20\x21\x80\xff"))
	f.Fuzz(func(t *testing.T, d []byte) {
		n, ascii := Plain(d)
		wn, wascii := plainRef(d)
		if n != wn || ascii != wascii {
			t.Fatalf("Plain(%q) = %d, %v; want %d, %v", d, n, ascii, wn, wascii)
		}
	})
}

// TestPlainWordMatchesByteTest checks the 8-bytes-at-once test (plainWord,
// through PlainASCII) against the byte test: every byte value at every
// position of otherwise plain words, and words mixing several flagged
// bytes (where a borrow could hide or invent one).
func TestPlainWordMatchesByteTest(t *testing.T) {
	plain := func(w string) bool {
		for i := 0; i < len(w); i++ {
			if c := w[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				return false
			}
		}
		return true
	}
	bases := []string{"abcdefgh", "        ", "~~~~~~~~", "!!!!!!!!", "########", "[[[[[[[[", "]]]]]]]]"}
	for _, base := range bases {
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				w := []byte(base)
				w[pos] = byte(c)
				if got, want := plainWord(binary.LittleEndian.Uint64(w)), plain(string(w)); got != want {
					t.Fatalf("plainWord(%q) = %v, want %v", w, got, want)
				}
				if got, want := PlainASCII(string(w)) == 8, plain(string(w)); got != want {
					t.Fatalf("PlainASCII(%q) = %d, want all 8 plain: %v", w, PlainASCII(string(w)), want)
				}
			}
		}
	}
	special := []byte{0, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0xff, 'a'}
	w := make([]byte, 8)
	for i := 0; i < 200_000; i++ {
		n := i
		for j := range w {
			w[j] = special[n%len(special)]
			n = n/len(special) + i*7 + j
		}
		if got, want := plainWord(binary.LittleEndian.Uint64(w)), plain(string(w)); got != want {
			t.Fatalf("plainWord(%q) = %v, want %v", w, got, want)
		}
	}
}
