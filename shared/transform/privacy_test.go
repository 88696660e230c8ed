package transform_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/serverless-kafka-connect/slkc/connectors/mysql"
	connconfig "github.com/serverless-kafka-connect/slkc/shared/config"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
	"github.com/serverless-kafka-connect/slkc/shared/testenv"
	"github.com/serverless-kafka-connect/slkc/shared/transform"
)

// readmeExample returns the keys of the README's privacy example (the json
// block after <!-- privacy-example -->), so the test runs what users read.
func readmeExample(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- privacy-example -->\n```json\n")
	if !ok {
		t.Fatal("README.md has no privacy example")
	}
	block, _, _ := strings.Cut(rest, "```")
	var keys map[string]string
	if err := json.Unmarshal([]byte(block), &keys); err != nil {
		t.Fatalf("README privacy example: %v", err)
	}
	return keys
}

// TestPrivacyExampleOnDemoTable adds the README's privacy example to the
// demo pipeline's source config, parses it as a cold start does, reads a
// table with the demo table's columns through the real MySQL source and
// applies the chain: the record keeps the other columns, customer is
// masked and note is gone, from the schema as well as the payload.
func TestPrivacyExampleOnDemoTable(t *testing.T) {
	example := readmeExample(t)
	file, err := os.ReadFile("../../connectors/pipeline/orders-source.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := connconfig.Parse(file)
	if err != nil {
		t.Fatal(err)
	}
	props := map[string]string{"name": f.Name}
	for k, v := range f.Config {
		props[k] = v
	}
	for k, v := range example {
		props[k] = v
	}
	env := testenv.New(t)
	parse := func(dbName string) (connconfig.Values, *connconfig.Framework) {
		props["connection.url"] = env.MySQLDSN(dbName)
		delete(props, "connection.user")
		delete(props, "connection.password")
		props["bootstrap.servers"] = env.Bootstrap()
		vals, fw, err := connconfig.ParseConnector(props, mysql.SourceConfigDef())
		if err != nil {
			t.Fatalf("the demo source config with the README example is refused: %v", err)
		}
		return vals, fw
	}
	if _, fw := parse("x"); testing.Short() {
		if _, err := transform.NewChain(fw.Transforms); err != nil {
			t.Fatal(err)
		}
		t.Skip("reading the table needs MySQL")
	}
	db, dbName := env.MySQLDatabase(t)
	for _, stmt := range []string{
		// the demo table's columns that the example touches, with its types (localstack/demo/seed.go)
		`CREATE TABLE orders (
			id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
			customer VARCHAR(100) CHARACTER SET utf8mb4 NOT NULL,
			amount DECIMAL(12,2) NOT NULL,
			note TEXT CHARACTER SET utf8mb4 NULL,
			updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6))`,
		`INSERT INTO orders (customer, amount, note) VALUES ('Ada Lovelace', 12.50, 'leave at the back door'), ('Alan Turing', 3.00, NULL)`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	vals, fw := parse(dbName)
	chain, err := transform.NewChain(fw.Transforms)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := mysql.SourceConfigFromValues(vals)
	if err != nil {
		t.Fatal(err)
	}
	src, err := mysql.OpenSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	ctx := context.Background()
	parts, err := src.Partitions(ctx)
	if err != nil || len(parts) != 1 {
		t.Fatalf("partitions %v, %v", parts, err)
	}
	page, err := src.ReadPage(ctx, parts[0], nil)
	if err != nil || len(page.Records) != 2 {
		t.Fatalf("read %d records, %v", len(page.Records), err)
	}
	vc, err := convert.New(fw.ValueConverter.Class, fw.ValueConverter.Props, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range page.Records {
		out, keep, err := chain.Apply(r)
		if err != nil || !keep {
			t.Fatalf("record %d: keep=%v err=%v", i, keep, err)
		}
		b, err := vc.FromConnect(out.Topic, out.ValueSchema, out.Value)
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			Schema struct {
				Fields []struct{ Field string } `json:"fields"`
			} `json:"schema"`
			Payload map[string]any `json:"payload"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		var fields []string
		for _, f := range env.Schema.Fields {
			fields = append(fields, f.Field)
		}
		if strings.Join(fields, ",") != "id,customer,amount,updated_at" {
			t.Errorf("record %d schema fields %v, want note removed", i, fields)
		}
		if _, ok := env.Payload["note"]; ok || env.Payload["customer"] != "REDACTED" || env.Payload["id"] != float64(i+1) || env.Payload["amount"] == nil {
			t.Errorf("record %d on %s = %s", i, out.Topic, b)
		}
		if strings.Contains(string(b), "Lovelace") || strings.Contains(string(b), "back door") {
			t.Errorf("record %d leaks a masked or dropped column: %s", i, b)
		}
	}
}
