package convert

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/glue"
	gluetypes "github.com/aws/aws-sdk-go-v2/service/glue/types"

	"github.com/serverless-kafka-connect/slkc/shared/connect"
	"github.com/serverless-kafka-connect/slkc/shared/errclass"
)

// GlueAvroConverterClass is the AWS Glue Schema Registry's Kafka Connect
// Avro converter: Connect data as Avro (the same mapping as
// AvroConverter) in Glue's wire format, schemas kept in a Glue registry.
const GlueAvroConverterClass = "com.amazonaws.services.schemaregistry.kafkaconnect.AWSKafkaAvroConverter"

// Glue's wire format: a header version byte (3), a compression byte (0,
// or 5 for zlib) and the 16-byte schema version UUID, then the data.
const (
	glueHeaderVersion = 3
	glueNoCompression = 0
	glueZlib          = 5
	glueHeaderSize    = 18
)

// The Glue converter's properties (AWSSchemaRegistryConstants).
const (
	glueKeyRegion        = "region"
	glueKeyEndpoint      = "endpoint"
	glueKeyRegistry      = "registry.name"
	glueKeySchemaName    = "schemaName"
	glueKeyAutoRegister  = "schemaAutoRegistrationEnabled"
	glueKeyCompression   = "compression"
	glueKeyCompatibility = "compatibility"
	glueKeyDescription   = "description"
	glueKeyDataFormat    = "dataFormat"
	glueKeyRecordType    = "avroRecordType"
)

// glueDefaultRegistry is the registry the Glue serdes use when none is named.
const glueDefaultRegistry = "default-registry"

// glueAPI is the part of the Glue client the converter calls.
type glueAPI interface {
	GetSchemaByDefinition(context.Context, *glue.GetSchemaByDefinitionInput, ...func(*glue.Options)) (*glue.GetSchemaByDefinitionOutput, error)
	RegisterSchemaVersion(context.Context, *glue.RegisterSchemaVersionInput, ...func(*glue.Options)) (*glue.RegisterSchemaVersionOutput, error)
	CreateSchema(context.Context, *glue.CreateSchemaInput, ...func(*glue.Options)) (*glue.CreateSchemaOutput, error)
	GetSchemaVersion(context.Context, *glue.GetSchemaVersionInput, ...func(*glue.Options)) (*glue.GetSchemaVersionOutput, error)
}

// glueAvroConverter is AWSKafkaAvroConverter. Schema version ids are
// cached per schema name and definition, schemas per version id, so Glue
// is called once per new schema.
type glueAvroConverter struct {
	api           glueAPI
	registry      string
	schemaName    string // "" means the topic name, as Glue's default naming strategy
	autoRegister  bool
	zlib          bool
	compatibility gluetypes.Compatibility
	description   string
	timeout       time.Duration

	writes   srCache[*connect.Schema, *avroWriteSchema]
	versions srCache[subjectText, [16]byte]
	reads    srCache[[16]byte, *avroReadSchema]
}

func newGlueAvro(props map[string]string, isKey bool) (*glueAvroConverter, error) {
	allowed := map[string]string{}
	for _, k := range []string{glueKeyRegion, glueKeyEndpoint, glueKeyRegistry, glueKeySchemaName, glueKeyAutoRegister,
		glueKeyCompression, glueKeyCompatibility, glueKeyDescription, glueKeyDataFormat, glueKeyRecordType} {
		allowed[k] = ""
	}
	if err := checkProps(props, allowed); err != nil {
		return nil, err
	}
	c := &glueAvroConverter{registry: glueDefaultRegistry, schemaName: props[glueKeySchemaName],
		compatibility: gluetypes.CompatibilityBackward, description: props[glueKeyDescription], timeout: 30 * time.Second}
	var errs []error
	if v := props[glueKeyRegistry]; v != "" {
		c.registry = v
	}
	if err := parseBoolProp(props, glueKeyAutoRegister, &c.autoRegister); err != nil {
		errs = append(errs, err)
	}
	switch v := strings.ToUpper(props[glueKeyCompression]); v {
	case "", "NONE":
	case "ZLIB":
		c.zlib = true
	default:
		errs = append(errs, &ConfigError{Key: glueKeyCompression, Value: props[glueKeyCompression], Allowed: "NONE or ZLIB"})
	}
	if v, ok := props[glueKeyCompatibility]; ok {
		c.compatibility = gluetypes.Compatibility(strings.ToUpper(v))
		if !containsCompat(c.compatibility) {
			errs = append(errs, &ConfigError{Key: glueKeyCompatibility, Value: v, Allowed: fmt.Sprint(gluetypes.Compatibility("").Values())})
		}
	}
	if v, ok := props[glueKeyDataFormat]; ok && !strings.EqualFold(v, "AVRO") {
		errs = append(errs, &ConfigError{Key: glueKeyDataFormat, Value: v, Allowed: "AVRO (this converter writes Avro)"})
	}
	if v, ok := props[glueKeyRecordType]; ok && v != "GENERIC_RECORD" {
		errs = append(errs, &ConfigError{Key: glueKeyRecordType, Value: v, Allowed: "GENERIC_RECORD (Connect data has no generated classes)"})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var opts []func(*awsconfig.LoadOptions) error
	if r := props[glueKeyRegion]; r != "" {
		opts = append(opts, awsconfig.WithRegion(r))
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for Glue: %w", err)
	}
	c.api = glue.NewFromConfig(cfg, func(o *glue.Options) {
		if e := props[glueKeyEndpoint]; e != "" {
			o.BaseEndpoint = aws.String(e)
		}
	})
	return c, nil
}

func containsCompat(c gluetypes.Compatibility) bool {
	for _, v := range c.Values() {
		if v == c {
			return true
		}
	}
	return false
}

// FromConnect writes value as Avro in Glue's wire format under the schema
// version of its Avro schema in schemaName (default: the topic): found by
// definition, or registered with schemaAutoRegistrationEnabled (a new
// schema is created with the configured compatibility). A schema that is
// not registered (auto registration off) or that Glue refuses is a
// permanent error; Glue unreachable or throttling is retryable.
func (c *glueAvroConverter) FromConnect(topic string, schema *connect.Schema, value any) ([]byte, error) {
	if writesNull(schema, value) {
		return nil, nil
	}
	ws, ok := c.writes.get(schema)
	if !ok {
		var err error
		if ws, err = newAvroWriteSchema(schema); err != nil {
			return nil, errclass.Data(fmt.Errorf("AWSKafkaAvroConverter: %w", err))
		}
		c.writes.put(schema, ws)
	}
	name := c.schemaName
	if name == "" {
		name = topic
	}
	vid, err := c.versionID(name, ws.text)
	if err != nil {
		return nil, fmt.Errorf("AWSKafkaAvroConverter: topic %q: %w", topic, err)
	}
	generic, err := ws.root.encode(value)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AWSKafkaAvroConverter: topic %q: %w", topic, err))
	}
	body, err := ws.codec.Encode(generic)
	if err != nil {
		return nil, errclass.Data(fmt.Errorf("AWSKafkaAvroConverter: topic %q: %w", topic, err))
	}
	out := append([]byte{glueHeaderVersion, glueNoCompression}, vid[:]...)
	if !c.zlib {
		return append(out, body...), nil
	}
	out[1] = glueZlib
	buf := bytes.NewBuffer(out)
	zw := zlib.NewWriter(buf)
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// versionID is the schema version id of definition in schema name.
func (c *glueAvroConverter) versionID(name, definition string) ([16]byte, error) {
	k := subjectText{name, definition}
	if v, ok := c.versions.get(k); ok {
		return v, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	id := &gluetypes.SchemaId{RegistryName: aws.String(c.registry), SchemaName: aws.String(name)}
	var vid *string
	got, err := c.api.GetSchemaByDefinition(ctx, &glue.GetSchemaByDefinitionInput{SchemaId: id, SchemaDefinition: aws.String(definition)})
	switch {
	case err == nil:
		vid = got.SchemaVersionId
	case !isGlueNotFound(err):
		return [16]byte{}, glueErr(fmt.Sprintf("looking up the schema in %s/%s", c.registry, name), err)
	case !c.autoRegister:
		return [16]byte{}, errclass.Data(fmt.Errorf("the schema is not registered in Glue schema %s/%s and %s is false", c.registry, name, glueKeyAutoRegister))
	default:
		reg, err := c.api.RegisterSchemaVersion(ctx, &glue.RegisterSchemaVersionInput{SchemaId: id, SchemaDefinition: aws.String(definition)})
		if err == nil {
			vid = reg.SchemaVersionId
		} else if isGlueNotFound(err) {
			created, cerr := c.api.CreateSchema(ctx, &glue.CreateSchemaInput{RegistryId: &gluetypes.RegistryId{RegistryName: aws.String(c.registry)},
				SchemaName: aws.String(name), DataFormat: gluetypes.DataFormatAvro, Compatibility: c.compatibility,
				SchemaDefinition: aws.String(definition), Description: descriptionOrNil(c.description)})
			if cerr != nil {
				return [16]byte{}, glueErr(fmt.Sprintf("creating Glue schema %s/%s", c.registry, name), cerr)
			}
			vid = created.SchemaVersionId
		} else {
			return [16]byte{}, glueErr(fmt.Sprintf("registering a version of Glue schema %s/%s", c.registry, name), err)
		}
		if err := c.waitAvailable(ctx, aws.ToString(vid), name); err != nil {
			return [16]byte{}, err
		}
	}
	v, err := parseUUID(aws.ToString(vid))
	if err != nil {
		return [16]byte{}, errclass.Data(fmt.Errorf("Glue returned schema version id %q: %w", aws.ToString(vid), err))
	}
	c.versions.put(k, v)
	return v, nil
}

// waitAvailable polls a new schema version until Glue has checked it: a
// FAILURE status is an incompatible schema (permanent).
func (c *glueAvroConverter) waitAvailable(ctx context.Context, vid, name string) error {
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		got, err := c.api.GetSchemaVersion(ctx, &glue.GetSchemaVersionInput{SchemaVersionId: aws.String(vid)})
		if err != nil {
			return glueErr(fmt.Sprintf("checking new schema version %s of %s/%s", vid, c.registry, name), err)
		}
		switch got.Status {
		case gluetypes.SchemaVersionStatusAvailable:
			return nil
		case gluetypes.SchemaVersionStatusFailure, gluetypes.SchemaVersionStatusDeleting:
			return errclass.Data(fmt.Errorf("Glue refused the schema for %s/%s: version %s is %s (incompatible with the schema's %s compatibility?)", c.registry, name, vid, got.Status, c.compatibility))
		}
		select {
		case <-ctx.Done():
			return errclass.Retryable(fmt.Errorf("schema version %s of %s/%s still %s: %w", vid, c.registry, name, got.Status, ctx.Err()))
		case <-time.After(wait):
		}
	}
}

func descriptionOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ToConnect reads Glue's wire format: the schema version is fetched once
// and mapped to Connect as AvroConverter does. Data without Glue's header,
// an unknown version, a schema that is not Avro or data that does not fit
// it is a permanent error; Glue unreachable or throttling is retryable.
func (c *glueAvroConverter) ToConnect(topic string, data []byte) (*connect.Schema, any, error) {
	if len(data) == 0 {
		return nil, nil, nil
	}
	if len(data) < glueHeaderSize || data[0] != glueHeaderVersion || (data[1] != glueNoCompression && data[1] != glueZlib) {
		return nil, nil, errclass.Data(fmt.Errorf("AWSKafkaAvroConverter: topic %q: data is not in AWS Glue Schema Registry's wire format (want header version byte 3, compression byte 0 or 5 and a 16-byte schema version id; %d bytes starting % x)", topic, len(data), data[:min(len(data), 2)]))
	}
	var vid [16]byte
	copy(vid[:], data[2:glueHeaderSize])
	body := data[glueHeaderSize:]
	if data[1] == glueZlib {
		zr, err := zlib.NewReader(bytes.NewReader(body))
		if err == nil {
			body, err = io.ReadAll(zr)
		}
		if err != nil {
			return nil, nil, errclass.Data(fmt.Errorf("AWSKafkaAvroConverter: topic %q: zlib data: %w", topic, err))
		}
	}
	rs, ok := c.reads.get(vid)
	if !ok {
		ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		got, err := c.api.GetSchemaVersion(ctx, &glue.GetSchemaVersionInput{SchemaVersionId: aws.String(formatUUID(vid))})
		if err != nil {
			return nil, nil, fmt.Errorf("AWSKafkaAvroConverter: topic %q: %w", topic, glueErr("fetching schema version "+formatUUID(vid), err))
		}
		if got.DataFormat != gluetypes.DataFormatAvro {
			return nil, nil, errclass.Data(fmt.Errorf("AWSKafkaAvroConverter: topic %q: schema version %s is %s, not AVRO", topic, formatUUID(vid), got.DataFormat))
		}
		if rs, err = newAvroReadSchema(aws.ToString(got.SchemaDefinition)); err != nil {
			return nil, nil, errclass.Data(fmt.Errorf("AWSKafkaAvroConverter: topic %q: schema version %s: %w", topic, formatUUID(vid), err))
		}
		c.reads.put(vid, rs)
	}
	v, err := rs.read(body)
	if err != nil {
		return nil, nil, errclass.Data(fmt.Errorf("AWSKafkaAvroConverter: topic %q: schema version %s: %w", topic, formatUUID(vid), err))
	}
	return rs.root.conn, v, nil
}

func isGlueNotFound(err error) bool {
	var nf *gluetypes.EntityNotFoundException
	return errors.As(err, &nf)
}

// glueErr wraps a Glue error with what was being done; an unknown schema
// version, invalid input or access denied is permanent, the rest (network,
// throttling, 5xx) keeps the SDK's classification (errclass).
func glueErr(what string, err error) error {
	var nf *gluetypes.EntityNotFoundException
	var inv *gluetypes.InvalidInputException
	var ad *gluetypes.AccessDeniedException
	if errors.As(err, &nf) || errors.As(err, &inv) || errors.As(err, &ad) {
		return errclass.Data(fmt.Errorf("Glue: %s: %w", what, err))
	}
	return fmt.Errorf("Glue: %s: %w", what, err)
}

func parseUUID(s string) ([16]byte, error) {
	var u [16]byte
	h := strings.ReplaceAll(s, "-", "")
	if len(h) != 32 {
		return u, errors.New("not a UUID")
	}
	_, err := hex.Decode(u[:], []byte(h))
	return u, err
}

func formatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
