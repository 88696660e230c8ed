package mysql

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/serverless-kafka-connect/slkc/shared/testenv"
)

// testCA is a throw-away certificate authority for the TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(name string) (*testCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// issue returns a server certificate and key (PEM) for 127.0.0.1.
func (ca *testCA) issue() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

func testCAPEM(t *testing.T) []byte {
	t.Helper()
	ca, err := newTestCA("slkc test CA")
	if err != nil {
		t.Fatal(err)
	}
	return ca.pem
}

// tlsMariaDB is this test's own MariaDB server with TLS: a private data
// directory under a temp dir, a free loopback port, certificates made by
// the test. It never touches the shared server.
type tlsMariaDB struct {
	port   int
	caPath string // the CA that signed the server certificate
	wrong  string // a CA that did not
}

// startTLSMariaDB starts the server for t and stops it (deleting its data)
// when t ends. Missing MariaDB binaries skip the test on a developer machine
// and fail it with CI=true.
func startTLSMariaDB(t *testing.T) *tlsMariaDB {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts its own MariaDB with TLS")
	}
	for _, bin := range []string{"mariadbd", "mariadb-install-db"} {
		if _, err := exec.LookPath(bin); err != nil {
			msg := fmt.Sprintf("%s not found (install Debian's mariadb-server: localstack/stack.sh up does it): %v", bin, err)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	s, stop, err := launchTLSMariaDB()
	if stop != nil {
		t.Cleanup(stop)
	}
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// launchTLSMariaDB returns the server and, once anything needs cleaning up,
// the function that stops it and removes its folder.
func launchTLSMariaDB() (_ *tlsMariaDB, stop func(), _ error) {
	dir, err := os.MkdirTemp("", "slkc-tls-mariadb-")
	if err != nil {
		return nil, nil, err
	}
	stop = func() { os.RemoveAll(dir) }
	ca, err := newTestCA("slkc TLS test CA")
	if err != nil {
		return nil, stop, err
	}
	wrong, err := newTestCA("some other CA")
	if err != nil {
		return nil, stop, err
	}
	cert, key, err := ca.issue()
	if err != nil {
		return nil, stop, err
	}
	files := map[string][]byte{"ca.pem": ca.pem, "wrong-ca.pem": wrong.pem, "server.pem": cert, "server.key": key}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, stop, err
		}
	}
	var user []string
	if os.Getuid() == 0 {
		user = []string{"--user=root"}
	}
	data := filepath.Join(dir, "data")
	install := exec.Command("mariadb-install-db", append([]string{"--no-defaults", "--datadir=" + data, "--skip-test-db",
		"--auth-root-authentication-method=normal"}, user...)...)
	if out, err := install.CombinedOutput(); err != nil {
		return nil, stop, fmt.Errorf("mariadb-install-db: %w: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, stop, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logPath := filepath.Join(dir, "mariadb.log")
	srv := exec.Command("mariadbd", append([]string{"--no-defaults", "--datadir=" + data,
		"--socket=" + filepath.Join(dir, "mysqld.sock"), "--pid-file=" + filepath.Join(dir, "mysqld.pid"),
		fmt.Sprintf("--port=%d", port), "--bind-address=127.0.0.1", "--log-error=" + logPath,
		"--skip-log-bin", "--innodb-buffer-pool-size=16M", "--performance-schema=OFF",
		"--ssl-ca=" + filepath.Join(dir, "ca.pem"), "--ssl-cert=" + filepath.Join(dir, "server.pem"),
		"--ssl-key=" + filepath.Join(dir, "server.key")}, user...)...)
	if err := srv.Start(); err != nil {
		return nil, stop, fmt.Errorf("start mariadbd: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	stop = func() {
		_ = srv.Process.Kill()
		<-exited
		os.RemoveAll(dir)
	}
	// Ready when root (no password over TCP after install-db) can run a query.
	dsn := fmt.Sprintf("root@tcp(127.0.0.1:%d)/mysql?timeout=1s", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, _ := sql.Open("mysql", dsn)
		err := db.Ping()
		db.Close()
		if err == nil {
			break
		}
		select {
		case werr := <-exited:
			logText, _ := os.ReadFile(logPath)
			exited <- werr
			return nil, stop, fmt.Errorf("mariadbd exited during start-up (%v): %s", werr, logText)
		default:
		}
		if time.Now().After(deadline) {
			logText, _ := os.ReadFile(logPath)
			return nil, stop, fmt.Errorf("mariadbd with TLS not ready on port %d after 30 s (%v): %s", port, err, logText)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return &tlsMariaDB{port: port, caPath: filepath.Join(dir, "ca.pem"), wrong: filepath.Join(dir, "wrong-ca.pem")}, stop, nil
}

func (s *tlsMariaDB) url(opts string) string {
	return fmt.Sprintf("jdbc:mysql://127.0.0.1:%d/mysql?user=root&%s", s.port, opts)
}

// sslCipher connects through the connector's own path (DriverConfig, then
// NewConnector) and returns the session's Ssl_cipher.
func sslCipher(t *testing.T, url string) (string, error) {
	t.Helper()
	dc, err := ConnConfig{URL: url}.DriverConfig()
	if err != nil {
		t.Fatalf("DriverConfig(%s): %v", url, err)
	}
	conn, err := gomysql.NewConnector(dc)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var name, cipher string
	if err := db.QueryRowContext(ctx, "SHOW STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil {
		return "", err
	}
	return cipher, nil
}

func TestTLSAgainstMariaDB(t *testing.T) {
	s := startTLSMariaDB(t)
	encrypted := []struct{ name, opts string }{
		{"sslMode=REQUIRED", "sslMode=REQUIRED"},
		{"the issue's URL with the CA (VERIFY_CA)", "useSSL=true&requireSSL=true&verifyServerCertificate=true&serverSslCert=" + s.caPath},
		{"VERIFY_IDENTITY with the CA (certificate names 127.0.0.1)", "sslMode=VERIFY_IDENTITY&serverSslCert=" + s.caPath},
		{"MariaDB Connector/J useSsl with serverSslCert (jdbc:mariadb)", "useSsl=true&serverSslCert=" + s.caPath},
	}
	for _, tc := range encrypted {
		t.Run(tc.name, func(t *testing.T) {
			url := s.url(tc.opts)
			if strings.Contains(tc.name, "jdbc:mariadb") {
				url = strings.Replace(url, "jdbc:mysql:", "jdbc:mariadb:", 1)
			}
			cipher, err := sslCipher(t, url)
			if err != nil {
				t.Fatal(err)
			}
			if cipher == "" {
				t.Fatal("session is not encrypted: Ssl_cipher is empty")
			}
		})
	}
	t.Run("plaintext without TLS options (control)", func(t *testing.T) {
		cipher, err := sslCipher(t, s.url("connectTimeout=5000"))
		if err != nil {
			t.Fatal(err)
		}
		if cipher != "" {
			t.Fatalf("Ssl_cipher %q without TLS options: the control shows nothing", cipher)
		}
	})
	refused := []struct{ name, opts, errHas string }{
		{"VERIFY_CA with the wrong CA", "sslMode=VERIFY_CA&serverSslCert=" + s.wrong, "certificate signed by unknown authority"},
		{"the issue's URL with the system roots", "useSSL=true&requireSSL=true&verifyServerCertificate=true", "certificate"},
		{"VERIFY_IDENTITY with the wrong CA", "sslMode=VERIFY_IDENTITY&serverSslCert=" + s.wrong, "certificate"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			cipher, err := sslCipher(t, s.url(tc.opts))
			if err == nil {
				t.Fatalf("connected (Ssl_cipher %q) although the server certificate must not verify", cipher)
			}
			if !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("error %q does not contain %q", err, tc.errHas)
			}
		})
	}
	t.Run("unsupported option refused by name", func(t *testing.T) {
		_, err := ConnConfig{URL: s.url("sslMode=REQUIRED&enabledTLSProtocols=TLSv1.3")}.DriverConfig()
		if err == nil || !strings.Contains(err.Error(), "option enabledTLSProtocols is not supported") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestTLSRequiredNeverFallsBack: against a server without TLS, a URL that
// requires TLS fails instead of connecting in plaintext. It uses the shared
// MariaDB read-only (a refused handshake) when that server has no TLS.
func TestTLSRequiredNeverFallsBack(t *testing.T) {
	// testenv skips under -short and fails with CI=true when the shared
	// MariaDB is unreachable.
	env := testenv.New(t)
	db, _ := env.MySQLDatabase(t)
	base, err := gomysql.ParseDSN(env.MySQLDSN(""))
	if err != nil {
		t.Fatal(err)
	}
	var name, haveSSL string
	if err := db.QueryRow("SHOW VARIABLES LIKE 'have_ssl'").Scan(&name, &haveSSL); err != nil {
		t.Fatal(err)
	}
	if haveSSL == "YES" {
		if os.Getenv("CI") == "true" {
			t.Fatal("the shared MariaDB has TLS enabled (localstack/stack.sh starts it without): no plaintext-only server to test against")
		}
		t.Skip("the shared MariaDB has TLS enabled: no plaintext-only server to test against")
	}
	url := fmt.Sprintf("jdbc:mysql://%s/mysql?user=%s&password=%s&sslMode=REQUIRED", base.Addr, base.User, base.Passwd)
	cipher, err := sslCipher(t, url)
	if err == nil {
		t.Fatalf("connected to a server without TLS (Ssl_cipher %q) although TLS was required", cipher)
	}
	if !strings.Contains(err.Error(), "TLS") {
		t.Errorf("error %q does not say TLS is missing", err)
	}
}
