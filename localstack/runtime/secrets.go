package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Secrets is a local stand-in for AWS Secrets Manager: a fixed set of
// secrets served by the Runner's endpoint through the GetSecretValue action
// of the JSON 1.1 protocol (POST / with X-Amz-Target:
// secretsmanager.GetSecretValue), which is what the aws-sdk-go-v2
// secretsmanager client sends. With Runner.Secrets set, every function gets
// AWS_ENDPOINT_URL_SECRETS_MANAGER pointing at the runner, so
// ${secretsmanager:NAME:KEY} references in a connector config resolve
// locally exactly as they do on AWS.
type Secrets struct {
	byName  map[string]string // name -> SecretString
	created time.Time
}

// NewSecrets returns the secrets name -> SecretString.
func NewSecrets(values map[string]string) *Secrets {
	s := &Secrets{byName: make(map[string]string, len(values)), created: time.Now().UTC().Truncate(time.Second)}
	for k, v := range values {
		s.byName[k] = v
	}
	return s
}

// LoadSecretsFile reads a JSON object mapping secret names to values. A
// string value is the SecretString as it is; an object (or any other JSON
// value) is stored as its JSON text, the way a key/value secret created in
// the console is:
//
//	{"slkc/demo/mysql": {"username": "slkc", "password": "slkc"}, "slkc/demo/token": "abc"}
func LoadSecretsFile(path string) (*Secrets, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runtime: secrets file: %w", err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("runtime: secrets file %s: want a JSON object of secret name to value: %w", path, err)
	}
	values := make(map[string]string, len(raw))
	var errs []error
	for name, v := range raw {
		if name == "" {
			errs = append(errs, errors.New("empty secret name"))
			continue
		}
		if strings.TrimSpace(string(v)) == "null" {
			errs = append(errs, fmt.Errorf("secret %q: value is null", name))
			continue
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			values[name] = s
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			errs = append(errs, fmt.Errorf("secret %q: %w", name, err))
			continue
		}
		values[name] = buf.String()
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("runtime: secrets file %s: %w", path, err)
	}
	return NewSecrets(values), nil
}

// Names returns the secret names, sorted.
func (s *Secrets) Names() []string {
	out := make([]string, 0, len(s.byName))
	for k := range s.byName {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ARN returns the ARN the endpoint reports for a secret. Like AWS, it ends
// in "-" and six characters; here they are derived from the name so the ARN
// is stable across runs.
func (s *Secrets) ARN(region, name string) string {
	sum := sha256.Sum256([]byte(name))
	return fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", region, AccountID, name, hex.EncodeToString(sum[:])[:6])
}

// lookup finds a secret by name, by full ARN, or by partial ARN (without
// the six-character suffix), as GetSecretValue's SecretId allows.
func (s *Secrets) lookup(id string) (string, bool) {
	if _, ok := s.byName[id]; ok {
		return id, true
	}
	rest, ok := strings.CutPrefix(id, "arn:")
	if !ok {
		return "", false
	}
	_, after, ok := strings.Cut(rest, ":secret:")
	if !ok {
		return "", false
	}
	if _, ok := s.byName[after]; ok {
		return after, true
	}
	if i := strings.LastIndex(after, "-"); i > 0 && len(after)-i-1 == 6 {
		if _, ok := s.byName[after[:i]]; ok {
			return after[:i], true
		}
	}
	return "", false
}

// secretsVersionID is the VersionId reported for every secret: there is
// only ever one version, AWSCURRENT.
const secretsVersionID = "00000000-0000-4000-8000-000000000001"

// handleSecrets serves POST / with X-Amz-Target (the JSON 1.1 protocol).
func (r *Runner) handleSecrets(w http.ResponseWriter, req *http.Request) {
	target := req.Header.Get("X-Amz-Target")
	if r.Secrets == nil || !strings.HasPrefix(target, "secretsmanager.") {
		writeJSON11Error(w, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("operation %q is not served by the local runner (only secretsmanager.GetSecretValue, with -secrets-file)", target))
		return
	}
	if target != "secretsmanager.GetSecretValue" {
		writeJSON11Error(w, http.StatusBadRequest, "UnknownOperationException",
			fmt.Sprintf("operation %q is not served by the local runner; only secretsmanager.GetSecretValue is", target))
		return
	}
	var in struct {
		SecretID     string `json:"SecretId"`
		VersionID    string `json:"VersionId"`
		VersionStage string `json:"VersionStage"`
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 64*1024))
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		writeJSON11Error(w, http.StatusBadRequest, "InvalidRequestException", "could not parse the request body: "+err.Error())
		return
	}
	if in.SecretID == "" {
		writeJSON11Error(w, http.StatusBadRequest, "InvalidParameterException", "SecretId is required")
		return
	}
	name, ok := r.Secrets.lookup(in.SecretID)
	if !ok {
		r.Logger.Warn("secret not found", "secret_id", in.SecretID, "known", r.Secrets.Names())
		writeJSON11Error(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	if (in.VersionID != "" && in.VersionID != secretsVersionID) || (in.VersionStage != "" && in.VersionStage != "AWSCURRENT") {
		writeJSON11Error(w, http.StatusBadRequest, "ResourceNotFoundException",
			"Secrets Manager can't find the specified secret value for VersionId or VersionStage.")
		return
	}
	region := DefaultRegion
	if f := r.funcs[r.firstFunction()]; f != nil {
		region = f.spec.Region
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", newRequestID())
	_ = json.NewEncoder(w).Encode(map[string]any{
		"ARN":           r.Secrets.ARN(region, name),
		"Name":          name,
		"VersionId":     secretsVersionID,
		"SecretString":  r.Secrets.byName[name],
		"VersionStages": []string{"AWSCURRENT"},
		"CreatedDate":   float64(r.Secrets.created.Unix()),
	})
}

func (r *Runner) firstFunction() string {
	if len(r.order) == 0 {
		return ""
	}
	return r.order[0]
}

// writeJSON11Error writes an error the way AWS JSON 1.1 services do and the
// SDKs parse it (X-Amzn-ErrorType header, __type and message in the body).
func writeJSON11Error(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}

// GetSecretValue answers in process what the endpoint answers over HTTP, so
// a Secrets value also serves as the config.SecretsGetter of code running
// inside the runner's process (the Kafka bridge resolving a sink's SASL
// password). Errors are *types.ResourceNotFoundException, as from AWS.
func (s *Secrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	id := aws.ToString(in.SecretId)
	name, ok := s.lookup(id)
	if !ok || (aws.ToString(in.VersionStage) != "" && aws.ToString(in.VersionStage) != "AWSCURRENT") ||
		(aws.ToString(in.VersionId) != "" && aws.ToString(in.VersionId) != secretsVersionID) {
		return nil, fmt.Errorf("local secrets: %q: %w", id,
			&smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")})
	}
	return &secretsmanager.GetSecretValueOutput{
		Name: aws.String(name), ARN: aws.String(s.ARN(DefaultRegion, name)), VersionId: aws.String(secretsVersionID),
		SecretString: aws.String(s.byName[name]), VersionStages: []string{"AWSCURRENT"}, CreatedDate: aws.Time(s.created),
	}, nil
}
