package ident

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // "" accepts
	}{
		{name: "plain", in: "orders"},
		{name: "dots, dashes, unicode inside", in: "my-table.v2 ünïcode x"},
		{name: "backquote", in: "a`b", want: "backquote"},
		{name: "semicolon", in: "users; DROP TABLE x", want: "';'"},
		{name: "NUL", in: "a\x00b", want: "NUL"},
		{name: "newline", in: "a\nb", want: "U+000A"},
		{name: "DEL", in: "a\x7fb", want: "U+007F"},
		{name: "C1 control", in: "a\u0085b", want: "U+0085"},
		{name: "leading space", in: " orders", want: "white space"},
		{name: "trailing space", in: "orders ", want: "white space"},
		{name: "trailing no-break space", in: "orders\u00a0", want: "white space"},
		{name: "tab inside is a control character", in: "a\tb", want: "U+0009"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "identifiers.permissive=true") {
				t.Fatalf("Check(%q) = %v, want an error naming %q and the opt-in key", tt.in, err, tt.want)
			}
		})
	}
}
