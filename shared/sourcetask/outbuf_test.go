package sourcetask

import (
	"bytes"
	"testing"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// bytesConv encodes a []byte value as itself.
type bytesConv struct{}

func (bytesConv) FromConnect(_ string, _ *connect.Schema, v any) ([]byte, error) {
	return bytes.Clone(v.([]byte)), nil
}

func (bytesConv) AppendFromConnect(b []byte, _ string, _ *connect.Schema, v any) ([]byte, error) {
	return append(b, v.([]byte)...), nil
}

// TestOutArena: records encoded one after another into a page's blocks keep their
// bytes while later ones are written (blocks fill, then a new one starts),
// appending to one never writes into the next, big ones get their own
// array, a tombstone stays nil, and blocks from the pool are reused.
func TestOutArena(t *testing.T) {
	pool := &blockPool{}
	for round := range 2 {
		a := convert.NewBlocks(pool.get)
		var want, got [][]byte
		for i := range 500 {
			size := 1 + (i*37)%900
			if i%97 == 0 {
				size = convert.BlockSize/8 + 1 + i // its own allocation
			}
			v := bytes.Repeat([]byte{byte('a' + i%26)}, size)
			out, err := encode(bytesConv{}, a, "t", nil, v)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != cap(out) {
				t.Fatalf("record %d: capacity %d above its length %d", i, cap(out), len(out))
			}
			want, got = append(want, v), append(got, out)
		}
		_ = append(got[0], "clobber"...) // must not reach record 1
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("round %d: record %d changed after later records: %d bytes %.10q, want %d bytes %.10q", round, i, len(got[i]), got[i], len(want[i]), want[i])
			}
		}
		if nb := len(a.Used()); nb < 5 || nb > 15 {
			t.Errorf("round %d: %d blocks for about 220 KB of small records, want 5 to 15", round, nb)
		}
		if round == 1 && pool.reused == 0 {
			t.Error("the second round took no block from the pool")
		}
		pool.put(a.Used())
	}
	if out, err := encode(bytesConv{}, convert.NewBlocks(pool.get), "t", nil, nil); out != nil || err != nil {
		t.Errorf("tombstone encoded as %q, %v; want nil", out, err)
	}
	full := &blockPool{}
	blocks := make([][]byte, maxFreeBlocks+10)
	for i := range blocks {
		blocks[i] = make([]byte, 0, 8)
	}
	full.put(blocks)
	if len(full.free) != maxFreeBlocks {
		t.Errorf("pool keeps %d blocks, want at most %d", len(full.free), maxFreeBlocks)
	}
}
