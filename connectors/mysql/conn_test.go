package mysql

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDriverConfigTLS maps the JDBC TLS options of MySQL Connector/J and
// MariaDB Connector/J to the driver's TLS settings.
func TestDriverConfigTLS(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, testCAPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	type want struct {
		tls        bool // a TLS config is set (TLS is required)
		skipVerify bool // crypto/tls skips its own verification
		chainCheck bool // the chain is verified by VerifyConnection (VERIFY_CA)
		serverName string
		rootCAs    bool
		preferred  bool // TLS when offered, plaintext otherwise
	}
	cases := []struct {
		name, url string
		want      want
	}{
		{"no options: plaintext", "jdbc:mysql://db:3306/shop", want{}},
		{"useSSL=false", "jdbc:mysql://db/shop?useSSL=false", want{}},
		{"sslMode=DISABLED", "jdbc:mysql://db/shop?sslMode=DISABLED", want{}},
		{"useSSL alone is PREFERRED (Connector/J)", "jdbc:mysql://db/shop?useSSL=true", want{preferred: true}},
		{"sslMode=PREFERRED", "jdbc:mysql://db/shop?sslMode=preferred", want{preferred: true}},
		{"requireSSL is REQUIRED", "jdbc:mysql://db/shop?useSSL=true&requireSSL=true", want{tls: true, skipVerify: true}},
		{"sslMode=REQUIRED", "jdbc:mysql://db/shop?sslMode=REQUIRED", want{tls: true, skipVerify: true}},
		{"the issue's URL is VERIFY_CA", "jdbc:mysql://db/shop?useSSL=true&requireSSL=true&verifyServerCertificate=true",
			want{tls: true, skipVerify: true, chainCheck: true}},
		{"sslMode=VERIFY_CA with a PEM CA", "jdbc:mysql://db/shop?sslMode=VERIFY_CA&serverSslCert=" + ca,
			want{tls: true, skipVerify: true, chainCheck: true}},
		{"sslMode=VERIFY_IDENTITY, system roots", "jdbc:mysql://db.example:3307/shop?sslMode=VERIFY_IDENTITY",
			want{tls: true, serverName: "db.example"}},
		{"VERIFY_IDENTITY with a PEM CA (file: prefix)", "jdbc:mysql://10.0.0.5/shop?sslMode=VERIFY_IDENTITY&serverSslCert=file:" + ca,
			want{tls: true, serverName: "10.0.0.5", rootCAs: true}},
		{"agreeing sslMode and booleans", "jdbc:mysql://db/shop?sslMode=REQUIRED&useSSL=true&requireSSL=true", want{tls: true, skipVerify: true}},
		{"MariaDB useSsl verifies fully", "jdbc:mariadb://db/shop?useSsl=true", want{tls: true, serverName: "db"}},
		{"MariaDB trustServerCertificate", "jdbc:mariadb://db/shop?useSsl=true&trustServerCertificate=true", want{tls: true, skipVerify: true}},
		{"MariaDB disableSslHostnameVerification", "jdbc:mariadb://db/shop?useSsl=true&disableSslHostnameVerification=true",
			want{tls: true, skipVerify: true, chainCheck: true}},
		{"MariaDB sslMode=verify-full", "jdbc:mariadb://db/shop?sslMode=verify-full&serverSslCert=" + ca, want{tls: true, serverName: "db", rootCAs: true}},
		{"MariaDB sslMode=trust", "jdbc:mariadb://db/shop?sslMode=trust", want{tls: true, skipVerify: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := ConnConfig{URL: tc.url}.DriverConfig()
			if err != nil {
				t.Fatal(err)
			}
			w := tc.want
			if cfg.AllowFallbackToPlaintext != w.preferred {
				t.Errorf("AllowFallbackToPlaintext = %v, want %v", cfg.AllowFallbackToPlaintext, w.preferred)
			}
			if w.preferred && cfg.TLSConfig != "preferred" {
				t.Errorf("TLSConfig = %q, want preferred", cfg.TLSConfig)
			}
			if !w.tls {
				if cfg.TLS != nil || (!w.preferred && cfg.TLSConfig != "") {
					t.Fatalf("TLS set (%q) for a plaintext URL", cfg.TLSConfig)
				}
				return
			}
			if cfg.TLS == nil || !strings.HasPrefix(cfg.TLSConfig, "slkc-") {
				t.Fatalf("no registered TLS config: TLS %v, name %q", cfg.TLS, cfg.TLSConfig)
			}
			got := want{tls: true, skipVerify: cfg.TLS.InsecureSkipVerify, chainCheck: cfg.TLS.VerifyConnection != nil,
				serverName: cfg.TLS.ServerName, rootCAs: cfg.TLS.RootCAs != nil}
			if got != w {
				t.Errorf("TLS = %+v, want %+v", got, w)
			}
			if cfg.TLS.MinVersion != tls.VersionTLS12 {
				t.Errorf("MinVersion = %x, want TLS 1.2", cfg.TLS.MinVersion)
			}
			// FormatDSN keeps the TLS config by its registered name.
			if !strings.Contains(cfg.FormatDSN(), "tls="+cfg.TLSConfig) {
				t.Errorf("FormatDSN %q lost the TLS config", cfg.FormatDSN())
			}
		})
	}
}

// TestDriverConfigURLOptions: supported non-TLS options work, and every
// other option is refused by name, with the password kept out of the error.
func TestDriverConfigURLOptions(t *testing.T) {
	cfg, err := ConnConfig{URL: "jdbc:mysql://db/shop?connectTimeout=2500&socketTimeout=30000"}.DriverConfig()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timeout != 2500*time.Millisecond || cfg.ReadTimeout != 30*time.Second || cfg.WriteTimeout != 30*time.Second {
		t.Errorf("timeouts %v %v %v", cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout)
	}
	errCases := []struct {
		name, url string
		errHas    []string
	}{
		{"unknown option", "jdbc:mysql://db/shop?password=hunter2&rewriteBatchedStatements=true",
			[]string{"option rewriteBatchedStatements is not supported", "supported options: user, password, sslMode"}},
		{"trust store", "jdbc:mysql://db/shop?sslMode=VERIFY_CA&trustCertificateKeyStoreUrl=file:/ca.jks&trustCertificateKeyStorePassword=x",
			[]string{"option trustCertificateKeyStoreUrl is not supported: Java key stores (JKS/PKCS12)", "serverSslCert=/path/ca.pem",
				"option trustCertificateKeyStorePassword"}},
		{"client key store", "jdbc:mysql://db/shop?sslMode=REQUIRED&clientCertificateKeyStoreUrl=file:/c.p12",
			[]string{"option clientCertificateKeyStoreUrl", "client certificate authentication is not supported"}},
		{"MariaDB key store", "jdbc:mariadb://db/shop?sslMode=trust&keyStore=/k.jks", []string{"option keyStore"}},
		{"sslMode and useSSL disagree", "jdbc:mysql://db/shop?sslMode=DISABLED&useSSL=true&requireSSL=true",
			[]string{"sslMode=DISABLED disagrees with useSSL=true, requireSSL=true, which ask for REQUIRED"}},
		{"sslMode weaker than verifyServerCertificate", "jdbc:mysql://db/shop?sslMode=REQUIRED&verifyServerCertificate=true",
			[]string{"sslMode=REQUIRED disagrees", "VERIFY_CA"}},
		{"useSSL=false with requireSSL", "jdbc:mysql://db/shop?useSSL=false&requireSSL=true",
			[]string{"useSSL=false disables TLS that other options ask for (useSSL=false, requireSSL=true)"}},
		{"trust and verify", "jdbc:mariadb://db/shop?sslMode=verify-full&trustServerCertificate=true", []string{"trustServerCertificate=true contradicts"}},
		{"bad sslMode", "jdbc:mysql://db/shop?sslMode=ON", []string{`sslMode="ON": allowed DISABLED, PREFERRED`}},
		{"bad boolean", "jdbc:mysql://db/shop?requireSSL=maybe", []string{`requireSSL="maybe": want true or false`}},
		{"CA without verification", "jdbc:mysql://db/shop?sslMode=REQUIRED&serverSslCert=/ca.pem",
			[]string{"serverSslCert is only used to verify the server", "REQUIRED"}},
		{"CA file missing", "jdbc:mysql://db/shop?sslMode=VERIFY_CA&serverSslCert=/nonexistent/ca.pem", []string{"serverSslCert", "no such file"}},
		{"CA not PEM", "jdbc:mysql://db/shop?sslMode=VERIFY_CA&serverSslCert=-----BEGIN%20nothing", []string{"no PEM certificate"}},
		{"bad timeout", "jdbc:mysql://db/shop?connectTimeout=soon", []string{`connectTimeout="soon"`}},
		{"repeated option", "jdbc:mysql://db/shop?sslMode=REQUIRED&sslMode=DISABLED", []string{"option sslMode is given 2 times"}},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ConnConfig{URL: tc.url}.DriverConfig()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestRedactHidesPasswordOption(t *testing.T) {
	if got := redact("jdbc:mysql://h/db?user=u&password=hunter2"); strings.Contains(got, "hunter2") {
		t.Errorf("redact leaks the password option: %q", got)
	}
}
