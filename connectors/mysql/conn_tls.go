package mysql

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-sql-driver/mysql"
)

// sslMode is Connector/J's sslMode, the one setting the JDBC TLS options of
// MySQL Connector/J and MariaDB Connector/J come down to.
type sslMode int

const (
	sslUnset sslMode = iota
	// sslDisabled: plaintext.
	sslDisabled
	// sslPreferred: TLS without verification when the server offers it,
	// plaintext otherwise (Connector/J's own default; here only on request).
	sslPreferred
	// sslRequired: TLS or no connection; the certificate is not verified.
	sslRequired
	// sslVerifyCA: TLS, the server certificate must chain to the trusted CAs.
	sslVerifyCA
	// sslVerifyIdentity: as sslVerifyCA and the certificate must name the host.
	sslVerifyIdentity
)

var sslModeNames = map[sslMode]string{
	sslDisabled: "DISABLED", sslPreferred: "PREFERRED", sslRequired: "REQUIRED",
	sslVerifyCA: "VERIFY_CA", sslVerifyIdentity: "VERIFY_IDENTITY",
}

func (m sslMode) String() string { return sslModeNames[m] }

// sslModeValues maps the sslMode values of MySQL Connector/J (DISABLED,
// PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY) and MariaDB Connector/J 3
// (disable, trust, verify-ca, verify-full), compared case-insensitively.
var sslModeValues = map[string]sslMode{
	"disabled": sslDisabled, "preferred": sslPreferred, "required": sslRequired,
	"verify_ca": sslVerifyCA, "verify_identity": sslVerifyIdentity,
	"disable": sslDisabled, "trust": sslRequired, "verify-ca": sslVerifyCA, "verify-full": sslVerifyIdentity,
}

// URL options of connection.url (jdbc: form) that this connector implements.
// Any other option is refused: a Connector/J setting silently ignored could
// be one the user relies on (TLS was, before these were mapped).
const (
	optUser     = "user"
	optPassword = "password"
	// TLS, MySQL Connector/J.
	optSSLMode        = "sslMode"
	optUseSSL         = "useSSL"
	optRequireSSL     = "requireSSL"
	optVerifyServCert = "verifyServerCertificate"
	// TLS, MariaDB Connector/J (2.x names still accepted by 3.x).
	optUseSsl           = "useSsl"
	optServerSslCert    = "serverSslCert"
	optTrustServerCert  = "trustServerCertificate"
	optDisableHostCheck = "disableSslHostnameVerification"
	// Timeouts in milliseconds, both drivers.
	optConnectTimeout = "connectTimeout"
	optSocketTimeout  = "socketTimeout"
)

// supportedURLOptions lists them for error messages.
var supportedURLOptions = []string{
	optUser, optPassword, optSSLMode, optUseSSL, optUseSsl, optRequireSSL, optVerifyServCert,
	optServerSslCert, optTrustServerCert, optDisableHostCheck, optConnectTimeout, optSocketTimeout,
}

// keyStoreOptions are the Java key store options of both drivers. They are
// refused with a pointer to the PEM option: Go has no JKS reader, and
// client certificates are not supported.
var keyStoreOptions = map[string]string{
	"trustCertificateKeyStoreUrl":       "give the CA certificate as a PEM file with serverSslCert=/path/ca.pem instead",
	"trustCertificateKeyStoreType":      "give the CA certificate as a PEM file with serverSslCert=/path/ca.pem instead",
	"trustCertificateKeyStorePassword":  "give the CA certificate as a PEM file with serverSslCert=/path/ca.pem instead",
	"trustStore":                        "give the CA certificate as a PEM file with serverSslCert=/path/ca.pem instead",
	"trustStoreType":                    "give the CA certificate as a PEM file with serverSslCert=/path/ca.pem instead",
	"trustStorePassword":                "give the CA certificate as a PEM file with serverSslCert=/path/ca.pem instead",
	"clientCertificateKeyStoreUrl":      "client certificate authentication is not supported",
	"clientCertificateKeyStoreType":     "client certificate authentication is not supported",
	"clientCertificateKeyStorePassword": "client certificate authentication is not supported",
	"keyStore":                          "client certificate authentication is not supported",
	"keyStoreType":                      "client certificate authentication is not supported",
	"keyStorePassword":                  "client certificate authentication is not supported",
}

// applyURLOptions applies the query options of a jdbc: URL to cfg; mariadb
// tells which driver's defaults apply to useSSL (MariaDB Connector/J
// verifies the certificate unless told not to; MySQL Connector/J does not).
// raw is the redacted URL for messages. Every problem is reported.
func applyURLOptions(cfg *gomysql.Config, q url.Values, mariadb bool, raw string) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("connection.url %q: "+format, append([]any{raw}, args...)...))
	}
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if len(q[k]) > 1 {
			bad("option %s is given %d times", k, len(q[k]))
		}
		if hint, ok := keyStoreOptions[k]; ok {
			bad("option %s is not supported: Java key stores (JKS/PKCS12) cannot be read; %s", k, hint)
			continue
		}
		if !slices.Contains(supportedURLOptions, k) {
			bad("option %s is not supported; supported options: %s", k, strings.Join(supportedURLOptions, ", "))
		}
	}
	if v := q.Get(optUser); v != "" {
		cfg.User = v
	}
	if v := q.Get(optPassword); v != "" {
		cfg.Passwd = v
	}
	for _, k := range []string{optConnectTimeout, optSocketTimeout} {
		if !q.Has(k) {
			continue
		}
		ms, err := strconv.ParseInt(q.Get(k), 10, 64)
		if err != nil || ms <= 0 {
			bad("option %s=%q: want a positive number of milliseconds", k, q.Get(k))
			continue
		}
		d := time.Duration(ms) * time.Millisecond
		if k == optConnectTimeout {
			cfg.Timeout = d
		} else {
			cfg.ReadTimeout, cfg.WriteTimeout = d, d
		}
	}
	mode, ca, err := resolveSSL(q, mariadb)
	if err != nil {
		bad("%v", err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	host := cfg.Addr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = strings.Trim(host[:i], "[]")
	}
	if err := setTLS(cfg, mode, ca, host); err != nil {
		return fmt.Errorf("connection.url %q: %w", raw, err)
	}
	return nil
}

// resolveSSL works out the mode from sslMode or the older boolean options
// and reads the trusted CA PEM. An explicit sslMode and the boolean options
// must agree: a URL that both asks for TLS and disables it is refused, so
// TLS that was asked for is never silently dropped.
func resolveSSL(q url.Values, mariadb bool) (sslMode, []byte, error) {
	boolOpt := func(k string) (bool, bool, error) {
		if !q.Has(k) {
			return false, false, nil
		}
		switch strings.ToLower(q.Get(k)) {
		case "true", "yes", "1":
			return true, true, nil
		case "false", "no", "0":
			return false, true, nil
		}
		return false, true, fmt.Errorf("option %s=%q: want true or false", k, q.Get(k))
	}
	var errs []error
	get := func(k string) (bool, bool) {
		v, set, err := boolOpt(k)
		if err != nil {
			errs = append(errs, err)
		}
		return v, set
	}
	useSSL, useSet := get(optUseSSL)
	if v, set := get(optUseSsl); set {
		if useSet && v != useSSL {
			errs = append(errs, fmt.Errorf("options %s and %s disagree", optUseSSL, optUseSsl))
		}
		useSSL, useSet = v, true
	}
	require, requireSet := get(optRequireSSL)
	verify, verifySet := get(optVerifyServCert)
	trust, trustSet := get(optTrustServerCert)
	noHost, noHostSet := get(optDisableHostCheck)
	if len(errs) > 0 {
		return sslUnset, nil, errors.Join(errs...)
	}

	// What the boolean options ask for, by each driver's rules.
	legacy := sslUnset
	asksTLS := (requireSet && require) || (verifySet && verify) || (trustSet && trust) || (noHostSet && noHost)
	switch {
	case useSet && !useSSL:
		if asksTLS {
			return sslUnset, nil, fmt.Errorf("%s=false disables TLS that other options ask for (%s)", optUseSSL, legacyAsked(q))
		}
		legacy = sslDisabled
	case mariadb && (useSet || asksTLS):
		// MariaDB Connector/J: useSsl verifies the certificate and the host
		// name unless trustServerCertificate or disableSslHostnameVerification.
		legacy = sslVerifyIdentity
		if noHost {
			legacy = sslVerifyCA
		}
		if trust {
			legacy = sslRequired
		}
	case useSet || asksTLS:
		// MySQL Connector/J 8: useSSL alone is PREFERRED, requireSSL makes
		// it REQUIRED, verifyServerCertificate makes it VERIFY_CA.
		legacy = sslPreferred
		if require {
			legacy = sslRequired
		}
		if verify {
			legacy = sslVerifyCA
		}
		if trust {
			legacy = max(legacy, sslRequired)
		}
		if noHost && !trust {
			legacy = sslVerifyCA
		}
	}
	if trust && (verify || (q.Has(optSSLMode) && strings.HasPrefix(strings.ToLower(q.Get(optSSLMode)), "verify"))) {
		return sslUnset, nil, fmt.Errorf("option %s=true contradicts certificate verification (%s)", optTrustServerCert, legacyAsked(q))
	}

	mode := legacy
	if q.Has(optSSLMode) {
		m, ok := sslModeValues[strings.ToLower(q.Get(optSSLMode))]
		if !ok {
			return sslUnset, nil, fmt.Errorf("option %s=%q: allowed DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY (MySQL) or disable, trust, verify-ca, verify-full (MariaDB)",
				optSSLMode, q.Get(optSSLMode))
		}
		if legacy != sslUnset && legacy != m {
			return sslUnset, nil, fmt.Errorf("option %s=%s disagrees with %s, which ask for %s; give only %s",
				optSSLMode, q.Get(optSSLMode), legacyAsked(q), legacy, optSSLMode)
		}
		mode = m
	}

	var ca []byte
	if q.Has(optServerSslCert) {
		v := q.Get(optServerSslCert)
		if mode != sslVerifyCA && mode != sslVerifyIdentity {
			return sslUnset, nil, fmt.Errorf("option %s is only used to verify the server (sslMode VERIFY_CA or VERIFY_IDENTITY), but the mode is %s", optServerSslCert, modeOrDefault(mode))
		}
		if strings.HasPrefix(strings.TrimSpace(v), "-----BEGIN") {
			ca = []byte(v)
		} else {
			path := strings.TrimPrefix(v, "file:")
			b, err := os.ReadFile(path)
			if err != nil {
				return sslUnset, nil, fmt.Errorf("option %s: %w", optServerSslCert, err)
			}
			ca = b
		}
	}
	return mode, ca, nil
}

func modeOrDefault(m sslMode) string {
	if m == sslUnset {
		return "DISABLED (the default)"
	}
	return m.String()
}

// legacyAsked names the boolean TLS options present in q.
func legacyAsked(q url.Values) string {
	var out []string
	for _, k := range []string{optUseSSL, optUseSsl, optRequireSSL, optVerifyServCert, optTrustServerCert, optDisableHostCheck} {
		if q.Has(k) {
			out = append(out, k+"="+q.Get(k))
		}
	}
	return strings.Join(out, ", ")
}

// setTLS gives cfg the TLS settings of mode. Without a mode the connection
// stays plaintext, as before (Connector/J 8 would try PREFERRED; ask for it
// with sslMode=PREFERRED). For the verifying modes ca (PEM) replaces the
// system roots when given. The config is also registered with the driver
// under a name derived from its content, so cfg.FormatDSN keeps it.
func setTLS(cfg *gomysql.Config, mode sslMode, ca []byte, host string) error {
	cfg.AllowFallbackToPlaintext = false
	switch mode {
	case sslUnset, sslDisabled:
		cfg.TLS, cfg.TLSConfig = nil, ""
		return nil
	case sslPreferred:
		cfg.TLS, cfg.TLSConfig = nil, "preferred"
		cfg.AllowFallbackToPlaintext = true
		return nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	var roots *x509.CertPool
	if len(ca) > 0 {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(ca) {
			return fmt.Errorf("option %s: no PEM certificate found", optServerSslCert)
		}
	}
	switch mode {
	case sslRequired:
		tc.InsecureSkipVerify = true
	case sslVerifyCA:
		// Chain verification without the host name check: crypto/tls can
		// only skip both, so the chain is verified here.
		tc.InsecureSkipVerify = true
		tc.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("mysql: server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			if err != nil {
				return fmt.Errorf("mysql: sslMode=VERIFY_CA: server certificate: %w", err)
			}
			return nil
		}
	case sslVerifyIdentity:
		tc.RootCAs = roots
		tc.ServerName = host
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%d\x00%s\x00%s", mode, host, ca))
	name := "slkc-" + hex.EncodeToString(sum[:8])
	if err := gomysql.RegisterTLSConfig(name, tc); err != nil {
		return fmt.Errorf("register TLS config: %w", err)
	}
	cfg.TLS, cfg.TLSConfig = tc, name
	return nil
}
