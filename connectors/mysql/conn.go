package mysql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/shared/backoff"
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
	// Attempts and Backoff are connection.attempts and
	// connection.backoff.ms: each new connection is tried up to Attempts
	// times, Backoff apart, while the failure is connection-level (see
	// retryableConnect). Zero Attempts means one.
	Attempts int
	Backoff  time.Duration
}

// connector returns the driver connector of dc (a DriverConfig of c) that
// retries each new connection as Attempts and Backoff say.
func (c ConnConfig) connector(dc *gomysql.Config) (driver.Connector, error) {
	conn, err := gomysql.NewConnector(dc)
	if err != nil {
		return nil, err
	}
	return &retryConnector{Connector: conn, attempts: max(1, c.Attempts), backoff: c.Backoff, sleep: backoff.Sleep,
		log: slog.Default().With("component", "mysql-conn", "db", dc.DBName)}, nil
}

// retryConnector retries the connections of a driver.Connector, as the
// JDBC connectors' connection.attempts and connection.backoff.ms do. The
// attempts and waits stay inside the caller's context: a wait that would
// end after its deadline is not started.
type retryConnector struct {
	driver.Connector
	attempts int
	backoff  time.Duration
	sleep    func(context.Context, time.Duration) error
	log      *slog.Logger
}

// Connect opens a connection, retrying connection-level failures.
func (c *retryConnector) Connect(ctx context.Context) (driver.Conn, error) {
	for n := 1; ; n++ {
		conn, err := c.Connector.Connect(ctx)
		if err == nil {
			return conn, nil
		}
		if n >= c.attempts || !retryableConnect(err) || ctx.Err() != nil {
			if n > 1 {
				return nil, fmt.Errorf("mysql: connect: attempt %d of %d (%s=%d, %s=%d): %w",
					n, c.attempts, KeyConnectionAttempts, c.attempts, KeyConnectionBackoffMS, c.backoff.Milliseconds(), err)
			}
			return nil, err
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < c.backoff {
			return nil, fmt.Errorf("mysql: connect: attempt %d of %d failed and the %s=%d wait would end after the invocation's deadline: %w",
				n, c.attempts, KeyConnectionBackoffMS, c.backoff.Milliseconds(), err)
		}
		c.log.Warn("mysql connect failed, retrying", "attempt", n, "attempts", c.attempts, "backoff_ms", c.backoff.Milliseconds(), "err", err)
		if serr := c.sleep(ctx, c.backoff); serr != nil {
			return nil, fmt.Errorf("mysql: connect: attempt %d of %d: %w (waiting to retry: %w)", n, c.attempts, err, serr)
		}
	}
}

// retryConnectNumbers are the server and client errors of a connection
// that another attempt can get past.
var retryConnectNumbers = map[uint16]bool{
	1040: true, // ER_CON_COUNT_ERROR: too many connections
	1053: true, // ER_SERVER_SHUTDOWN
	1927: true, // ER_CONNECTION_KILLED (MariaDB)
	2002: true, // CR_CONNECTION_ERROR
	2003: true, // CR_CONN_HOST_ERROR
	2006: true, // CR_SERVER_GONE_ERROR
	2013: true, // CR_SERVER_LOST
}

// retryableConnect reports whether a failed connection attempt is worth
// repeating: the server could not be reached, dropped the connection or
// was busy. A refused login (1045 and every other server error), a TLS
// failure (the server does not offer TLS, an untrusted or mismatched
// certificate, an alert) and a canceled or expired context are not.
func retryableConnect(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, gomysql.ErrNoTLS) {
		return false
	}
	var (
		verify    *tls.CertificateVerificationError
		alert     tls.AlertError
		header    tls.RecordHeaderError
		authority x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	if errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &header) ||
		errors.As(err, &authority) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return false
	}
	var me *gomysql.MySQLError
	if errors.As(err, &me) {
		return retryConnectNumbers[me.Number]
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, gomysql.ErrInvalidConn) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
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
