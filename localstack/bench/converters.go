package main

import (
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/sr/srfake"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/convert"
)

// converterFigures measures JsonConverter (schemas.enable=true) and the
// registry converters (Avro, JSON Schema, Protobuf) on the same records:
// bytes per record on Kafka, and records/s written (FromConnect, the source
// side) and read (ToConnect, the sink side) in one goroutine. The registry
// is called for the first record only (the converters cache ids and
// schemas), so the rates are the converters' own; without registryURL an
// in-process fake registry (franz-go's srfake) serves that first call, so
// the comparison is part of every bench run.
func converterFigures(recs []connect.Record, topic, label, registryURL string) ([]Figure, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	registryNote := "registry " + registryURL
	if registryURL == "" {
		fake := srfake.New()
		defer fake.Close()
		registryURL, registryNote = fake.URL(), "in-process fake registry (srfake; SLKC_SCHEMA_REGISTRY_URL for a real one)"
	}
	type conv struct {
		name  string
		class string
		props map[string]string
	}
	convs := []conv{{"JsonConverter", convert.JSONConverterClass, map[string]string{"schemas.enable": "true"}}}
	for name, class := range map[string]string{"AvroConverter": convert.AvroConverterClass,
		"JsonSchemaConverter": convert.JSONSchemaConverterClass, "ProtobufConverter": convert.ProtobufConverterClass} {
		convs = append(convs, conv{name, class, map[string]string{"schema.registry.url": registryURL}})
	}
	sort.Slice(convs[1:], func(i, j int) bool { return convs[1+i].name < convs[1+j].name })
	var figs []Figure
	for _, cv := range convs {
		c, err := convert.New(cv.class, cv.props, false)
		if err != nil {
			return nil, fmt.Errorf("bench: %s: %w", cv.name, err)
		}
		// Warm the caches (and register the schema) outside the clock.
		if _, err := c.FromConnect(topic, recs[0].ValueSchema, recs[0].Value); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", cv.name, err)
		}
		encoded := make([][]byte, len(recs))
		var total int
		start := time.Now()
		for i, r := range recs {
			b, err := c.FromConnect(topic, r.ValueSchema, r.Value)
			if err != nil {
				return nil, fmt.Errorf("bench: %s writing record %d: %w", cv.name, i, err)
			}
			encoded[i] = b
			total += len(b)
		}
		enc := time.Since(start)
		start = time.Now()
		for i, b := range encoded {
			if _, _, err := c.ToConnect(topic, b); err != nil {
				return nil, fmt.Errorf("bench: %s reading record %d: %w", cv.name, i, err)
			}
		}
		dec := time.Since(start)
		note := fmt.Sprintf("%d records, one goroutine", len(recs))
		if cv.class != convert.JSONConverterClass {
			note += "; " + registryNote
		}
		figs = append(figs,
			Figure{Section: "converter", Name: cv.name + " value size " + label, Value: float64(total) / float64(len(recs)), Unit: "B/record", Note: note},
			Figure{Section: "converter", Name: cv.name + " write (source side) " + label, Value: Rate(float64(len(recs)), enc), Unit: "records/s", Note: note},
			Figure{Section: "converter", Name: cv.name + " read (sink side) " + label, Value: Rate(float64(len(recs)), dec), Unit: "records/s", Note: note},
		)
	}
	return figs, nil
}
