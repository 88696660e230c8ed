// GlueHarness is the Java side of the AWS Glue Schema Registry differential
// test (shared/convert/glue_java_integration_test.go): AWS's Glue Schema
// Registry Kafka serializer and deserializer (Avro, generic records),
// pointed at the Glue endpoint the test gives, driven one JSON request per
// stdin line, one JSON answer per stdout line.
//
//   {"op":"write","topic":T,"schema":A,"record":R,"compression":C}  R (Avro's JSON encoding of a
//       record of schema A) serialized with compression C (NONE or ZLIB), the schema
//       auto-registered under the schema name T; answers {"data":base64 wire bytes}
//   {"op":"read","topic":T,"data":B}  answers {"record":the record as Avro's GenericData prints it}
//   failures answer {"error":message}
//
// Usage: java -cp <libs>:<classes> GlueHarness <Glue endpoint URL>
import com.amazonaws.services.schemaregistry.deserializers.GlueSchemaRegistryKafkaDeserializer;
import com.amazonaws.services.schemaregistry.serializers.GlueSchemaRegistryKafkaSerializer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;

public class GlueHarness {
  public static void main(String[] args) throws Exception {
    Map<String, Object> conf = new HashMap<>();
    conf.put("endpoint", args[0]);
    conf.put("region", "us-east-1");
    conf.put("dataFormat", "AVRO");
    conf.put("avroRecordType", "GENERIC_RECORD");
    conf.put("schemaAutoRegistrationEnabled", "true");
    Map<String, GlueSchemaRegistryKafkaSerializer> sers = new HashMap<>();
    GlueSchemaRegistryKafkaDeserializer des = new GlueSchemaRegistryKafkaDeserializer();
    des.configure(conf, false);

    HarnessLoop.run((op, req, answer) -> {
        String topic = req.get("topic").asText();
        switch (op) {
          case "write": {
            String compression = req.get("compression").asText();
            GlueSchemaRegistryKafkaSerializer ser = sers.get(compression);
            if (ser == null) {
              Map<String, Object> c = new HashMap<>(conf);
              c.put("compression", compression);
              ser = new GlueSchemaRegistryKafkaSerializer();
              ser.configure(c, false);
              sers.put(compression, ser);
            }
            Schema schema = new Schema.Parser().parse(req.get("schema").asText());
            Object record = new GenericDatumReader<Object>(schema)
                .read(null, DecoderFactory.get().jsonDecoder(schema, req.get("record").asText()));
            answer.put("data", Base64.getEncoder().encodeToString(ser.serialize(topic, record)));
            break;
          }
          case "read": {
            Object record = des.deserialize(topic, Base64.getDecoder().decode(req.get("data").asText()));
            answer.put("record", GenericData.get().toString(record));
            break;
          }
          default:
            throw new IllegalArgumentException("unknown op " + op);
        }
    });
  }
}
