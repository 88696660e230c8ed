package bridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestLambdaInvokerSignsPayload checks that LambdaInvoker signs the
// payload's SHA-256 (an endpoint such as LocalStack may check it, unlike
// UNSIGNED-PAYLOAD) and that the payload arrives. The test server re-signs
// the request it got with each payload hash and sees which one gives the
// request's Authorization header.
func TestLambdaInvokerSignsPayload(t *testing.T) {
	payload := []byte(`{"records":{}}`)
	sum := sha256.Sum256(payload)
	want := hex.EncodeToString(sum[:])
	var got, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
		if err != nil {
			t.Errorf("X-Amz-Date: %v", err)
		}
		for _, hash := range []string{hex.EncodeToString(sum[:]), "UNSIGNED-PAYLOAD"} {
			re := r.Clone(context.Background())
			re.URL.Scheme, re.URL.Host = "http", r.Host
			// Only the headers the client signed (its transport
			// adds others after signing).
			auth := r.Header.Get("Authorization")
			_, signed, _ := strings.Cut(auth, "SignedHeaders=")
			signed, _, _ = strings.Cut(signed, ",")
			re.Header = http.Header{}
			for _, h := range strings.Split(signed, ";") {
				if v := r.Header.Values(h); len(v) > 0 {
					re.Header[http.CanonicalHeaderKey(h)] = v
				}
			}
			if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "k", SecretAccessKey: "s"},
				re, hash, "lambda", "us-east-1", when); err != nil {
				t.Error(err)
			}
			if re.Header.Get("Authorization") == r.Header.Get("Authorization") {
				got = hash
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"batchItemFailures":[]}`))
	}))
	defer srv.Close()
	client := lambda.New(lambda.Options{BaseEndpoint: aws.String(srv.URL), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	res, err := LambdaInvoker{Client: client}.Invoke(context.Background(), "fn", payload)
	if err != nil {
		t.Fatal(err)
	}
	if got != want || body != string(payload) || string(res.Payload) != `{"batchItemFailures":[]}` {
		t.Errorf("signed payload hash %q, body %q, response %q; want %q, the payload, the function's response", got, body, res.Payload, want)
	}
}
