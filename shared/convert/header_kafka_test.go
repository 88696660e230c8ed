package convert

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// kafkaLib is the folder of Kafka's jars that localstack/stack.sh resolves
// from Maven Central (connect-api among them).
func kafkaLib(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a JVM; not a unit test")
	}
	dir := os.Getenv("SLKC_CACHE_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "slkc")
	}
	lib := filepath.Join(dir, "kafka-lib")
	_, jarErr := os.Stat(filepath.Join(lib, "connect-api-4.1.1.jar"))
	_, javaErr := exec.LookPath("java")
	if jarErr != nil || javaErr != nil {
		msg := "Kafka's connect-api jar (" + lib + ", from `make local-up`) or java is missing"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return lib
}

// TestSimpleHeaderConverterMatchesKafka runs the same header values through
// Kafka Connect's SimpleHeaderConverter (connect-api 4.1.1) and ours, and
// compares the inferred schema type, its logical name and the bytes each
// writes back for the value it read, byte for byte.
func TestSimpleHeaderConverterMatchesKafka(t *testing.T) {
	lib := kafkaLib(t)
	inputs := []string{
		"", "null", "NULL", "true", "False", "42", "-128", "127", "128", "300", "-32769", "70000",
		"5000000000", "9223372036854775807", "12345678901234567890", "1.0", "1e3", "1.5", "0.25", "-0.5",
		"1e20", "0.00", "+7", "3.14159", ".5", "1e", "12abc", "0x10", "x y", "trace-abc",
		"2024-02-29", "13:14:15.123Z", "2024-02-29T13:14:15.123Z", "héllo", "false", "TRUE", " 1", "1 ",
		"00:00:00.000Z", "1970-01-01", "2024-02-29T00:00:00.000Z", "-1e-3", "1E+2", "007", " true", "   ",
		"true}", "a,b", "\"q\"",
	}
	// Not compared: "[1,2]" and "{a:1}" (Connect: ARRAY, MAP), bytes that
	// are not UTF-8, and a number followed by a delimiter such as "12,34" or
	// "12:30" (Connect: INT8 12, the rest dropped), where ours differs on
	// purpose (see SimpleHeaderConverter), and floats whose Java text depends on the JVM
	// (JDK 17's Float.toString writes 123456789.123456789 as 1.23456792E8,
	// JDK 19+ and we write the shortest form, 1.2345679E8).
	var stdin bytes.Buffer
	for _, in := range inputs {
		stdin.WriteString(base64.StdEncoding.EncodeToString([]byte(in)) + "\n")
	}
	cmd := exec.Command("java", "-cp", filepath.Join(lib, "*"), filepath.Join("testdata", "java", "SimpleHeaders.java"))
	cmd.Stdin = &stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("java: %v\n%s", err, stderr.String())
	}
	want := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(want) != len(inputs) {
		t.Fatalf("java answered %d lines for %d inputs:\n%s\n%s", len(want), len(inputs), out, stderr.String())
	}
	c := SimpleHeaderConverter{}
	for i, in := range inputs {
		s, v, err := c.ToConnectHeader("t", "h", []byte(in))
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		typ, name := "null", ""
		if s != nil {
			typ, name = strings.ToUpper(string(s.Type)), s.Name
		}
		back, err := c.FromConnectHeader("t", "h", s, v)
		if err != nil {
			t.Errorf("%q: FromConnectHeader: %v", in, err)
			continue
		}
		enc := "<null>"
		if back != nil {
			enc = base64.StdEncoding.EncodeToString(back)
		}
		if got := typ + "|" + name + "|" + enc; got != want[i] {
			t.Errorf("header %q: ours %s, Kafka's %s", in, decodeLine(got), decodeLine(want[i]))
		}
	}
}

// decodeLine shows a result line with the written-back bytes as text.
func decodeLine(l string) string {
	parts := strings.SplitN(l, "|", 3)
	if len(parts) == 3 {
		if b, err := base64.StdEncoding.DecodeString(parts[2]); err == nil {
			parts[2] = "\"" + string(b) + "\""
		}
	}
	return strings.Join(parts, "|")
}
