package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// ResolveSecretARNs maps each reference to one of the known secret ARNs
// (the app's `secretArns` context). A reference matches an ARN when it is that
// ARN, or when it is the secret's name: the ARN's resource part
// "secret:NAME-XXXXXX" minus the six-character suffix Secrets Manager adds
// (or with it). The result is sorted and distinct. A reference without a
// known ARN is an error: the app never guesses ARNs, so IAM grants stay exact.
func ResolveSecretARNs(refs []SecretRef, known []string) ([]string, error) {
	set := map[string]bool{}
	var missing []string
	for _, r := range refs {
		arn := matchSecret(r.ID, known)
		if arn == "" {
			missing = append(missing, r.ID)
			continue
		}
		set[arn] = true
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("pipeline: no ARN in context secretArns for secret(s) %s", strings.Join(missing, ", "))
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out, nil
}

func matchSecret(id string, known []string) string {
	for _, arn := range known {
		if arn == id {
			return arn
		}
		_, name, ok := strings.Cut(arn, ":secret:")
		if !ok {
			continue
		}
		if name == id {
			return arn
		}
		if i := strings.LastIndexByte(name, '-'); i > 0 && len(name)-i == 7 && name[:i] == id {
			return arn
		}
	}
	return ""
}
