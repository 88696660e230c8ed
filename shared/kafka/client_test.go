package kafka

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
)

func TestValidate(t *testing.T) {
	base := Config{Bootstrap: []string{"127.0.0.1:9092"}}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings of the error; empty means valid
	}{
		{name: "plaintext defaults", cfg: base},
		{name: "no bootstrap", cfg: Config{}, want: []string{"bootstrap.servers"}},
		{name: "empty bootstrap entry", cfg: with(func(c *Config) { c.Bootstrap = []string{"a:1", " "} }), want: []string{"bootstrap.servers: empty entry"}},
		{name: "unknown protocol", cfg: with(func(c *Config) { c.SecurityProtocol = "TLS" }), want: []string{`security.protocol: "TLS"`}},
		{name: "mechanism without sasl protocol", cfg: with(func(c *Config) {
			c.SASLMechanism, c.Username, c.Password = MechanismScramSHA512, "u", "p"
		}), want: []string{"sasl.mechanism: SCRAM-SHA-512 needs security.protocol SASL_PLAINTEXT or SASL_SSL"}},
		{name: "sasl protocol without mechanism", cfg: with(func(c *Config) { c.SecurityProtocol = ProtocolSASLSSL }), want: []string{"sasl.mechanism: required when security.protocol is SASL_SSL"}},
		{name: "scram without password", cfg: with(func(c *Config) {
			c.SecurityProtocol, c.SASLMechanism, c.Username = ProtocolSASLPlaintext, MechanismScramSHA256, "u"
		}), want: []string{"sasl.username, sasl.password"}},
		{name: "protocol is case-insensitive", cfg: with(func(c *Config) { c.SecurityProtocol = "ssl" })},
		{name: "plain ok", cfg: with(func(c *Config) {
			c.SecurityProtocol, c.SASLMechanism, c.Username, c.Password = ProtocolSASLSSL, MechanismPlain, "u", "p"
		})},
		{name: "msk iam needs tls", cfg: with(func(c *Config) {
			c.SecurityProtocol, c.SASLMechanism = ProtocolSASLPlaintext, MechanismMSKIAM
		}), want: []string{"AWS_MSK_IAM needs security.protocol SASL_SSL"}},
		{name: "msk iam ok without username", cfg: with(func(c *Config) {
			c.SecurityProtocol, c.SASLMechanism = ProtocolSASLSSL, MechanismMSKIAM
		})},
		{name: "unknown mechanism", cfg: with(func(c *Config) {
			c.SecurityProtocol, c.SASLMechanism = ProtocolSASLSSL, "GSSAPI"
		}), want: []string{`sasl.mechanism: "GSSAPI"`}},
		{name: "ssl files on plaintext", cfg: with(func(c *Config) { c.CALocation = "/ca.pem" }), want: []string{"ssl.ca.location, ssl.certificate.location, ssl.key.location: only allowed"}},
		{name: "cert without key", cfg: with(func(c *Config) {
			c.SecurityProtocol, c.CertLocation = ProtocolSSL, "/c.pem"
		}), want: []string{"set both or neither"}},
		{name: "bad compression", cfg: with(func(c *Config) { c.Compression = "brotli" }), want: []string{`compression.type: "brotli"`}},
		{name: "negative linger and batch", cfg: with(func(c *Config) { c.LingerMs, c.BatchBytes = -1, -5 }), want: []string{"linger.ms: -1", "batch.size: -5"}},
		{name: "all problems reported together", cfg: Config{SecurityProtocol: "X", Compression: "y"}, want: []string{"bootstrap.servers", "security.protocol", "compression.type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestOptsProducerSettings(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		codec      kgo.CompressionCodec
		linger     time.Duration
		batchBytes int32
		clientID   string
	}{
		{name: "defaults", cfg: Config{Bootstrap: []string{"b:9092"}}, codec: kgo.NoCompression(), batchBytes: 1000012, clientID: "kgo"},
		{name: "overrides", cfg: Config{Bootstrap: []string{"b:9092"}, Compression: "zstd", LingerMs: 25, BatchBytes: 65536, ClientID: "connect-orders"},
			codec: kgo.ZstdCompression(), linger: 25 * time.Millisecond, batchBytes: 65536, clientID: "connect-orders"},
		{name: "lz4", cfg: Config{Bootstrap: []string{"b:9092"}, Compression: "lz4"}, codec: kgo.Lz4Compression(), batchBytes: 1000012, clientID: "kgo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := NewClient(context.Background(), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if got := cl.OptValue(kgo.RequiredAcks); !reflect.DeepEqual(got, kgo.AllISRAcks()) {
				t.Errorf("RequiredAcks = %v, want all ISR acks", got)
			}
			if got := cl.OptValue(kgo.DisableIdempotentWrite); got != false {
				t.Errorf("DisableIdempotentWrite = %v, want false (idempotent producer)", got)
			}
			if got := cl.OptValue(kgo.ProducerBatchCompression); !reflect.DeepEqual(got, []kgo.CompressionCodec{tt.codec}) {
				t.Errorf("ProducerBatchCompression = %v, want %v", got, tt.codec)
			}
			if got := cl.OptValue(kgo.ProducerLinger); got != tt.linger {
				t.Errorf("ProducerLinger = %v, want %v", got, tt.linger)
			}
			if got := cl.OptValue(kgo.ProducerBatchMaxBytes); got != tt.batchBytes {
				t.Errorf("ProducerBatchMaxBytes = %v, want %v", got, tt.batchBytes)
			}
			if got := cl.OptValue(kgo.ClientID); got != tt.clientID {
				t.Errorf("ClientID = %v, want %v", got, tt.clientID)
			}
			if got := cl.OptValue(kgo.DialTLSConfig); got != (*tls.Config)(nil) {
				t.Errorf("DialTLSConfig = %v, want none for PLAINTEXT", got)
			}
		})
	}
}

func TestOptsSASLMechanisms(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	tests := []struct {
		name, proto, mech string
	}{
		{"plain", ProtocolSASLPlaintext, MechanismPlain},
		{"scram-256", ProtocolSASLSSL, MechanismScramSHA256},
		{"scram-512", ProtocolSASLPlaintext, MechanismScramSHA512},
		{"msk iam", ProtocolSASLSSL, MechanismMSKIAM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := NewClient(context.Background(), Config{Bootstrap: []string{"b:9098"}, SecurityProtocol: tt.proto, SASLMechanism: tt.mech, Username: "u", Password: "p"})
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			ms, _ := cl.OptValue(kgo.SASL).([]sasl.Mechanism)
			if len(ms) != 1 || ms[0].Name() != tt.mech {
				t.Fatalf("SASL mechanisms = %v, want one named %s", ms, tt.mech)
			}
			tc, _ := cl.OptValue(kgo.DialTLSConfig).(*tls.Config)
			if wantTLS := tt.proto == ProtocolSASLSSL; (tc != nil) != wantTLS {
				t.Errorf("TLS configured = %v, want %v", tc != nil, wantTLS)
			}
		})
	}
}

func TestOptsTLSFiles(t *testing.T) {
	pki := newPKI(t)
	tests := []struct {
		name      string
		cfg       Config
		wantRoots bool
		wantCerts int
		wantErr   string
	}{
		{name: "system roots", cfg: Config{SecurityProtocol: ProtocolSSL}},
		{name: "custom CA", cfg: Config{SecurityProtocol: ProtocolSSL, CALocation: pki.caFile}, wantRoots: true},
		{name: "mutual TLS", cfg: Config{SecurityProtocol: ProtocolSSL, CALocation: pki.caFile, CertLocation: pki.certFile, KeyLocation: pki.keyFile}, wantRoots: true, wantCerts: 1},
		{name: "missing CA file", cfg: Config{SecurityProtocol: ProtocolSSL, CALocation: filepath.Join(t.TempDir(), "nope.pem")}, wantErr: "ssl.ca.location"},
		{name: "CA file without PEM", cfg: Config{SecurityProtocol: ProtocolSSL, CALocation: pki.keyFile}, wantErr: "holds no PEM certificate"},
		{name: "key does not match", cfg: Config{SecurityProtocol: ProtocolSSL, CertLocation: pki.caFile, KeyLocation: pki.keyFile}, wantErr: "ssl.certificate.location"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Bootstrap = []string{"b:9093"}
			opts, err := tt.cfg.Opts(context.Background())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Opts() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cl, err := kgo.NewClient(opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			tc := cl.OptValue(kgo.DialTLSConfig).(*tls.Config)
			if (tc.RootCAs != nil) != tt.wantRoots {
				t.Errorf("RootCAs set = %v, want %v", tc.RootCAs != nil, tt.wantRoots)
			}
			if len(tc.Certificates) != tt.wantCerts {
				t.Errorf("client certificates = %d, want %d", len(tc.Certificates), tt.wantCerts)
			}
			if tc.MinVersion != tls.VersionTLS12 {
				t.Errorf("MinVersion = %x, want TLS 1.2", tc.MinVersion)
			}
		})
	}
}

// TestSCRAMOverTLS runs the whole SASL_SSL path against kfake: the client must
// trust the cluster through ssl.ca.location, authenticate with SCRAM and
// produce with acks=all; a wrong password must fail.
func TestSCRAMOverTLS(t *testing.T) {
	pki := newPKI(t)
	serverCert, err := tls.LoadX509KeyPair(pki.certFile, pki.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12}),
		kfake.EnableSASL(),
		kfake.Superuser(MechanismScramSHA256, "connect", "s3cret"),
		kfake.SeedTopics(1, "secure"),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The certificate is for 127.0.0.1; kfake listens there.
	tests := []struct {
		name, password string
		wantErr        string
	}{
		{name: "good password", password: "s3cret"},
		{name: "wrong password", password: "nope", wantErr: "ping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cl, err := NewClient(ctx, Config{
				Bootstrap:        c.ListenAddrs(),
				SecurityProtocol: ProtocolSASLSSL,
				SASLMechanism:    MechanismScramSHA256,
				Username:         "connect",
				Password:         tt.password,
				CALocation:       pki.caFile,
			}, kgo.RequestRetries(0))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			// A metadata request surfaces authentication failures at once
			// (a produce would keep retrying them until ctx expires).
			// kfake drops the connection on a failed SCRAM exchange, so
			// the error is only "some error", not a specific code.
			if err := cl.Ping(ctx); tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Ping() = nil with a wrong password, want an error")
				}
				return
			} else if err != nil {
				t.Fatalf("Ping() = %v", err)
			}
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "secure", Value: []byte("v")}).FirstErr(); err != nil {
				t.Fatalf("produce over SASL_SSL: %v", err)
			}
		})
	}
}

type pki struct{ caFile, certFile, keyFile string }

// newPKI writes a self-signed CA and a 127.0.0.1 server/client certificate
// signed by it.
func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "slkc test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := pki{caFile: filepath.Join(dir, "ca.pem"), certFile: filepath.Join(dir, "cert.pem"), keyFile: filepath.Join(dir, "key.pem")}
	write := func(path, typ string, b []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(p.caFile, "CERTIFICATE", caDER)
	write(p.certFile, "CERTIFICATE", der)
	write(p.keyFile, "EC PRIVATE KEY", keyDER)
	return p
}

// TestMutualTLS checks ssl.certificate.location/ssl.key.location against a
// kfake cluster that requires client certificates signed by the test CA.
func TestMutualTLS(t *testing.T) {
	pki := newPKI(t)
	serverCert, err := tls.LoadX509KeyPair(pki.certFile, pki.keyFile)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(pki.caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "mtls"), kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tests := []struct {
		name      string
		cert, key string
		wantErr   bool
	}{
		{name: "with client certificate", cert: pki.certFile, key: pki.keyFile},
		{name: "without client certificate", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			cl, err := NewClient(ctx, Config{Bootstrap: c.ListenAddrs(), SecurityProtocol: ProtocolSSL,
				CALocation: pki.caFile, CertLocation: tt.cert, KeyLocation: tt.key}, kgo.RequestRetries(0))
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if err := cl.Ping(ctx); (err != nil) != tt.wantErr {
				t.Fatalf("Ping() = %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
