// Package ident is the rule every sink applies to names that come from
// records or from config before they become table, column or attribute
// names: a name with a backquote, a ';', a control character (NUL
// included) or white space at either end is refused, because such a name
// is far more often an injection attempt or a corrupted record than a real
// table or column. Quoting alone would make them safe to send, but would
// also quietly create tables and columns no one can type. A connector
// that really needs such names sets identifiers.permissive=true
// (config.KeyIdentifiersPermissive); its own syntax rules (e.g. MySQL's
// length limit) still apply.
package ident

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// Check returns nil when name may be used as an identifier by default, or
// an error quoting the name and naming the character at fault and the key
// that allows it.
func Check(name string) error {
	for i, r := range name {
		var what string
		switch {
		case r == '`':
			what = "a backquote"
		case r == ';':
			what = "a ';'"
		case r == 0:
			what = "a NUL character"
		case unicode.IsControl(r):
			what = fmt.Sprintf("the control character %U", r)
		case unicode.IsSpace(r) && (i == 0 || i+utf8.RuneLen(r) == len(name)):
			what = "white space at its start or end"
		default:
			continue
		}
		return fmt.Errorf("identifier %q contains %s; such names are refused unless %s=true", name, what, config.KeyIdentifiersPermissive)
	}
	return nil
}
