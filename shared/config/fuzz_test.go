package config

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes through the cold-start path: Parse,
// Resolve (fake providers) and ParseConnector must never panic, and a
// successful parse must give a Framework whose name matches the file.
func FuzzParse(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"name":"n","connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t","bootstrap.servers":"h:1","transforms":"a,b","transforms.a.type":"x"}`))
	f.Add([]byte(`{"name":"n","config":{"x":"${secretsmanager:arn:aws:secretsmanager:r:1:secret:n:k}","y":"${env:}${:}${env:A"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		props, err := Resolve(context.Background(), file.Config, Providers{
			LookupEnv: func(k string) (string, bool) { return "v", k != "" },
			Secrets:   newFake(),
		})
		if err != nil {
			return
		}
		_, fw, err := ParseConnector(props, nil)
		if err == nil && fw.Name != props[KeyName] {
			t.Fatalf("framework name %q, props name %q", fw.Name, props[KeyName])
		}
		for _, k := range []Kind{Source, Sink} {
			_, _ = FrameworkDef(k).Parse(props)
		}
	})
}
