package mysql

import (
	"context"
	"crypto/x509"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/shared/backoff"
)

// scriptedConnector fails Connect with errs in order, then succeeds.
type scriptedConnector struct {
	errs  []error
	calls int
}

func (s *scriptedConnector) Connect(context.Context) (driver.Conn, error) {
	s.calls++
	if s.calls <= len(s.errs) {
		return nil, s.errs[s.calls-1]
	}
	return fakeConn{}, nil
}

func (s *scriptedConnector) Driver() driver.Driver { return nil }

type fakeConn struct{ driver.Conn }

// TestRetryConnector checks which connection failures connection.attempts
// retries, how often, and the connection.backoff.ms waits between them.
func TestRetryConnector(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	denied := &gomysql.MySQLError{Number: 1045, Message: "Access denied for user 'app'@'localhost'"}
	tooMany := &gomysql.MySQLError{Number: 1040, Message: "Too many connections"}
	badCert := fmt.Errorf("tls: %w", x509.UnknownAuthorityError{})
	tests := []struct {
		name      string
		attempts  int
		errs      []error
		wantCalls int
		wantErr   error // nil: Connect succeeds
		wantMsg   string
	}{
		{"refused then up", 3, []error{refused, refused}, 3, nil, ""},
		{"refused every time", 3, []error{refused, refused, refused, refused}, 3, syscall.ECONNREFUSED, "attempt 3 of 3 (connection.attempts=3, connection.backoff.ms=250)"},
		{"one attempt", 1, []error{refused}, 1, syscall.ECONNREFUSED, ""},
		{"handshake cut", 2, []error{gomysql.ErrInvalidConn}, 2, nil, ""},
		{"too many connections", 4, []error{tooMany, tooMany}, 3, nil, ""},
		{"access denied is not retried", 5, []error{denied}, 1, denied, "Access denied"},
		{"server without TLS is not retried", 5, []error{gomysql.ErrNoTLS}, 1, gomysql.ErrNoTLS, ""},
		{"untrusted certificate is not retried", 5, []error{badCert}, 1, badCert, ""},
		{"other error is not retried", 5, []error{errors.New("boom")}, 1, nil, "boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inner := &scriptedConnector{errs: tc.errs}
			var waits []time.Duration
			c := &retryConnector{Connector: inner, attempts: tc.attempts, backoff: 250 * time.Millisecond, log: discardLogger(),
				sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }}
			_, err := c.Connect(context.Background())
			if inner.calls != tc.wantCalls {
				t.Errorf("attempts = %d, want %d", inner.calls, tc.wantCalls)
			}
			if len(waits) != tc.wantCalls-1 {
				t.Errorf("waits = %v, want %d", waits, tc.wantCalls-1)
			}
			for _, w := range waits {
				if w != 250*time.Millisecond {
					t.Errorf("wait %v, want the backoff 250ms", w)
				}
			}
			switch {
			case tc.wantErr == nil && tc.wantMsg == "":
				if err != nil {
					t.Fatalf("Connect: %v", err)
				}
			case err == nil:
				t.Fatal("Connect succeeded, want an error")
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("error %v does not wrap %v", err, tc.wantErr)
			}
			if tc.wantMsg != "" && (err == nil || !strings.Contains(err.Error(), tc.wantMsg)) {
				t.Errorf("error %v, want it to say %q", err, tc.wantMsg)
			}
		})
	}
}

// TestRetryConnectorDeadline checks that a wait ending after the context's
// deadline is not started and a canceled wait ends the attempts.
func TestRetryConnectorDeadline(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	inner := &scriptedConnector{errs: []error{refused, refused}}
	c := &retryConnector{Connector: inner, attempts: 3, backoff: time.Hour, log: discardLogger(),
		sleep: func(context.Context, time.Duration) error { t.Fatal("slept past the deadline"); return nil }}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.Connect(ctx)
	if inner.calls != 1 || err == nil || !strings.Contains(err.Error(), "connection.backoff.ms=3600000 wait would end after the invocation's deadline") {
		t.Errorf("calls = %d, err = %v", inner.calls, err)
	}

	inner = &scriptedConnector{errs: []error{refused, refused}}
	c = &retryConnector{Connector: inner, attempts: 3, backoff: time.Millisecond, log: discardLogger(), sleep: backoff.Sleep}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := c.Connect(ctx); inner.calls != 1 || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("canceled: calls = %d, err = %v", inner.calls, err)
	}
}

// cuttingListener accepts loopback connections and closes each at once,
// so every MySQL handshake fails at the connection level; it counts them.
func cuttingListener(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = c.Close()
		}
	}()
	return ln.Addr().String(), accepted
}

// TestOpenHonoursConnectionRetryKeys opens the source and the sink from
// parsed configs against a port that cuts every connection: the number
// of connections and the time spent follow connection.attempts and
// connection.backoff.ms, defaults included.
func TestOpenHonoursConnectionRetryKeys(t *testing.T) {
	tests := []struct {
		name      string
		props     map[string]string
		wantConns int32
		minTime   time.Duration
	}{
		{"four attempts 40ms apart", map[string]string{"connection.attempts": "4", "connection.backoff.ms": "40"}, 4, 120 * time.Millisecond},
		{"default three attempts", map[string]string{"connection.backoff.ms": "10"}, 3, 20 * time.Millisecond},
		{"one attempt", map[string]string{"connection.attempts": "1"}, 1, 0},
		// The default 10 s backoff does not fit the 3 s context: one attempt.
		{"default backoff beyond the deadline", map[string]string{}, 1, 0},
	}
	open := map[string]func(map[string]string) (interface{ ping(context.Context) error }, error){
		"source": func(p map[string]string) (interface{ ping(context.Context) error }, error) {
			p["mode"], p["incrementing.column.name"], p["topic.prefix"] = "incrementing", "id", "t-"
			cfg, err := ParseSourceConfig(p)
			if err != nil {
				return nil, err
			}
			s, err := OpenSource(cfg)
			if err != nil {
				return nil, err
			}
			return pinger{s.db.PingContext, s.Close}, nil
		},
		"sink": func(p map[string]string) (interface{ ping(context.Context) error }, error) {
			p["topics"] = "t"
			cfg, err := ParseSinkConfig(p)
			if err != nil {
				return nil, err
			}
			s, err := OpenSink(cfg)
			if err != nil {
				return nil, err
			}
			return pinger{s.db.PingContext, s.Close}, nil
		},
	}
	for kind, openFn := range open {
		for _, tc := range tests {
			t.Run(kind+"/"+tc.name, func(t *testing.T) {
				addr, accepted := cuttingListener(t)
				props := map[string]string{"connection.url": "jdbc:mysql://" + addr + "/db", "connection.user": "u"}
				for k, v := range tc.props {
					props[k] = v
				}
				p, err := openFn(props)
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				defer cancel()
				start := time.Now()
				if err := p.ping(ctx); err == nil {
					t.Fatal("ping succeeded against a port that cuts every connection")
				}
				if el := time.Since(start); el < tc.minTime {
					t.Errorf("took %v, want at least %v of backoff", el, tc.minTime)
				}
				if n := accepted.Load(); n != tc.wantConns {
					t.Errorf("connections = %d, want %d", n, tc.wantConns)
				}
			})
		}
	}
}

type pinger struct {
	pingFn  func(context.Context) error
	closeFn func() error
}

func (p pinger) ping(ctx context.Context) error {
	defer func() { _ = p.closeFn() }()
	return p.pingFn(ctx)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
