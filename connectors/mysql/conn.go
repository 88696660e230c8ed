package mysql

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// ConnConfig is the connection part of a MySQL connector config.
type ConnConfig struct {
	// URL is connection.url: "jdbc:mysql://host:port/db?params" or a
	// go-sql-driver DSN ("user:pass@tcp(host:port)/db?params").
	URL string
	// User and Password (connection.user, connection.password) override
	// any credentials in URL. The password is already resolved from Secrets
	// Manager by the config layer.
	User     string
	Password string
	// Timezone is db.timezone: the zone DATETIME values are read in and
	// written in. Default UTC.
	Timezone *time.Location
}

// DriverConfig turns c into a go-sql-driver config with the settings every
// connector relies on: parseTime, the session time zone, utf8mb4, and
// bounded dial/read/write timeouts.
func (c ConnConfig) DriverConfig() (*gomysql.Config, error) {
	var cfg *gomysql.Config
	if strings.HasPrefix(c.URL, "jdbc:") {
		var err error
		if cfg, err = parseJDBC(c.URL); err != nil {
			return nil, err
		}
	} else {
		var err error
		if cfg, err = gomysql.ParseDSN(c.URL); err != nil {
			return nil, fmt.Errorf("connection.url: not a jdbc:mysql:// URL nor a Go MySQL DSN: %w", err)
		}
	}
	if c.User != "" {
		cfg.User = c.User
	}
	if c.Password != "" {
		cfg.Passwd = c.Password
	}
	if cfg.DBName == "" {
		return nil, fmt.Errorf("connection.url %q: no database name", redact(c.URL))
	}
	loc := c.Timezone
	if loc == nil {
		loc = time.UTC
	}
	cfg.ParseTime = true
	cfg.Loc = loc
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	// The session zone makes TIMESTAMP columns come back in db.timezone,
	// matching how DATETIME values are interpreted.
	cfg.Params["time_zone"] = "'" + zoneOffsetName(loc) + "'"
	cfg.Collation = "utf8mb4_general_ci"
	cfg.InterpolateParams = false
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = 60 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 60 * time.Second
	}
	return cfg, nil
}

// zoneOffsetName returns a name MySQL accepts for the session time zone
// without time zone tables loaded: "+00:00" for UTC, otherwise the IANA name.
func zoneOffsetName(loc *time.Location) string {
	if loc == time.UTC || loc.String() == "UTC" {
		return "+00:00"
	}
	return loc.String()
}

// parseJDBC converts jdbc:mysql://[user:pass@]host[:port]/db[?k=v&...] (or
// jdbc:mariadb://) into a driver config. The options are Connector/J's:
// user, password, the TLS options (see applyURLOptions) and connectTimeout /
// socketTimeout; any other option is refused, naming it.
func parseJDBC(raw string) (*gomysql.Config, error) {
	rest := strings.TrimPrefix(raw, "jdbc:")
	if !strings.HasPrefix(rest, "mysql://") && !strings.HasPrefix(rest, "mariadb://") {
		return nil, fmt.Errorf("connection.url %q: only jdbc:mysql:// and jdbc:mariadb:// URLs are supported", redact(raw))
	}
	u, err := url.Parse(rest)
	if err != nil {
		return nil, fmt.Errorf("connection.url %q: %w", redact(raw), err)
	}
	cfg := gomysql.NewConfig()
	cfg.Net = "tcp"
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return nil, fmt.Errorf("connection.url %q: no host", redact(raw))
	}
	if port == "" {
		port = "3306"
	}
	cfg.Addr = net.JoinHostPort(host, port)
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	if err := applyURLOptions(cfg, u.Query(), strings.HasPrefix(rest, "mariadb://"), redact(raw)); err != nil {
		return nil, err
	}
	return cfg, nil
}

// redact hides a password in a URL (user info or password option) or DSN
// so it can go into an error.
func redact(s string) string {
	if u, err := url.Parse(strings.TrimPrefix(s, "jdbc:")); err == nil && strings.HasPrefix(s, "jdbc:") {
		changed := false
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
				changed = true
			}
		}
		if q := u.Query(); q.Has("password") {
			q.Set("password", "xxxxx")
			u.RawQuery = q.Encode()
			changed = true
		}
		if changed {
			return "jdbc:" + u.String()
		}
		return s
	}
	if at := strings.LastIndex(s, "@"); at > 0 {
		if colon := strings.Index(s[:at], ":"); colon >= 0 {
			return s[:colon+1] + "xxxxx" + s[at:]
		}
	}
	return s
}
