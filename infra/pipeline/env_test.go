package pipeline

import (
	"reflect"
	"strings"
	"testing"
)

func TestEnvRefs(t *testing.T) {
	c, err := Parse("c.json", []byte(`{"name":"c","config":{"connector.class":"io.slkc.connect.mysql.MySqlSinkConnector","topics":"t",
		"connection.url":"jdbc:mysql://${env:DB_HOST}:${env:DB_PORT}/${env:DB_HOST}",
		"bootstrap.servers":"${env:SLKC_KAFKA_BOOTSTRAP}","connection.password":"${secretsmanager:db:password}",
		"table.name.format":"${topic}","pk.fields":"$${env:not closed"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []EnvRef{
		{"bootstrap.servers", "SLKC_KAFKA_BOOTSTRAP"},
		{"connection.url", "DB_HOST"}, {"connection.url", "DB_PORT"},
	}
	if got := c.EnvRefs(); !reflect.DeepEqual(got, want) {
		t.Errorf("EnvRefs = %v, want %v", got, want)
	}
}

func TestIsSecretKey(t *testing.T) {
	for key, want := range map[string]bool{
		"connection.password": true, "sasl.password": true, "ssl.key.password": true, "ssl.truststore.password": true,
		"aws.secret.access.key": true, "sasl.jaas.config": true, "Connection.Password": true,
		"connection.url": false, "connection.user": false, "bootstrap.servers": false, "sasl.username": false,
	} {
		if got := IsSecretKey(key); got != want {
			t.Errorf("IsSecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestEnvResolver(t *testing.T) {
	c, err := Parse("demo/src.json", []byte(`{"name":"src","config":{"connector.class":"io.slkc.connect.mysql.MySqlSourceConnector",
		"connection.url":"${env:DB_URL}","bootstrap.servers":"${env:KAFKA}","table.whitelist":"${env:AWS_REGION}",
		"connection.password":"${env:DB_PASSWORD}"}}`))
	if err != nil {
		t.Fatal(err)
	}
	preset := map[string]bool{"AWS_REGION": true}
	tests := []struct {
		name    string
		r       EnvResolver
		conn    Connector
		want    map[string]string
		wantErr []string
	}{
		{name: "password reference rejected, with the others checked too",
			r:       EnvResolver{Values: map[string]string{"DB_PASSWORD": "x"}, Preset: preset},
			conn:    c,
			wantErr: []string{`connector src (demo/src.json): key "connection.password": ${env:DB_PASSWORD}: a password`, `key "connection.url": ${env:DB_URL}: variable DB_URL has no value`, "KAFKA has no value"}},
		{name: "values, bootstrap default, preset skipped",
			r:    EnvResolver{Values: map[string]string{"DB_URL": "jdbc:mysql://db/x"}, BootstrapServers: "b1:9092,b2:9092", Preset: preset},
			conn: withConfig(c, "connection.password", "${secretsmanager:db:password}"),
			want: map[string]string{"DB_URL": "jdbc:mysql://db/x", "KAFKA": "b1:9092,b2:9092"}},
		{name: "given value wins over the bootstrap default",
			r:    EnvResolver{Values: map[string]string{"DB_URL": "u", "KAFKA": "k:9092"}, BootstrapServers: "b1:9092", Preset: preset},
			conn: withConfig(c, "connection.password", "plain"),
			want: map[string]string{"DB_URL": "u", "KAFKA": "k:9092"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.r.Resolve(tt.conn)
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("no error, got %v", got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Resolve = %v, want %v", got, tt.want)
			}
		})
	}
}

// withConfig returns c with key set to value (a copy of the config map).
func withConfig(c Connector, key, value string) Connector {
	m := make(map[string]string, len(c.Config))
	for k, v := range c.Config {
		m[k] = v
	}
	m[key] = value
	c.Config = m
	return c
}
