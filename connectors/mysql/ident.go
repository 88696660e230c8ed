// Package mysql is the MySQL/MariaDB connector: a source that reads tables
// incrementally like the Confluent JDBC source connector, and a destination
// that writes sink records like the JDBC sink connector.
package mysql

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/serverless-kafka-connect/slkc/shared/ident"
)

// maxIdentLen is MySQL's limit for table and column names.
const maxIdentLen = 64

// ValidateIdent checks that name, taken from a record or from config, can
// be used as a MySQL table, database or column name: ValidateIdentPermissive's
// rules, and none of the characters shared/ident refuses by default (a
// backquote, ';', control characters, white space at either end). The
// error quotes the name and says what is wrong.
func ValidateIdent(name string) error {
	return validateIdent(name, false)
}

// ValidateIdentPermissive checks only what MySQL itself requires of a
// name: 1 to 64 characters of valid UTF-8 within the Basic Multilingual
// Plane (MySQL and MariaDB store identifiers as utf8mb3 and reject e.g.
// emoji with error 1300), no NUL, and no trailing space. Any other
// character is allowed because QuoteIdent makes it safe. It is the check
// under identifiers.permissive=true.
func ValidateIdentPermissive(name string) error {
	return validateIdent(name, true)
}

func validateIdent(name string, permissive bool) error {
	switch {
	case name == "":
		return fmt.Errorf("mysql: empty identifier")
	case !utf8.ValidString(name):
		return fmt.Errorf("mysql: identifier %q is not valid UTF-8", name)
	case utf8.RuneCountInString(name) > maxIdentLen:
		return fmt.Errorf("mysql: identifier %q is longer than %d characters", name, maxIdentLen)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("mysql: identifier %q contains a NUL character", name)
	case strings.HasSuffix(name, " "):
		return fmt.Errorf("mysql: identifier %q ends with a space", name)
	}
	for _, r := range name {
		if r > 0xFFFF {
			return fmt.Errorf("mysql: identifier %q contains %q, outside the Basic Multilingual Plane that MySQL identifiers allow", name, r)
		}
	}
	if !permissive {
		if err := ident.Check(name); err != nil {
			return fmt.Errorf("mysql: %w", err)
		}
	}
	return nil
}

// QuoteIdent returns name as a back-quoted identifier, doubling any
// back-quote inside it. Callers validate with ValidateIdent first.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteQualified quotes a possibly database-qualified name ("db.table"),
// validating each part with ValidateIdent.
func QuoteQualified(name string) (string, error) {
	return quoteQualified(name, false)
}

// quoteQualified is QuoteQualified, with ValidateIdentPermissive's rules
// when permissive is set.
func quoteQualified(name string, permissive bool) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("mysql: %q has more than one '.'; quote names that contain dots is not supported", name)
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		if err := validateIdent(p, permissive); err != nil {
			return "", err
		}
		out[i] = QuoteIdent(p)
	}
	return strings.Join(out, "."), nil
}
