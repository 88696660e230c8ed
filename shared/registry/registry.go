// Package registry is the schema registry client the registry-backed
// converters share: Confluent's REST API (served by Confluent Schema Registry,
// Apicurio Registry's /apis/ccompat/v7, Redpanda, Karapace) through franz-go's
// pkg/sr, with the caches a converter needs so that a record costs a registry
// call only the first time its schema is seen, and errors classified the way
// the framework retries them: an unreachable registry, a timeout or a 5xx
// answer is retryable; an unknown id, an unregistered or incompatible schema
// is permanent.
//
// Build one Client per converter at init with New; it is safe for concurrent
// use. Every method takes a context so a caller can bound it by its deadline.
package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// Config says where the registry is and how to authenticate.
type Config struct {
	// URLs are the registry base URLs, tried in order on network errors
	// (schema.registry.url, comma-separated in the connector config).
	URLs []string
	// Username and Password, when Username is set, are sent as HTTP basic
	// auth (basic.auth.user.info, or the URL's user info).
	Username, Password string
	// Timeout bounds each HTTP request; 0 means 10 s.
	Timeout time.Duration
	// Type is the schema format the client registers and accepts by id:
	// sr.TypeAvro (the zero value), sr.TypeJSON or sr.TypeProtobuf. A
	// schema of another type fetched by id is a permanent error.
	Type sr.SchemaType
}

// Client is a caching schema registry client.
type Client struct {
	sr  *sr.Client
	typ sr.SchemaType

	mu     sync.Mutex
	byID   map[int]Schema       // id -> schema
	bySubj map[subjectKey]IDVer // (subject, text) -> id, version
	latest map[string]Latest    // subject -> latest version
}

type subjectKey struct{ subject, schema string }

// IDVer is a schema's global id and its version under a subject.
type IDVer struct{ ID, Version int }

// Latest is the latest schema registered under a subject.
type Latest struct {
	ID      int
	Version int
	Schema  string
}

// New builds a client; it makes no call. An empty URL list or a URL without
// a scheme is an error.
func New(cfg Config) (*Client, error) {
	if len(cfg.URLs) == 0 {
		return nil, errors.New("registry: no URL")
	}
	for _, u := range cfg.URLs {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("registry: URL %q must start with http:// or https://", u)
		}
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	opts := []sr.ClientOpt{sr.URLs(cfg.URLs...), sr.HTTPClient(&http.Client{Timeout: timeout}), sr.UserAgent("slkc")}
	if cfg.Username != "" {
		opts = append(opts, sr.BasicAuth(cfg.Username, cfg.Password))
	}
	cl, err := sr.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	return &Client{sr: cl, typ: cfg.Type, byID: map[int]Schema{}, bySubj: map[subjectKey]IDVer{},
		latest: map[string]Latest{}}, nil
}

// Schema is a registered schema: its text and the texts of the schemas it
// references (schema references), dependencies first, so they can be
// parsed in order, with the names they are referenced by (RefNames[i]
// names Refs[i]; for Protobuf, the import path).
type Schema struct {
	Text     string
	Refs     []string
	RefNames []string
}

// maxRefDepth bounds chains of schema references.
const maxRefDepth = 32

// SchemaByID returns the schema with the given id and the schemas it
// references, cached for the life of the client (ids are immutable).
func (c *Client) SchemaByID(ctx context.Context, id int) (Schema, error) {
	c.mu.Lock()
	s, ok := c.byID[id]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	got, err := c.sr.SchemaByID(ctx, id)
	if err != nil {
		return Schema{}, classify(fmt.Sprintf("fetching schema id %d", id), err)
	}
	if got.Type != c.typ {
		return Schema{}, errclass.Data(fmt.Errorf("registry: schema id %d is %s, not %s", id, got.Type, c.typ))
	}
	s = Schema{Text: got.Schema}
	seen := map[string]bool{}
	if err := c.resolveRefs(ctx, got.References, seen, &s, 0); err != nil {
		return Schema{}, fmt.Errorf("registry: schema id %d: %w", id, err)
	}
	c.mu.Lock()
	c.byID[id] = s
	c.mu.Unlock()
	return s, nil
}

// resolveRefs appends the texts of refs, each after its own references.
func (c *Client) resolveRefs(ctx context.Context, refs []sr.SchemaReference, seen map[string]bool, out *Schema, depth int) error {
	if depth > maxRefDepth {
		return errclass.Data(fmt.Errorf("schema references nest deeper than %d", maxRefDepth))
	}
	for _, r := range refs {
		key := fmt.Sprintf("%s/%d", r.Subject, r.Version)
		if seen[key] {
			continue
		}
		seen[key] = true
		got, err := c.sr.SchemaByVersion(ctx, r.Subject, r.Version)
		if err != nil {
			return classify(fmt.Sprintf("fetching reference %q (subject %q version %d)", r.Name, r.Subject, r.Version), err)
		}
		if err := c.resolveRefs(ctx, got.References, seen, out, depth+1); err != nil {
			return err
		}
		out.Refs = append(out.Refs, got.Schema.Schema)
		out.RefNames = append(out.RefNames, r.Name)
	}
	return nil
}

// Register registers a schema of the client's type under subject (POST
// /subjects/{subject}/versions), or finds it there when it already is,
// and returns its id. The answer is cached per subject and text. An
// incompatible schema is a permanent error.
// refs are the schema references (for Protobuf, its imports).
func (c *Client) Register(ctx context.Context, subject, schema string, refs ...sr.SchemaReference) (int, error) {
	k := subjectKey{subject, schema}
	c.mu.Lock()
	v, ok := c.bySubj[k]
	c.mu.Unlock()
	if ok {
		return v.ID, nil
	}
	got, err := c.sr.CreateSchema(ctx, subject, sr.Schema{Schema: schema, Type: c.typ, References: refs})
	if err != nil {
		return 0, classify(fmt.Sprintf("registering a schema under subject %q", subject), err)
	}
	c.remember(k, IDVer{ID: got.ID, Version: got.Version})
	return got.ID, nil
}

// Lookup returns the id and version of a schema already registered under
// subject (POST /subjects/{subject}), for auto.register.schemas=false. A
// schema not registered there is a permanent error.
func (c *Client) Lookup(ctx context.Context, subject, schema string, refs ...sr.SchemaReference) (IDVer, error) {
	k := subjectKey{subject, schema}
	c.mu.Lock()
	v, ok := c.bySubj[k]
	c.mu.Unlock()
	if ok && v.Version > 0 {
		return v, nil
	}
	got, err := c.sr.LookupSchema(ctx, subject, sr.Schema{Schema: schema, Type: c.typ, References: refs})
	if err != nil {
		return IDVer{}, classify(fmt.Sprintf("looking up the schema under subject %q", subject), err)
	}
	v = IDVer{ID: got.ID, Version: got.Version}
	c.remember(k, v)
	return v, nil
}

// LatestVersion returns the latest schema under subject, cached for the
// life of the client (Confluent's latest.cache.ttl.sec default of -1).
func (c *Client) LatestVersion(ctx context.Context, subject string) (Latest, error) {
	c.mu.Lock()
	l, ok := c.latest[subject]
	c.mu.Unlock()
	if ok {
		return l, nil
	}
	got, err := c.sr.SchemaByVersion(ctx, subject, -1)
	if err != nil {
		return Latest{}, classify(fmt.Sprintf("fetching the latest schema of subject %q", subject), err)
	}
	if got.Type != c.typ {
		return Latest{}, errclass.Data(fmt.Errorf("registry: latest schema of subject %q is %s, not %s", subject, got.Type, c.typ))
	}
	l = Latest{ID: got.ID, Version: got.Version, Schema: got.Schema.Schema}
	c.mu.Lock()
	c.latest[subject] = l
	c.mu.Unlock()
	return l, nil
}

func (c *Client) remember(k subjectKey, v IDVer) {
	c.mu.Lock()
	c.bySubj[k] = v
	c.mu.Unlock()
}

// classify wraps a registry error with what was being done and its class:
// network errors, timeouts, 429 and 5xx answers are retryable; other
// answers (unknown id or subject, incompatible or invalid schema, refused
// credentials) are permanent.
func classify(what string, err error) error {
	var re *sr.ResponseError
	if errors.As(err, &re) {
		e := fmt.Errorf("registry: %s: HTTP %d (error code %d): %w", what, re.StatusCode, re.ErrorCode, err)
		if re.StatusCode >= 500 || re.StatusCode == http.StatusTooManyRequests || re.StatusCode == http.StatusRequestTimeout {
			return errclass.Retryable(e)
		}
		return errclass.Data(e)
	}
	if errors.Is(err, context.Canceled) {
		return errclass.Retryable(fmt.Errorf("registry: %s: %w", what, err))
	}
	// Anything else is the transport: connection refused, DNS, timeouts.
	return errclass.Retryable(fmt.Errorf("registry: %s: registry unavailable: %w", what, err))
}

// IsNotFound reports whether err is the registry saying a schema, subject
// or version does not exist (HTTP 404).
func IsNotFound(err error) bool {
	var re *sr.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
