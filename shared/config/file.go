package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Environment variables a function reads its connector config from.
const (
	// EnvConnectorConfig holds the connector JSON text itself.
	EnvConnectorConfig = "SLKC_CONNECTOR_CONFIG"
	// EnvConnectorConfigFile holds the path of the connector JSON file.
	EnvConnectorConfigFile = "SLKC_CONNECTOR_CONFIG_FILE"
)

// File is one connector definition: its name and its config properties,
// all as strings, as Kafka Connect's REST API holds them.
type File struct {
	Name   string
	Config map[string]string
}

// Parse reads a connector definition in Kafka Connect's REST form,
//
//	{"name": "orders-sink", "config": {"connector.class": "...", "tasks.max": 1}}
//
// or in the flat form accepted by PUT /connectors/{name}/config plus a name:
//
//	{"name": "orders-sink", "connector.class": "...", "tasks.max": "1"}
//
// Config values may be JSON strings, numbers or booleans; numbers keep their
// literal text and booleans become "true"/"false", as Kafka Connect's REST
// API normalizes them. null, objects and arrays are rejected naming the key,
// and so are duplicate keys, unknown top-level fields in the REST form, a
// missing or empty name, and a config "name" that differs from the
// top-level name. When config has no "name" it is set to the top-level name,
// as Kafka Connect does.
func Parse(data []byte) (*File, error) {
	top, err := readObjectText(data)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	nameRaw, hasName := top.values["name"]
	cfgRaw, nested := top.objects["config"]
	if _, ok := top.values["config"]; ok {
		return nil, errors.New(`config: "config" must be a JSON object`)
	}
	f := &File{}
	if nested {
		for _, k := range top.order {
			if k != "name" && k != "config" {
				return nil, fmt.Errorf("config: unknown top-level field %q; want {\"name\": ..., \"config\": {...}}", k)
			}
		}
		if len(cfgRaw.objects) > 0 {
			return nil, fmt.Errorf("config: key %q: value is an object; config values must be strings, numbers or booleans", firstKey(cfgRaw.objects))
		}
		f.Config = cfgRaw.values
	} else {
		if len(top.objects) > 0 {
			return nil, fmt.Errorf("config: key %q: value is an object; config values must be strings, numbers or booleans", firstKey(top.objects))
		}
		if _, ok := top.values[KeyConnectorClass]; !ok {
			return nil, errors.New(`config: want {"name": ..., "config": {...}} or a flat object with "name" and "connector.class"`)
		}
		f.Config = top.values
	}
	if !hasName || strings.TrimSpace(nameRaw) == "" {
		if n, ok := f.Config[KeyName]; ok && !hasName && strings.TrimSpace(n) != "" {
			nameRaw = n
		} else {
			return nil, errors.New(`config: missing connector "name"`)
		}
	}
	f.Name = nameRaw
	if n, ok := f.Config[KeyName]; ok && n != f.Name {
		return nil, fmt.Errorf("config: config name %q differs from connector name %q", n, f.Name)
	}
	f.Config[KeyName] = f.Name
	return f, nil
}

// readObjectText reads data as one JSON object (see readObject) and
// nothing after it.
func readObjectText(data []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	top, err := readObject(dec, "")
	if err != nil {
		return object{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return object{}, errors.New("unexpected data after the object")
	}
	return top, nil
}

type object struct {
	order   []string
	values  map[string]string
	objects map[string]object
}

func firstKey(m map[string]object) string {
	keys := slices.Sorted(maps.Keys(m))
	return keys[0]
}

// readObject reads one JSON object. At the top level, object values are
// read one level deep (for "config"); deeper objects and arrays are errors
// naming the key.
func readObject(dec *json.Decoder, path string) (object, error) {
	tok, err := dec.Token()
	if err != nil {
		return object{}, fmt.Errorf("invalid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return object{}, fmt.Errorf("want a JSON object%s", at(path))
	}
	return readBody(dec, path)
}

// readBody reads the members of an object whose '{' was consumed.
func readBody(dec *json.Decoder, path string) (object, error) {
	o := object{values: map[string]string{}, objects: map[string]object{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return o, fmt.Errorf("invalid JSON%s: %w", at(path), err)
		}
		key := tok.(string)
		_, dupV := o.values[key]
		_, dupO := o.objects[key]
		if dupV || dupO {
			return o, fmt.Errorf("key %q appears twice%s", key, at(path))
		}
		o.order = append(o.order, key)
		tok, err = dec.Token()
		if err != nil {
			return o, fmt.Errorf("key %q: invalid JSON: %w", key, err)
		}
		switch v := tok.(type) {
		case string:
			o.values[key] = v
		case json.Number:
			o.values[key] = v.String()
		case bool:
			o.values[key] = strconv.FormatBool(v)
		case nil:
			return o, fmt.Errorf("key %q: value is null; omit the key instead", key)
		case json.Delim:
			if v == '{' && path == "" {
				sub, err := readBody(dec, key)
				if err != nil {
					return o, err
				}
				o.objects[key] = sub
				continue
			}
			kind := "an object"
			if v == '[' {
				kind = "an array"
			}
			return o, fmt.Errorf("key %q: value is %s; config values must be strings, numbers or booleans (lists are comma-separated strings)", key, kind)
		}
	}
	if _, err := dec.Token(); err != nil { // closing brace
		return o, fmt.Errorf("invalid JSON%s: %w", at(path), err)
	}
	return o, nil
}

func at(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

// Load reads and parses the connector file at path; errors name the path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	f, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ConnectorPaths returns the connector files of a pipeline folder: every
// *.json file but the worker file (WorkerFileName), sorted.
func ConnectorPaths(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	paths = slices.DeleteFunc(paths, func(p string) bool { return filepath.Base(p) == WorkerFileName })
	sort.Strings(paths)
	return paths, nil
}

// LoadDir loads every connector file in dir (ConnectorPaths, not
// recursing), in file name order, each merged with the folder's worker file
// when there is one (ApplyWorker). It fails when a file does not parse,
// when two files define the same connector name (naming both files), when
// the worker file is invalid, or when dir holds no connector file.
func LoadDir(dir string) ([]*File, error) {
	paths, err := ConnectorPaths(dir)
	if err != nil {
		return nil, err
	}
	worker, err := LoadWorker(filepath.Join(dir, WorkerFileName))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("config: no *.json connector files in %s", dir)
	}
	var out []*File
	var errs []error
	seen := map[string]string{}
	for _, p := range paths {
		f, err := Load(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := seen[f.Name]; dup {
			errs = append(errs, fmt.Errorf("config: connector name %q is defined in both %s and %s", f.Name, prev, p))
			continue
		}
		seen[f.Name] = p
		if err := ApplyWorker(worker, f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
			continue
		}
		out = append(out, f)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// LoadFromEnv reads the connector definition a function was deployed with:
// the JSON text in SLKC_CONNECTOR_CONFIG, else the file named by
// SLKC_CONNECTOR_CONFIG_FILE, merged with the worker settings in
// SLKC_WORKER_CONFIG (text) or SLKC_WORKER_CONFIG_FILE (path) when one is
// set (ApplyWorker). getenv is os.Getenv in production. It fails when
// neither connector variable is set.
func LoadFromEnv(getenv func(string) string) (*File, error) {
	f, err := loadConnectorFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	var w *Worker
	if text := getenv(EnvWorkerConfig); strings.TrimSpace(text) != "" {
		w, err = ParseWorker(EnvWorkerConfig, []byte(text))
	} else if path := getenv(EnvWorkerConfigFile); path != "" {
		if w, err = LoadWorker(path); err == nil && w == nil {
			err = fmt.Errorf("config: %s: worker file %s does not exist", EnvWorkerConfigFile, path)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := ApplyWorker(w, f); err != nil {
		return nil, err
	}
	return f, nil
}

func loadConnectorFromEnv(getenv func(string) string) (*File, error) {
	if text := getenv(EnvConnectorConfig); strings.TrimSpace(text) != "" {
		f, err := Parse([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvConnectorConfig, err)
		}
		return f, nil
	}
	if path := getenv(EnvConnectorConfigFile); path != "" {
		return Load(path)
	}
	return nil, fmt.Errorf("config: set %s (connector JSON) or %s (its path)", EnvConnectorConfig, EnvConnectorConfigFile)
}
