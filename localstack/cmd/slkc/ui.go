package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/serverless-kafka-connect/slkc/shared/connectapi"
)

// DefaultUIAddr is where `slkc ui` listens.
const DefaultUIAddr = "127.0.0.1:8084"

// maxProxyBody bounds a proxied request body (the API's own bound).
const maxProxyBody = 1 << 20

// hopHeaders are not copied from the API's answer.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true, "Content-Length": true}

// proxy forwards each request to the API at c.base, signed as every slkc
// request is (SigV4 for a Lambda function URL). Only the request's method,
// path, query, body, Content-Type and Accept are forwarded: the browser's
// cookies and Origin stay here.
func (c *client) proxy() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxProxyBody+1))
		if err != nil || len(body) > maxProxyBody {
			http.Error(w, "request body unreadable or larger than 1 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, c.base+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, h := range []string{"Content-Type", "Accept"} {
			if v := r.Header.Get(h); v != "" {
				req.Header.Set(h, v)
			}
		}
		resp, err := c.send(req, body)
		if err != nil {
			http.Error(w, "slkc ui: "+err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			if !hopHeaders[k] {
				w.Header()[k] = vs
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})
}

// serveUI serves the proxy on listen (loopback only: whoever reaches it
// acts with your AWS credentials) until ctx ends.
func serveUI(ctx context.Context, c *client, listen string, stdout io.Writer) error {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("ui: -listen %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("ui: -listen %q: the proxy signs with your AWS credentials and listens on loopback only (127.0.0.1, ::1 or localhost)", listen)
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("ui: %w", err)
	}
	// The same guards as the local API: loopback Host names only (no DNS
	// rebinding), no cross-site requests.
	srv := &http.Server{Handler: connectapi.LoopbackHost(connectapi.SameOrigin(c.proxy())), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "slkc ui: open http://%s/ui/ (requests go to %s, signed=%v); Ctrl-C stops\n", ln.Addr(), c.base, c.sign)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ui: %w", err)
	}
	return nil
}
