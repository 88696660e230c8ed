package transform

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// javaDateFormat is the subset of java.text.SimpleDateFormat patterns the
// timestamp transforms accept, always in UTC as Kafka's transforms use it:
// y (year), M (month number), d (day), H (hour 0-23), m (minute),
// s (second), S (millisecond), quoted 'text' and punctuation. A pattern
// with any other letter is refused at config time.
type javaDateFormat struct {
	parts []datePart
}

type datePart struct {
	letter byte // 0 for literal text
	width  int
	text   string
}

func parseJavaDateFormat(p string) (*javaDateFormat, error) {
	f := &javaDateFormat{}
	for i := 0; i < len(p); {
		ch := p[i]
		switch {
		case ch == '\'':
			end := strings.IndexByte(p[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated quote")
			}
			text := p[i+1 : i+1+end]
			if text == "" {
				text = "'"
			}
			f.parts = append(f.parts, datePart{text: text})
			i += end + 2
		case ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
			if !strings.ContainsRune("yMdHmsS", rune(ch)) {
				return nil, fmt.Errorf("pattern letter %q is not supported (supported: y M d H m s S, quoted text)", ch)
			}
			n := 1
			for i+n < len(p) && p[i+n] == ch {
				n++
			}
			f.parts = append(f.parts, datePart{letter: ch, width: n})
			i += n
		default:
			f.parts = append(f.parts, datePart{text: string(ch)})
			i++
		}
	}
	return f, nil
}

func (f *javaDateFormat) format(t time.Time) string {
	t = t.UTC()
	var b strings.Builder
	for _, p := range f.parts {
		var n int
		switch p.letter {
		case 0:
			b.WriteString(p.text)
			continue
		case 'y':
			n = t.Year()
			if p.width == 2 {
				n %= 100
			}
		case 'M':
			n = int(t.Month())
		case 'd':
			n = t.Day()
		case 'H':
			n = t.Hour()
		case 'm':
			n = t.Minute()
		case 's':
			n = t.Second()
		case 'S':
			n = t.Nanosecond() / 1e6
		}
		s := strconv.Itoa(n)
		for len(s) < p.width {
			s = "0" + s
		}
		b.WriteString(s)
	}
	return b.String()
}

// parse reads text in the format, leniently like SimpleDateFormat: each
// number field takes its width when the next part is a number, else all
// its digits.
func (f *javaDateFormat) parse(s string) (time.Time, error) {
	vals := map[byte]int{'y': 1970, 'M': 1, 'd': 1}
	i := 0
	for k, p := range f.parts {
		if p.letter == 0 {
			if !strings.HasPrefix(s[i:], p.text) {
				return time.Time{}, fmt.Errorf("unparseable date: %q", s)
			}
			i += len(p.text)
			continue
		}
		j := i
		if j < len(s) && (s[j] == '-' || s[j] == '+') && p.letter == 'y' {
			j++
		}
		limit := len(s)
		if k+1 < len(f.parts) && f.parts[k+1].letter != 0 {
			limit = min(len(s), i+p.width)
		}
		for j < limit && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(s[i:j])
		if err != nil {
			return time.Time{}, fmt.Errorf("unparseable date: %q", s)
		}
		vals[p.letter] = n
		i = j
	}
	ms := vals['S']
	return time.Date(vals['y'], time.Month(vals['M']), vals['d'], vals['H'], vals['m'], vals['s'], 0, time.UTC).
		Add(time.Duration(ms) * time.Millisecond), nil
}
