package config

import (
	"fmt"
	"strings"
)

// Markdown renders the definitions as a Markdown table (group, key, type,
// default, required, status, description; a serverless meaning or a
// refusal adds its reason to the description) followed by the allowed
// prefixes, for the generated references and `--help` output.
func (d *Def) Markdown() string {
	var b strings.Builder
	b.WriteString("| group | key | type | default | required | status | description |\n|---|---|---|---|---|---|---|\n")
	for _, k := range d.Keys() {
		def := ""
		if k.Default != nil {
			def = "`" + *k.Default + "`"
			if *k.Default == "" {
				def = `""`
			}
		}
		req := ""
		if k.Required && k.Default == nil {
			req = "yes"
		}
		doc := k.Doc
		if k.Reason != "" {
			doc += " **" + k.Status.String() + "**: " + k.Reason + "."
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s |\n", k.Group, k.Name, k.Type, def, req, k.Status, strings.ReplaceAll(doc, "|", `\|`))
	}
	if ps := d.Prefixes(); len(ps) > 0 {
		b.WriteString("\nAlso accepted: keys starting with ")
		for i, p := range ps {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("`" + p + "`")
		}
		b.WriteString(".\n")
	}
	if strings.HasPrefix(d.overrideHint(workerProducer+overrideInfix), "; the supported") { // the framework keys are in d
		for _, fam := range []string{prefixConsumerOverride, prefixAdminOverride} {
			if why := d.overrideHint(fam); strings.HasPrefix(why, "; no ") {
				fmt.Fprintf(&b, "\n**refused**: every `%s*` key; %s.\n", fam, strings.ReplaceAll(overrideRefusal(fam), "|", `\|`))
			}
		}
	}
	return b.String()
}
