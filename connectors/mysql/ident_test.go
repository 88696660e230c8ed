package mysql

import (
	"strings"
	"testing"
)

// TestValidateAndQuoteIdent covers ValidateIdent (the default) and, with
// permissive set, ValidateIdentPermissive (identifiers.permissive=true),
// which lets through what MySQL can store; QuoteIdent keeps any accepted
// name one identifier.
func TestValidateAndQuoteIdent(t *testing.T) {
	cases := []struct {
		name, in, quoted, err string
		permissive            bool
	}{
		{name: "plain", in: "orders", quoted: "`orders`"},
		{name: "backquote refused", in: "a`b", err: "backquote"},
		{name: "injection refused", in: "x`; DROP TABLE t; --", err: "backquote"},
		{name: "semicolon refused", in: "a;b", err: "';'"},
		{name: "control character refused", in: "a\x01b", err: "U+0001"},
		{name: "leading space refused", in: " a", err: "white space"},
		{name: "unicode", in: "caf\u00e9_\u4e2d", quoted: "`caf\u00e9_\u4e2d`"},
		{name: "emoji rejected", in: "orders_\U0001F680", err: "Basic Multilingual Plane"},
		{name: "empty", in: "", err: "empty identifier"},
		{name: "too long", in: strings.Repeat("a", 65), err: "longer than 64"},
		{name: "nul", in: "a\x00b", err: "NUL"},
		{name: "trailing space", in: "a ", err: "ends with a space"},
		{name: "invalid utf8", in: "a\xffb", err: "not valid UTF-8"},
		{name: "permissive: backquote doubled", in: "a`b", quoted: "`a``b`", permissive: true},
		{name: "permissive: injection stays one identifier", in: "x`; DROP TABLE t; --", quoted: "`x``; DROP TABLE t; --`", permissive: true},
		{name: "permissive: leading space", in: " a", quoted: "` a`", permissive: true},
		{name: "permissive: nul still refused", in: "a\x00b", err: "NUL", permissive: true},
		{name: "permissive: trailing space still refused", in: "a ", err: "ends with a space", permissive: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			validate := ValidateIdent
			if tc.permissive {
				validate = ValidateIdentPermissive
			}
			err := validate(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("validate(%q) = %v, want error containing %q", tc.in, err, tc.err)
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
