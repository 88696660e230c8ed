// Package mysql is the MySQL/MariaDB connector: a source that reads tables
// incrementally like the Confluent JDBC source connector, and a destination
// that writes sink records like the JDBC sink connector.
package mysql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxIdentLen is MySQL's limit for table and column names.
const maxIdentLen = 64

// ValidateIdent checks that name can be used as a MySQL table, database or
// column name: 1 to 64 characters of valid UTF-8 within the Basic
// Multilingual Plane (MySQL and MariaDB store identifiers as utf8mb3 and
// reject e.g. emoji with error 1300), no NUL, and no trailing space. Any
// other character is allowed because QuoteIdent makes it safe.
func ValidateIdent(name string) error {
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
	return nil
}

// QuoteIdent returns name as a back-quoted identifier, doubling any
// back-quote inside it. Callers validate with ValidateIdent first.
func QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QuoteQualified quotes a possibly database-qualified name ("db.table"),
// validating each part.
func QuoteQualified(name string) (string, error) {
	parts := strings.Split(name, ".")
	if len(parts) > 2 {
		return "", fmt.Errorf("mysql: %q has more than one '.'; quote names that contain dots is not supported", name)
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		if err := ValidateIdent(p); err != nil {
			return "", err
		}
		out[i] = QuoteIdent(p)
	}
	return strings.Join(out, "."), nil
}
