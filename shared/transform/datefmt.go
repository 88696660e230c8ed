package transform

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// javaDateFormat is the subset of java.text.SimpleDateFormat patterns the
// timestamp transforms accept, always in UTC as Kafka's transforms use it,
// with GregorianCalendar's Julian dates before 1582-10-15:
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
	c := civilOf(t.UnixMilli())
	var b strings.Builder
	for _, p := range f.parts {
		var n int64
		switch p.letter {
		case 0:
			b.WriteString(p.text)
			continue
		case 'y':
			n = c.year
			if n <= 0 { // year of era: 1 BC is year 0
				n = 1 - n
			}
			if p.width == 2 {
				n %= 100
			}
		case 'M':
			n = c.month
		case 'd':
			n = c.day
		case 'H':
			n = c.ms / 3600000
		case 'm':
			n = c.ms / 60000 % 60
		case 's':
			n = c.ms / 1000 % 60
		case 'S':
			n = c.ms % 1000
		}
		s := strconv.FormatInt(n, 10)
		for len(s) < p.width {
			s = "0" + s
		}
		b.WriteString(s)
	}
	return b.String()
}

// civil is a date in java.util.GregorianCalendar's UTC fields: Julian
// calendar before 1582-10-15, Gregorian from then on; year is astronomical
// (0 is 1 BC).
type civil struct {
	year, month, day int64
	ms               int64 // of the day
}

const (
	// cutoverJDN is the Julian day number of 1582-10-15 (Gregorian).
	cutoverJDN = 2299161
	// epochJDN is the Julian day number of 1970-01-01.
	epochJDN = 2440588
)

func civilOf(ms int64) civil {
	days := floorDiv(ms, millisPerDay)
	c := civil{ms: ms - days*millisPerDay}
	jdn := days + epochJDN
	if jdn >= cutoverJDN { // Gregorian (Fliegel and Van Flandern)
		a := jdn + 32044
		b := floorDiv(4*a+3, 146097)
		cc := a - floorDiv(146097*b, 4)
		d := floorDiv(4*cc+3, 1461)
		e := cc - floorDiv(1461*d, 4)
		m := floorDiv(5*e+2, 153)
		c.day = e - floorDiv(153*m+2, 5) + 1
		c.month = m + 3 - 12*floorDiv(m, 10)
		c.year = 100*b + d - 4800 + floorDiv(m, 10)
		return c
	}
	cc := jdn + 32082 // Julian
	d := floorDiv(4*cc+3, 1461)
	e := cc - floorDiv(1461*d, 4)
	m := floorDiv(5*e+2, 153)
	c.day = e - floorDiv(153*m+2, 5) + 1
	c.month = m + 3 - 12*floorDiv(m, 10)
	c.year = d - 4800 + floorDiv(m, 10)
	return c
}

// millisOf is the inverse of civilOf, lenient like GregorianCalendar: a
// month, day or time beyond its range carries over.
func millisOf(year, month, day, ms int64) int64 {
	year += floorDiv(month-1, 12)
	month = month - 12*floorDiv(month-1, 12)
	a := floorDiv(14-month, 12)
	y := year + 4800 - a
	m := month + 12*a - 3
	jdn := day + floorDiv(153*m+2, 5) + 365*y + floorDiv(y, 4) - floorDiv(y, 100) + floorDiv(y, 400) - 32045
	if jdn < cutoverJDN {
		jdn = day + floorDiv(153*m+2, 5) + 365*y + floorDiv(y, 4) - 32083
	}
	return (jdn-epochJDN)*millisPerDay + ms
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
	ms := int64(vals['H'])*3600000 + int64(vals['m'])*60000 + int64(vals['s'])*1000 + int64(vals['S'])
	return time.UnixMilli(millisOf(int64(vals['y']), int64(vals['M']), int64(vals['d']), ms)).UTC(), nil
}
