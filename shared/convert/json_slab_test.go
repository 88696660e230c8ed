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
