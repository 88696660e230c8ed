package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// SecretsGetter is the one Secrets Manager call Resolve needs; a
// *secretsmanager.Client satisfies it.
type SecretsGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Providers supplies the sources Resolve reads references from.
type Providers struct {
	// LookupEnv reads environment variables; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Secrets reads AWS Secrets Manager; nil makes every
	// ${secretsmanager:...} reference an error.
	Secrets SecretsGetter
}

// Provider names recognised in references.
const (
	ProviderEnv            = "env"
	ProviderSecretsManager = "secretsmanager"
)

// refPattern matches Kafka's config provider reference syntax
// ${provider:[path:]key}. Text that does not match is left as it is, as
// Kafka's ConfigTransformer does.
var refPattern = regexp.MustCompile(`\$\{([A-Za-z0-9_.-]+):([^}]*)\}`)

// Resolve returns a copy of cfg in which every reference is replaced:
//
//	${env:VAR}                             the environment variable VAR (must be set)
//	${secretsmanager:SECRET_ID}            the secret's whole SecretString
//	${secretsmanager:SECRET_ID:JSON_KEY}   one field of a JSON SecretString
//
// SECRET_ID is a secret name or a full secret ARN (its colons are
// understood). A value may hold several references and other text. Each
// secret is fetched once per call. Errors name the config key and the
// reference, never a secret value; all of them are joined, sorted by key.
// An unknown provider is an error. cfg is not modified.
func Resolve(ctx context.Context, cfg map[string]string, p Providers) (map[string]string, error) {
	lookup := p.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	r := &resolver{ctx: ctx, p: p, lookup: lookup, cache: map[string]string{}}
	keys := slices.Sorted(maps.Keys(cfg))
	out := make(map[string]string, len(cfg))
	var errs []error
	for _, k := range keys {
		v := cfg[k]
		if !strings.Contains(v, "${") {
			out[k] = v
			continue
		}
		var keyErr error
		out[k] = refPattern.ReplaceAllStringFunc(v, func(ref string) string {
			if keyErr != nil {
				return ""
			}
			m := refPattern.FindStringSubmatch(ref)
			val, err := r.resolve(m[1], m[2])
			if err != nil {
				keyErr = fmt.Errorf("config key %q: reference %s: %w", k, ref, err)
				return ""
			}
			return val
		})
		if keyErr != nil {
			errs = append(errs, keyErr)
			delete(out, k)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

type resolver struct {
	ctx    context.Context
	p      Providers
	lookup func(string) (string, bool)
	cache  map[string]string // secret id -> SecretString
}

func (r *resolver) resolve(provider, rest string) (string, error) {
	switch provider {
	case ProviderEnv:
		if rest == "" {
			return "", errors.New("missing environment variable name")
		}
		v, ok := r.lookup(rest)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", rest)
		}
		return v, nil
	case ProviderSecretsManager:
		id, field := splitSecretRef(rest)
		if id == "" {
			return "", errors.New("missing secret id")
		}
		s, err := r.secret(id)
		if err != nil {
			return "", err
		}
		if field == "" {
			return s, nil
		}
		return jsonField(s, id, field)
	default:
		return "", fmt.Errorf("unknown config provider %q; known: %s, %s", provider, ProviderEnv, ProviderSecretsManager)
	}
}

// splitSecretRef splits "SECRET_ID[:JSON_KEY]". A secret ARN
// (arn:partition:secretsmanager:region:account:secret:name) has six colons
// of its own, so the JSON key starts after the seventh field.
func splitSecretRef(rest string) (id, field string) {
	if strings.HasPrefix(rest, "arn:") {
		parts := strings.SplitN(rest, ":", 8)
		if len(parts) == 8 {
			return strings.Join(parts[:7], ":"), parts[7]
		}
		return rest, ""
	}
	id, field, _ = strings.Cut(rest, ":")
	return id, field
}

func (r *resolver) secret(id string) (string, error) {
	if s, ok := r.cache[id]; ok {
		return s, nil
	}
	if r.p.Secrets == nil {
		return "", fmt.Errorf("no Secrets Manager client configured to read secret %q", id)
	}
	out, err := r.p.Secrets.GetSecretValue(r.ctx, &secretsmanager.GetSecretValueInput{SecretId: &id})
	if err != nil {
		return "", fmt.Errorf("get secret %q: %w", id, err)
	}
	if out == nil || out.SecretString == nil {
		return "", fmt.Errorf("secret %q has no SecretString (binary secrets are not supported)", id)
	}
	r.cache[id] = *out.SecretString
	return *out.SecretString, nil
}

// jsonField returns one top-level field of a JSON secret: strings as they
// are, numbers and booleans as their JSON text. Errors never include the
// secret text.
func jsonField(secret, id, field string) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(secret), &m); err != nil {
		return "", fmt.Errorf("secret %q is not a JSON object, so it has no key %q", id, field)
	}
	raw, ok := m[field]
	if !ok {
		keys := slices.Sorted(maps.Keys(m))
		return "", fmt.Errorf("secret %q has no key %q (keys: %s)", id, field, strings.Join(keys, ", "))
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", fmt.Errorf("secret %q key %q: invalid JSON value", id, field)
	}
	switch v.(type) {
	case float64, bool:
		return string(raw), nil
	default:
		return "", fmt.Errorf("secret %q key %q: value is not a string, number or boolean", id, field)
	}
}
