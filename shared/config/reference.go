package config

import (
	"fmt"
	"os"
	"strings"
)

// EnvUpdateReference, set to 1, makes CheckReference rewrite the file.
const EnvUpdateReference = "SLKC_UPDATE_REFERENCE"

// ReferenceSection is one connector class of a generated reference: a
// heading and the Def of every key it accepts, framework keys included.
type ReferenceSection struct {
	Heading string
	Def     *Def
}

// Reference renders a connector package's generated config reference
// (REFERENCE.md): a title, how it is generated (by, a test name and file)
// and the meaning of the statuses, then each section's Markdown table.
func Reference(title, by string, sections ...ReferenceSection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: config reference\n\n", title)
	fmt.Fprintf(&b, "Generated from the key definitions by %s; do not edit.\n", by)
	b.WriteString("Status: **honoured** keys work as Kafka Connect and the connector's reference document them; keys with a **serverless meaning** are accepted ")
	b.WriteString("only with the values that match what the functions do (the reason says why); **refused** keys are refused whatever their value.\n")
	for _, s := range sections {
		fmt.Fprintf(&b, "\n## %s\n\n%s", s.Heading, s.Def.Markdown())
	}
	return b.String()
}

// CheckReference reports whether the file at path holds text; with
// SLKC_UPDATE_REFERENCE=1 it first writes text there. For the tests that
// keep each checked-in reference current.
func CheckReference(path, text string) error {
	if os.Getenv(EnvUpdateReference) == "1" {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if string(got) != text {
		return fmt.Errorf("%s is stale: regenerate it with %s=1 go test -run TestReferenceIsCurrent ./connectors/...", path, EnvUpdateReference)
	}
	return nil
}
