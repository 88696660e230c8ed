package convert

import (
	"bytes"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
)

// TestFromConnectOutputsDoNotAlias checks that outputs carved from a shared
// block are independent: appending to one never changes another, and
// large outputs are correct too.
func TestFromConnectOutputsDoNotAlias(t *testing.T) {
	tests := []struct {
		name  string
		value string
	}{
		{name: "small records share a block", value: "x"},
		{name: "records larger than the carve limit", value: strings.Repeat("y", slabSize/4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustJSON(t, nil)
			s := connect.Primitive(connect.String)
			var outs [][]byte
			for i := 0; i < 200; i++ {
				out, err := c.FromConnect("t", s, tt.value)
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, out)
			}
			want := append([]byte(nil), outs[1]...)
			_ = append(outs[0], "GARBAGE"...)
			outs[0][0] = '!'
			for i := 1; i < len(outs); i++ {
				if !bytes.Equal(outs[i], want) {
					t.Fatalf("output %d = %q, want %q", i, outs[i], want)
				}
				if cap(outs[i]) != len(outs[i]) {
					t.Fatalf("output %d has spare capacity %d", i, cap(outs[i])-len(outs[i]))
				}
			}
		})
	}
}

// TestFromConnectMixedSizesKeepEveryOutput encodes records whose sizes
// grow, shrink and jump across the block and big-output limits (so a
// record outgrows the free end of a block, follows a big one, or is big
// itself) and checks that every output still holds its own record after
// all the others were written, with no spare capacity.
func TestFromConnectMixedSizesKeepEveryOutput(t *testing.T) {
	c := mustJSON(t, map[string]string{"schemas.enable": "false"})
	s := connect.Primitive(connect.String)
	sizes := []int{1, 10, 100, 1000, bigOutput - 3, bigOutput - 2, bigOutput + 1, 5, slabSize, 7, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 3000, 1, 2 * slabSize, 2 * slabSize, 4}
	for i := 0; i < 300; i++ {
		sizes = append(sizes, (i*i*37)%(bigOutput+200)+1)
	}
	var outs [][]byte
	var want []string
	for i, n := range sizes {
		v := strings.Repeat(string(rune('a'+i%26)), n)
		out, err := c.FromConnect("t", s, v)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
		want = append(want, `"`+v+`"`)
	}
	for i := range outs {
		if string(outs[i]) != want[i] {
			t.Fatalf("output %d (%d B record) = %.40q..., want %.40q...", i, sizes[i], outs[i], want[i])
		}
		if cap(outs[i]) != len(outs[i]) {
			t.Fatalf("output %d has spare capacity %d", i, cap(outs[i])-len(outs[i]))
		}
	}
}
