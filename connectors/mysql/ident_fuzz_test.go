package mysql

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// lexBackquoted reads one back-quoted identifier token at the start of s the
// way MySQL's lexer does: "`", then any characters where "“" stands for one
// back-quote, then a closing "`". It returns the unquoted name and the rest
// of s after the token, or ok=false when s does not start with a complete
// token.
func lexBackquoted(s string) (name, rest string, ok bool) {
	if !strings.HasPrefix(s, "`") {
		return "", s, false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '`' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '`' {
			b.WriteByte('`')
			i++
			continue
		}
		return b.String(), s[i+1:], true
	}
	return "", s, false
}

// checkSingleToken asserts that q, placed in `SELECT * FROM <q>`, is exactly
// one back-quoted identifier token that unquotes to want: nothing of the
// input can escape into SQL.
func checkSingleToken(q, want string) error {
	name, rest, ok := lexBackquoted(q)
	if !ok {
		return fmt.Errorf("%q is not a complete back-quoted token", q)
	}
	if rest != "" {
		return fmt.Errorf("%q leaves %q after the identifier token: SQL injection", q, rest)
	}
	if name != want {
		return fmt.Errorf("%q unquotes to %q, want %q", q, name, want)
	}
	return nil
}

// checkClearError asserts that a rejection says it comes from the mysql
// connector, concerns an identifier and shows the offending text.
func checkClearError(err error, input string) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, "mysql: ") {
		return fmt.Errorf("error %q does not say which component rejected it", msg)
	}
	if input != "" && !strings.Contains(msg, fmt.Sprintf("%q", input)) && !strings.Contains(msg, "identifier") {
		return fmt.Errorf("error %q names neither the identifier nor the input", msg)
	}
	return nil
}

var identSeeds = []string{
	"orders", "a`b", "`", "``", "x`; DROP TABLE t; --", "a'b\"c", "semi;colon", "dash--dash", "/* c */",
	"ünïcødé", "表", "🙂emoji", strings.Repeat("a", 64), strings.Repeat("é", 64), strings.Repeat("a", 65),
	"", " ", "trailing ", "nul\x00", "\xff\xfe", "db.table", "a.b.c", ".", "db.", "`.`", "new\nline", "tab\t",
}

// FuzzQuoteIdent: for any input, ValidateIdent rejects it with a clear error,
// or QuoteIdent yields a single back-quoted token that unquotes to the input.
func FuzzQuoteIdent(f *testing.F) {
	for _, s := range identSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if err := ValidateIdent(name); err == nil && strings.ContainsAny(name, "`;\x00\n\r\t") {
			t.Fatalf("ValidateIdent accepted %q, which identifiers.permissive=false refuses", name)
		}
		// Quoting must be safe for everything the permissive mode lets
		// through (the strict mode accepts a subset of it).
		if err := ValidateIdentPermissive(name); err != nil {
			if cerr := checkClearError(err, name); cerr != nil {
				t.Fatal(cerr)
			}
			return
		}
		if !utf8.ValidString(name) || strings.ContainsRune(name, 0) || utf8.RuneCountInString(name) > 64 {
			t.Fatalf("ValidateIdentPermissive accepted %q, which MySQL cannot store as an identifier", name)
		}
		q := QuoteIdent(name)
		if err := checkSingleToken(q, name); err != nil {
			t.Fatal(err)
		}
		if stmt := "SELECT * FROM " + q; !strings.HasPrefix(stmt, "SELECT * FROM `") {
			t.Fatalf("statement %q", stmt)
		}
	})
}

// FuzzQuoteQualified: for any input, QuoteQualified rejects it with a clear
// error, or yields one or two back-quoted tokens joined by a single "."
// whose unquoted parts joined by "." equal the input.
func FuzzQuoteQualified(f *testing.F) {
	for _, s := range identSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		q, err := quoteQualified(name, true)
		if err != nil {
			if q != "" {
				t.Fatalf("QuoteQualified(%q) returned %q with error %v", name, q, err)
			}
			if cerr := checkClearError(err, name); cerr != nil {
				t.Fatal(cerr)
			}
			return
		}
		var parts []string
		rest := q
		for {
			part, after, ok := lexBackquoted(rest)
			if !ok {
				t.Fatalf("QuoteQualified(%q) = %q: %q is not a back-quoted token", name, q, rest)
			}
			parts = append(parts, part)
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, ".") {
				t.Fatalf("QuoteQualified(%q) = %q: %q follows an identifier: SQL injection", name, q, after)
			}
			rest = after[1:]
		}
		if len(parts) > 2 {
			t.Fatalf("QuoteQualified(%q) = %q has %d parts", name, q, len(parts))
		}
		if got := strings.Join(parts, "."); got != name {
			t.Fatalf("QuoteQualified(%q) = %q unquotes to %q", name, q, got)
		}
		for _, p := range parts {
			if err := ValidateIdentPermissive(p); err != nil {
				t.Fatalf("quoteQualified(%q) accepted part %q that ValidateIdentPermissive rejects: %v", name, p, err)
			}
		}
		if _, err := QuoteQualified(name); err == nil && strings.ContainsAny(name, "`;") {
			t.Fatalf("QuoteQualified accepted %q by default", name)
		}
	})
}

// TestLexBackquoted checks the test's own lexer, so a broken oracle cannot
// make the fuzz targets pass vacuously.
func TestLexBackquoted(t *testing.T) {
	tests := []struct {
		name, in, want, rest string
		ok                   bool
	}{
		{name: "plain", in: "`a`", want: "a", ok: true},
		{name: "doubled quote", in: "`a``b`", want: "a`b", ok: true},
		{name: "injection leaves rest", in: "`a`; DROP TABLE t", want: "a", rest: "; DROP TABLE t", ok: true},
		{name: "unterminated", in: "`a``", ok: false, rest: "`a``"},
		{name: "no quote", in: "a", ok: false, rest: "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rest, ok := lexBackquoted(tt.in)
			if got != tt.want || rest != tt.rest || ok != tt.ok {
				t.Errorf("lexBackquoted(%q) = %q, %q, %v; want %q, %q, %v", tt.in, got, rest, ok, tt.want, tt.rest, tt.ok)
			}
		})
	}
	if err := checkSingleToken("`a`;--`", "a"); err == nil {
		t.Error("checkSingleToken accepted a token followed by SQL")
	}
	if err := checkSingleToken("`a`", "a"); err != nil {
		t.Errorf("checkSingleToken rejected a clean token: %v", err)
	}
}

// TestHostileIdentifiersOnMariaDB creates tables and columns with hostile
// names on the real MariaDB through QuoteIdent and reads the names and a row
// back: what goes in as a name comes out as the same name, and nothing runs
// as SQL. These are the names identifiers.permissive=true lets through
// (ValidateIdentPermissive); by default ValidateIdent refuses those with a
// backquote, ';' or a control character.
func TestHostileIdentifiersOnMariaDB(t *testing.T) {
	env := testenv.New(t)
	db, dbName := env.MySQLDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	hostile := []string{
		"a`b", "``", "x`; DROP TABLE canary; --", "it's \"quoted\"", "semi;colon", "dash--dash", "/* c */ x",
		"ünïcødé 表", strings.Repeat("t", 64), strings.Repeat("é", 64), "new\nline", "1", "select",
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE canary (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	for i, name := range hostile {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			if err := ValidateIdentPermissive(name); err != nil {
				t.Fatalf("ValidateIdentPermissive(%q) = %v; want accepted", name, err)
			}
			if err := ValidateIdent(name); (err == nil) == strings.ContainsAny(name, "`;\n") {
				t.Fatalf("ValidateIdent(%q) = %v; want refused exactly when it has a backquote, ';' or newline", name, err)
			}
			// The column gets the same hostile name: a table and its column
			// may share a name, and both must survive quoting.
			table, col := QuoteIdent(name), QuoteIdent(name)
			qualified, err := quoteQualified(dbName+"."+name, true)
			if err != nil {
				t.Fatalf("QuoteQualified(%q): %v", dbName+"."+name, err)
			}
			stmts := []string{
				fmt.Sprintf("CREATE TABLE %s (id INT PRIMARY KEY, %s VARCHAR(100))", table, col),
				fmt.Sprintf("INSERT INTO %s (id, %s) VALUES (1, ?)", table, col),
			}
			if _, err := db.ExecContext(ctx, stmts[0]); err != nil {
				t.Fatalf("%s: %v", stmts[0], err)
			}
			if _, err := db.ExecContext(ctx, stmts[1], name); err != nil {
				t.Fatalf("%s: %v", stmts[1], err)
			}
			var got string
			if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT %s FROM %s WHERE id = 1", col, qualified)).Scan(&got); err != nil {
				t.Fatalf("select back: %v", err)
			}
			if got != name {
				t.Errorf("value read back %q, want %q", got, name)
			}
			var gotTable, gotCol string
			err = db.QueryRowContext(ctx, `SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS
				WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME <> 'id'`, dbName, name).Scan(&gotTable, &gotCol)
			if err != nil {
				t.Fatalf("information_schema lookup of table %q: %v", name, err)
			}
			if gotTable != name || gotCol != name {
				t.Errorf("catalog has table %q column %q, want %q for both", gotTable, gotCol, name)
			}
			if _, err := db.ExecContext(ctx, "DROP TABLE "+table); err != nil {
				t.Fatalf("drop: %v", err)
			}
		})
	}
	// MySQL and MariaDB keep identifiers in utf8mb3: characters outside the
	// Basic Multilingual Plane are refused by the server (error 1300), so
	// ValidateIdent refuses them up front, before any SQL runs.
	t.Run("outside BMP", func(t *testing.T) {
		name := "emoji\U0001F642"
		if err := ValidateIdent(name); err == nil {
			t.Fatalf("ValidateIdent(%q) accepted a name the server refuses", name)
		}
		_, err := db.ExecContext(ctx, fmt.Sprintf("CREATE TABLE %s (id INT PRIMARY KEY)", QuoteIdent(name)))
		var me *gomysql.MySQLError
		if !errors.As(err, &me) || me.Number != 1300 {
			t.Fatalf("CREATE TABLE %s: %v; the server was expected to refuse it with error 1300", QuoteIdent(name), err)
		}
	})
	var n int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'canary'", dbName).Scan(&n); err != nil || n != 1 {
		t.Fatalf("canary table: count %d, err %v; a hostile name ran as SQL", n, err)
	}
}
