package mysql

import (
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// TestValueArenaBoxesLikeGo checks that values boxed in a valueArena are,
// to every reader (type switches, ==, reflect, fmt, encoding/json), the
// values Go's own boxing gives, across chunk boundaries and after the
// garbage collector ran, and that texts do not share bytes with the
// scanned buffer they were copied from.
func TestValueArenaBoxesLikeGo(t *testing.T) {
	var a valueArena
	raw := []byte("scratch")
	var got, want []any
	for i := range 3*boxChunk + 7 {
		copy(raw, fmt.Sprintf("s%06d", i))
		text := fmt.Sprintf("s%06d", i)
		long := strings.Repeat("x", textChunk/4+1+i%3)
		ts := time.Date(2024, 1, 2, 3, 4, 5, i*1000, time.UTC)
		d := connect.Decimal{Unscaled: big.NewInt(int64(i) * 314), Scale: 2}
		got = append(got, a.strs.box(a.str(raw[:7])), a.strs.box(a.str([]byte(long))), a.strs.box(a.str(nil)),
			a.i16.box(int16(i-300)), a.i32.box(int32(i*70000)), a.i64.box(int64(i)<<40),
			a.f64.box(float64(i)/3), a.tms.box(ts), a.decs.box(d))
		want = append(want, text, long, "", int16(i-300), int32(i*70000), int64(i)<<40, float64(i)/3, ts, d)
		copy(raw, "clobber")
	}
	runtime.GC()
	runtime.GC()
	for i := range want {
		g, w := got[i], want[i]
		if reflect.TypeOf(g) != reflect.TypeOf(w) || !reflect.DeepEqual(g, w) || fmt.Sprint(g) != fmt.Sprint(w) {
			t.Fatalf("value %d = %T %v, want %T %v", i, g, g, w, w)
		}
		if _, isDec := w.(connect.Decimal); !isDec && g != w {
			t.Fatalf("value %d: boxed %v != %v", i, g, w)
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if string(gj) != string(wj) {
			t.Fatalf("value %d JSON %s, want %s", i, gj, wj)
		}
	}
	if s := got[0].(string); s != "s000000" {
		t.Errorf("first text = %q after its scan buffer was overwritten, want s000000", s)
	}
}
