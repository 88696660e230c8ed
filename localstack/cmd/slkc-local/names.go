package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/serverless-kafka-connect/slkc/shared/config"
)

// nameFlag collects repeated -function-name CONNECTOR=FUNCTION flags.
type nameFlag map[string]string

func (n nameFlag) String() string {
	var parts []string
	for k, v := range n {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func (n nameFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
		return fmt.Errorf("want CONNECTOR=FUNCTION, got %q", s)
	}
	n[strings.TrimSpace(k)] = strings.TrimSpace(v)
	return nil
}

// connectorOf returns the connector name of a connector file's text, or ""
// when the text is not one.
func connectorOf(text string) string {
	var f struct {
		Name string `json:"name"`
	}
	if json.Unmarshal([]byte(text), &f) != nil {
		return ""
	}
	return f.Name
}

// templateFunctions maps connector names to the logical ids of the
// functions of a synthesized template (`cdk synth` output), which is how
// `sam local start-lambda` names them. A function is recognised by its
// SLKC_CONNECTOR_CONFIG environment variable.
func templateFunctions(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	var t struct {
		Resources map[string]struct {
			Type       string `json:"Type"`
			Properties struct {
				Environment struct {
					Variables map[string]any `json:"Variables"`
				} `json:"Environment"`
			} `json:"Properties"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("template %s: %w", path, err)
	}
	out := map[string]string{}
	for id, r := range t.Resources {
		if r.Type != "AWS::Lambda::Function" && r.Type != "AWS::Serverless::Function" {
			continue
		}
		text, _ := r.Properties.Environment.Variables[config.EnvConnectorConfig].(string)
		if name := connectorOf(text); name != "" {
			out[name] = id
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("template %s: no function has a %s environment variable", path, config.EnvConnectorConfig)
	}
	return out, nil
}

// listedFunctions maps connector names to the function names an endpoint
// lists (LocalStack, AWS): ListFunctions returns each function's
// environment, and with it the connector file.
func listedFunctions(ctx context.Context, client *lambda.Client) (map[string]string, error) {
	out := map[string]string{}
	p := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list functions: %w", err)
		}
		for _, f := range page.Functions {
			if f.Environment == nil {
				continue
			}
			if name := connectorOf(f.Environment.Variables[config.EnvConnectorConfig]); name != "" {
				out[name] = aws.ToString(f.FunctionName)
			}
		}
	}
	return out, nil
}

// remoteNames maps each planned function (plan.Spec.Name) to the name the
// invoke endpoint knows it by. In order of precedence: -function-name
// (keyed by connector or function name), the -template's logical ids
// (sam local start-lambda), the functions the endpoint lists (LocalStack),
// and finally the local name itself.
func remoteNames(ctx context.Context, plans []plan, template string, overrides map[string]string, client *lambda.Client, logger *slog.Logger) (map[string]string, error) {
	out := map[string]string{}
	byConnector := map[string]string{}
	for _, p := range plans {
		out[p.Spec.Name] = p.Spec.Name
		byConnector[p.Connector] = p.Spec.Name
	}
	var found map[string]string
	var err error
	if template != "" {
		if found, err = templateFunctions(template); err != nil {
			return nil, err
		}
	} else if found, err = listedFunctions(ctx, client); err != nil {
		logger.Info("the invoke endpoint does not list functions; using connector names (pass -template for sam local start-lambda, or -function-name)", "err", err)
	}
	for connector, fn := range found {
		if local, ok := byConnector[connector]; ok {
			out[local] = fn
		}
	}
	for k, v := range overrides {
		switch local, ok := byConnector[k]; {
		case ok:
			out[local] = v
		case out[k] != "":
			out[k] = v
		default:
			return nil, fmt.Errorf("-function-name %s=%s: no connector %q in the pipeline", k, v, k)
		}
	}
	return out, nil
}
