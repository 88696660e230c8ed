package mysql

import (
	"strings"
	"testing"
)

func TestValidateAndQuoteIdent(t *testing.T) {
	cases := []struct {
		name, in, quoted, err string
	}{
		{"plain", "orders", "`orders`", ""},
		{"backquote refused", "a`b", "", "backquote"},
		{"injection refused", "x`; DROP TABLE t; --", "", "backquote"},
		{"semicolon refused", "a;b", "", "';'"},
		{"control character refused", "a\x01b", "", "U+0001"},
		{"leading space refused", " a", "", "white space"},
		{"unicode", "caf\u00e9_\u4e2d", "`caf\u00e9_\u4e2d`", ""},
		{"emoji rejected", "orders_\U0001F680", "", "Basic Multilingual Plane"},
		{"empty", "", "", "empty identifier"},
		{"too long", strings.Repeat("a", 65), "", "longer than 64"},
		{"nul", "a\x00b", "", "NUL"},
		{"trailing space", "a ", "", "ends with a space"},
		{"invalid utf8", "a\xffb", "", "not valid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateIdent(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ValidateIdent(%q) = %v, want error containing %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := QuoteIdent(tc.in); got != tc.quoted {
				t.Fatalf("QuoteIdent(%q) = %s, want %s", tc.in, got, tc.quoted)
			}
		})
	}
}

// TestValidateIdentPermissive: identifiers.permissive=true lets through
// what MySQL can store, and QuoteIdent keeps it one identifier.
func TestValidateIdentPermissive(t *testing.T) {
	cases := []struct {
		name, in, quoted, err string
	}{
		{"backquote doubled", "a`b", "`a``b`", ""},
		{"injection stays one identifier", "x`; DROP TABLE t; --", "`x``; DROP TABLE t; --`", ""},
		{"leading space", " a", "` a`", ""},
		{"nul still refused", "a\x00b", "", "NUL"},
		{"trailing space still refused", "a ", "", "ends with a space"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateIdentPermissive(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ValidateIdentPermissive(%q) = %v, want error containing %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := QuoteIdent(tc.in); got != tc.quoted {
				t.Fatalf("QuoteIdent(%q) = %s, want %s", tc.in, got, tc.quoted)
			}
		})
	}
}

func TestQuoteQualified(t *testing.T) {
	if got, err := QuoteQualified("db.orders"); err != nil || got != "`db`.`orders`" {
		t.Fatalf("QuoteQualified(db.orders) = %q, %v", got, err)
	}
	for _, bad := range []string{"a.b.c", ".orders", "db.", "db.a\x00"} {
		if _, err := QuoteQualified(bad); err == nil {
			t.Errorf("QuoteQualified(%q) must fail", bad)
		}
	}
}

func TestDriverConfig(t *testing.T) {
	cases := []struct {
		name, url, user, pass string
		addr, db, wantUser    string
		err                   string
	}{
		{name: "jdbc", url: "jdbc:mysql://db.example:3307/shop?user=u&password=p", addr: "db.example:3307", db: "shop", wantUser: "u"},
		{name: "jdbc default port, override user", url: "jdbc:mysql://h/shop", user: "me", pass: "pw", addr: "h:3306", db: "shop", wantUser: "me"},
		{name: "go dsn", url: "app:secret@tcp(127.0.0.1:3306)/shop", addr: "127.0.0.1:3306", db: "shop", wantUser: "app"},
		{name: "no database", url: "jdbc:mysql://h:1/", err: "no database"},
		{name: "postgres rejected", url: "jdbc:postgresql://h/db", err: "only jdbc:mysql"},
		{name: "garbage", url: "not a url at all", err: "connection.url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConnConfig{URL: tc.url, User: tc.user, Password: tc.pass}.DriverConfig()
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Addr != tc.addr || cfg.DBName != tc.db || cfg.User != tc.wantUser || !cfg.ParseTime {
				t.Fatalf("cfg = addr %s db %s user %s parseTime %v", cfg.Addr, cfg.DBName, cfg.User, cfg.ParseTime)
			}
			if tc.pass != "" && cfg.Passwd != tc.pass {
				t.Fatalf("password override not applied")
			}
		})
	}
}

func TestRedactHidesPasswords(t *testing.T) {
	for _, s := range []string{"jdbc:mysql://u:hunter2@h:3306/db", "u:hunter2@tcp(h:3306)/db"} {
		if strings.Contains(redact(s), "hunter2") {
			t.Errorf("redact(%q) = %q leaks the password", s, redact(s))
		}
	}
}
