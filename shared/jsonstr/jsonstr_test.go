package jsonstr

import (
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
