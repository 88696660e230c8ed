// Command slkc talks to the control plane's Kafka Connect REST API, locally
// (`slkc-local run`, http://127.0.0.1:8083) or on AWS (the control-api
// function URL, whose AWS_IAM auth needs SigV4-signed requests: slkc signs
// them with the default AWS credential chain when the URL is a Lambda
// function URL, or with -sigv4).
//
//	slkc [-url URL] list
//	slkc [-url URL] status NAME
//	slkc [-url URL] pause|resume|stop NAME
//	slkc [-url URL] restart [-include-tasks] [-only-failed] NAME
//	slkc [-url URL] offsets NAME                 # read
//	slkc [-url URL] offsets -alter FILE NAME     # PATCH the KIP-875 body in FILE (- for stdin)
//	slkc [-url URL] offsets -reset NAME          # DELETE
//	slkc [-url URL] ui [-listen ADDR]            # the web UI through a signing proxy
//
// The URL defaults to $SLKC_CONNECT_URL, else http://127.0.0.1:8083. The
// response body is printed as indented JSON; an API error prints Connect's
// message and exits 1.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(realMain(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: slkc [-url URL] [-sigv4] [-region REGION] COMMAND
  list                                    connectors with their status
  status NAME                             a connector's status
  pause NAME | resume NAME | stop NAME    change its target state
  restart [-include-tasks] [-only-failed] NAME
  offsets [-alter FILE | -reset] NAME     read, alter (KIP-875 JSON, - for stdin) or reset offsets
  ui [-listen 127.0.0.1:8084]             serve the web UI of -url on loopback, signing every request
`

// client sends API requests, signed when sign is set.
type client struct {
	base   string
	sign   bool
	region string
	http   *http.Client
}

// isFunctionURL reports whether u is a Lambda function URL
// (https://<id>.lambda-url.<region>.on.aws), which needs signing.
func isFunctionURL(u *url.URL) (string, bool) {
	host := u.Hostname()
	rest, ok := strings.CutSuffix(host, ".on.aws")
	if !ok {
		return "", false
	}
	parts := strings.Split(rest, ".")
	if len(parts) == 3 && parts[1] == "lambda-url" {
		return parts[2], true
	}
	return "", false
}

func (c *client) do(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.send(req, body)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, out, err
}

// send signs req (whose body is body) when c.sign is set, and sends it.
func (c *client) send(req *http.Request, body []byte) (*http.Response, error) {
	if c.sign {
		ctx := req.Context()
		cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(c.region))
		if err != nil {
			return nil, fmt.Errorf("AWS config for signing: %w", err)
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, fmt.Errorf("AWS credentials for signing: %w", err)
		}
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "lambda", c.region, time.Now()); err != nil {
			return nil, fmt.Errorf("sign request: %w", err)
		}
	}
	return c.http.Do(req)
}

// errAPI marks an error answer of the API (exit status 1).
var errAPI = errors.New("api error")

func realMain(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("slkc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	base := os.Getenv("SLKC_CONNECT_URL")
	if base == "" {
		base = "http://127.0.0.1:8083"
	}
	rawURL := fs.String("url", base, "control API base URL")
	sign := fs.Bool("sigv4", false, "sign requests with SigV4 (automatic for Lambda function URLs)")
	region := fs.String("region", os.Getenv("AWS_REGION"), "region for signing (default: the function URL's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	u, err := url.Parse(*rawURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		fmt.Fprintf(stderr, "slkc: -url %q: want http(s)://host[:port]\n", *rawURL)
		return 2
	}
	c := &client{base: strings.TrimSuffix(u.String(), "/"), sign: *sign, region: *region, http: &http.Client{Timeout: 60 * time.Second}}
	if r, ok := isFunctionURL(u); ok {
		c.sign = true
		if c.region == "" {
			c.region = r
		}
	}
	if err := command(ctx, c, fs.Args(), stdin, stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			return 2
		}
		fmt.Fprintln(stderr, "slkc:", err)
		return 1
	}
	return 0
}

func command(ctx context.Context, c *client, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 {
		return flag.ErrHelp
	}
	sub := flag.NewFlagSet(args[0], flag.ContinueOnError)
	sub.SetOutput(io.Discard)
	includeTasks := sub.Bool("include-tasks", false, "")
	onlyFailed := sub.Bool("only-failed", false, "")
	alter := sub.String("alter", "", "")
	reset := sub.Bool("reset", false, "")
	listen := sub.String("listen", DefaultUIAddr, "")
	if err := sub.Parse(args[1:]); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if args[0] == "ui" {
		return serveUI(ctx, c, *listen, stdout)
	}
	name := ""
	if args[0] != "list" {
		if sub.NArg() != 1 {
			return fmt.Errorf("%s: want exactly one connector name", args[0])
		}
		name = url.PathEscape(sub.Arg(0))
	}
	var method, path string
	var body []byte
	switch args[0] {
	case "list":
		method, path = "GET", "/connectors?expand=status"
	case "status":
		method, path = "GET", "/connectors/"+name+"/status"
	case "pause", "resume", "stop":
		method, path = "PUT", "/connectors/"+name+"/"+args[0]
	case "restart":
		method, path = "POST", fmt.Sprintf("/connectors/%s/restart?includeTasks=%t&onlyFailed=%t", name, *includeTasks, *onlyFailed)
	case "offsets":
		method, path = "GET", "/connectors/"+name+"/offsets"
		switch {
		case *alter != "" && *reset:
			return errors.New("offsets: -alter and -reset exclude each other")
		case *reset:
			method = "DELETE"
		case *alter != "":
			var err error
			if *alter == "-" {
				body, err = io.ReadAll(stdin)
			} else {
				body, err = os.ReadFile(*alter)
			}
			if err != nil {
				return fmt.Errorf("offsets -alter: %w", err)
			}
			if !json.Valid(body) {
				return fmt.Errorf("offsets -alter %s: not valid JSON", *alter)
			}
			method = "PATCH"
		}
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
	code, out, err := c.do(ctx, method, path, body)
	if err != nil {
		return err
	}
	if code >= 300 {
		var e struct {
			Code    int    `json:"error_code"`
			Message string `json:"message"`
		}
		if json.Unmarshal(out, &e) == nil && e.Message != "" {
			return fmt.Errorf("%w %d: %s", errAPI, e.Code, e.Message)
		}
		return fmt.Errorf("%w: HTTP %d: %s", errAPI, code, bytes.TrimSpace(out))
	}
	if len(bytes.TrimSpace(out)) == 0 {
		fmt.Fprintf(stdout, "%s %s: HTTP %d\n", args[0], sub.Arg(0), code)
		return nil
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") != nil {
		_, err = stdout.Write(out)
		return err
	}
	pretty.WriteByte('\n')
	_, err = stdout.Write(pretty.Bytes())
	return err
}
