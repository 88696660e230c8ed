package connectapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/serverless-kafka-connect/slkc/connectors"
	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// PluginInfo is one entry of GET /connector-plugins.
type PluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version"`
}

func (s *Server) plugins(w http.ResponseWriter, r *http.Request) error {
	out := []PluginInfo{}
	for _, c := range config.ConnectorClasses() {
		kind, _, err := config.ConnectorKind(c)
		if err != nil {
			return err
		}
		out = append(out, PluginInfo{Class: c, Type: kind.String(), Version: Version})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ConfigInfos is Connect's validate response.
type ConfigInfos struct {
	Name       string       `json:"name"`
	ErrorCount int          `json:"error_count"`
	Groups     []string     `json:"groups"`
	Configs    []ConfigInfo `json:"configs"`
}

// ConfigInfo is one key of ConfigInfos.
type ConfigInfo struct {
	Definition ConfigKeyInfo   `json:"definition"`
	Value      ConfigValueInfo `json:"value"`
}

// ConfigKeyInfo is a key's definition.
type ConfigKeyInfo struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"`
	Importance    string   `json:"importance"`
	Documentation string   `json:"documentation"`
	Group         string   `json:"group"`
	Width         string   `json:"width"`
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"`
	OrderInGroup  int      `json:"order"`
}

// ConfigValueInfo is a key's value and its errors.
type ConfigValueInfo struct {
	Name              string   `json:"name"`
	Value             *string  `json:"value"`
	RecommendedValues []string `json:"recommended_values"`
	Errors            []string `json:"errors"`
	Visible           bool     `json:"visible"`
}

// pluginClass resolves {plugin}: a full class name or alias, or its simple
// name (with or without the "Connector" suffix), as Connect accepts.
func pluginClass(plugin string) (string, bool) {
	if _, _, err := config.ConnectorKind(plugin); err == nil {
		return plugin, true
	}
	for _, c := range config.ConnectorClasses() {
		simple := c[strings.LastIndex(c, ".")+1:]
		if simple == plugin || strings.TrimSuffix(simple, "Connector") == plugin {
			return c, true
		}
	}
	return "", false
}

// connectorDef is the connector's own key set of a canonical class (the
// registry's definitions, the same the functions parse at init); nil for
// a class without a registered connector.
func connectorDef(class string) *config.Def {
	p, err := connectors.Lookup(class)
	if err != nil {
		return nil
	}
	return p.Def()
}

// validate is PUT /connector-plugins/{plugin}/config/validate: the body is
// the config map; the answer lists every key with its errors, checked by
// the same definitions the functions parse at cold start.
func (s *Server) validate(w http.ResponseWriter, r *http.Request) error {
	plugin := r.PathValue("plugin")
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(raw) > maxBody {
		return Errorf(http.StatusBadRequest, "request body unreadable or larger than %d bytes", maxBody)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return Errorf(http.StatusBadRequest, "request body: want a JSON object of config keys: %v", err)
	}
	props := make(map[string]string, len(body))
	for k, v := range body {
		switch t := v.(type) {
		case string:
			props[k] = t
		case float64:
			props[k] = strconv.FormatFloat(t, 'f', -1, 64)
		case bool:
			props[k] = strconv.FormatBool(t)
		default:
			return Errorf(http.StatusBadRequest, "config key %q: want a string, number or boolean value", k)
		}
	}
	out, err := Validate(plugin, props)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// Validate is PUT /connector-plugins/{plugin}/config/validate without
// HTTP, for the validate command of slkc-local: plugin is a class, alias or
// simple name; props the config. It returns Connect's ConfigInfos with
// every problem on its key, checked by the definitions the functions parse
// at cold start. The error (an *Error with Connect's status code) is an
// unknown plugin or a connector.class of another plugin.
func Validate(plugin string, props map[string]string) (ConfigInfos, error) {
	class, ok := pluginClass(plugin)
	if !ok {
		return ConfigInfos{}, Errorf(http.StatusBadRequest, "Failed to find any class that implements Connector and which name matches %s, available connectors are: %s",
			plugin, strings.Join(config.ConnectorClasses(), ", "))
	}
	props = maps.Clone(props)
	_, canon, _ := config.ConnectorKind(class)
	c, ok := props[config.KeyConnectorClass]
	if !ok {
		props[config.KeyConnectorClass] = class
	} else if _, bodyCanon, err := config.ConnectorKind(c); err == nil && bodyCanon != canon {
		return ConfigInfos{}, Errorf(http.StatusBadRequest, "Included connector type %s does not match request type %s", c, plugin)
	}
	// An unknown connector.class in the body is reported on that key in the
	// validate response (as Connect does since KAFKA-13756).
	return validateProps(class, canon, props), nil
}

// validateProps runs the connector's parse and renders every problem on
// its key; problems without a key go on connector.class.
func validateProps(name, canon string, props map[string]string) ConfigInfos {
	kind, _, _ := config.ConnectorKind(canon)
	def := config.FrameworkDef(kind)
	if own := connectorDef(canon); own != nil {
		def = def.Merge(own)
	}
	_, _, err := config.ParseConnector(props, connectorDef(canon))
	return render(name, def, props, err)
}

// ValidateDef is the validate response for props checked by def alone (no
// framework keys): the rendering of Validate for any definitions, which the
// differential test compares with Kafka Connect's for the same ConfigDef.
func ValidateDef(name string, def *config.Def, props map[string]string) ConfigInfos {
	_, err := def.Parse(props)
	return render(name, def, props, err)
}

// render lists every key of def with its value and the errors of err (a
// parse's joined *config.KeyError) on their keys; errors without a key go
// on connector.class.
func render(name string, def *config.Def, props map[string]string, err error) ConfigInfos {
	errs := map[string][]string{}
	count := 0
	if err != nil {
		for _, e := range flatten(err) {
			key := config.KeyConnectorClass
			var ke *config.KeyError
			if errors.As(e, &ke) && ke.Key != "" {
				key = ke.Key
			}
			errs[key] = append(errs[key], e.Error())
			count++
		}
	}
	out := ConfigInfos{Name: name, ErrorCount: count, Groups: []string{}, Configs: []ConfigInfo{}}
	seen := map[string]bool{}
	for _, k := range def.Keys() {
		seen[k.Name] = true
		if k.Group != "" && !slices.Contains(out.Groups, k.Group) {
			out.Groups = append(out.Groups, k.Group)
		}
		out.Configs = append(out.Configs, configInfo(k, props, errs[k.Name]))
	}
	// Keys that are not defined (unknown, or under an allowed prefix) are
	// shown when they carry an error, so none is lost.
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range errs {
			if !yield(k) {
				return
			}
		}
	}) {
		if !seen[name] {
			out.Configs = append(out.Configs, configInfo(config.Key{Name: name, Type: config.String}, props, errs[name]))
		}
	}
	return out
}

func configInfo(k config.Key, props map[string]string, errs []string) ConfigInfo {
	var val *string
	if v, ok := props[k.Name]; ok && config.ParsesAs(k.Type, v) {
		// A value that is not of the key's type has no parsed value:
		// Connect shows null, with the error.
		v = canonical(k.Type, v)
		val = &v
	} else if !ok && k.Default != nil {
		d := *k.Default
		val = &d
	}
	def := k.Default
	if k.Type == config.Password {
		// Connect shows any password, set or defaulted, as [hidden].
		val, def = hidden(val), hidden(def)
	}
	if errs == nil {
		errs = []string{}
	}
	return ConfigInfo{
		Definition: ConfigKeyInfo{
			Name: k.Name, Type: k.Type.String(), Required: k.Required && k.Default == nil, DefaultValue: def,
			Importance: k.ImportanceName(), Documentation: k.Doc, Group: k.Group, OrderInGroup: -1, Width: "NONE",
			DisplayName: k.Name, Dependents: []string{},
		},
		Value: ConfigValueInfo{Name: k.Name, Value: val, RecommendedValues: []string{}, Errors: errs, Visible: true},
	}
}

// canonical is a valid value as Connect shows a parsed one
// (ConfigDef.convertToString): trimmed, lists joined by ",", booleans in
// lower case, integers in decimal.
func canonical(t config.Type, v string) string {
	v = strings.TrimSpace(v)
	switch t {
	case config.List:
		return strings.Join(config.SplitList(v), ",")
	case config.Bool:
		return strings.ToLower(v)
	case config.Int, config.Long:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
	}
	return v
}

// hidden returns "[hidden]" for a non-nil password text.
func hidden(v *string) *string {
	if v == nil {
		return nil
	}
	h := "[hidden]"
	return &h
}

// flatten unwraps errors.Join trees into their leaves.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{fmt.Errorf("%w", err)}
}
