// AvroHarness is the Java side of the Avro differential tests
// (shared/convert/avro_java_integration_test.go): the reference
// implementation of Confluent's wire format (Apicurio's Avro serde) and of
// the Connect <-> Avro mapping (Apicurio's copy of Confluent's AvroData),
// driven one JSON request per stdin line, one JSON answer per stdout line,
// so a test run starts one JVM.
//
//   {"op":"write","topic":T,"envelope":E}  E is JsonConverter's {"schema","payload"} text;
//       answers {"data":base64 of the Confluent wire bytes,"avroSchema":the Avro schema AvroData made}
//   {"op":"read","topic":T,"data":B}       answers {"envelope":the Connect data as JsonConverter prints it}
//   {"op":"produce","topic":T,"bootstrap":S,"schema":A,"records":[R...]}
//       a plain Java producer: each R (Avro's JSON encoding of a record of
//       schema A) becomes a GenericRecord sent with KafkaProducer and the
//       Avro serializer (no key); answers {"produced":"<count>"}
//   failures answer {"error":message}
//
// Usage: java -cp <libs>:<classes> AvroHarness <registry v3 API URL>
import com.fasterxml.jackson.databind.JsonNode;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.apicurio.registry.utils.converter.avro.AvroData;
import io.apicurio.registry.utils.converter.avro.AvroDataConfig;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;

public class AvroHarness {
  public static void main(String[] args) throws Exception {
    Map<String, Object> serde = new HashMap<>();
    serde.put("apicurio.registry.url", args[0]);
    serde.put("apicurio.registry.auto-register", "true");
    AvroKafkaSerializer<Object> ser = new AvroKafkaSerializer<>();
    ser.configure(serde, false);
    AvroKafkaDeserializer<Object> des = new AvroKafkaDeserializer<>();
    des.configure(serde, false);

    Map<String, Object> dataConf = new HashMap<>();
    dataConf.put("schemas.cache.config", 100);
    AvroData avroData = new AvroData(new AvroDataConfig(dataConf));

    JsonConverter json = new JsonConverter();
    Map<String, Object> jsonConf = new HashMap<>();
    jsonConf.put("schemas.enable", "true");
    jsonConf.put("converter.type", "value");
    json.configure(jsonConf);

    HarnessLoop.run((op, req, answer) -> {
        String topic = req.get("topic").asText();
        switch (op) {
          case "write": {
            byte[] env = req.get("envelope").asText().getBytes(StandardCharsets.UTF_8);
            SchemaAndValue sv = json.toConnectData(topic, env);
            Schema avroSchema = avroData.fromConnectSchema(sv.schema());
            Object avro = avroData.fromConnectData(sv.schema(), sv.value());
            byte[] data = ser.serialize(topic, avro);
            answer.put("data", Base64.getEncoder().encodeToString(data));
            answer.put("avroSchema", avroSchema.toString());
            break;
          }
          case "read": {
            byte[] data = Base64.getDecoder().decode(req.get("data").asText());
            Object avro = des.deserialize(topic, null, data);
            Schema schema = schemaOf(avro);
            SchemaAndValue sv = avroData.toConnectData(schema, avro);
            byte[] env = json.fromConnectData(topic, sv.schema(), sv.value());
            answer.put("envelope", new String(env, StandardCharsets.UTF_8));
            break;
          }
          case "produce": {
            Schema schema = new Schema.Parser().parse(req.get("schema").asText());
            Map<String, Object> conf = new HashMap<>(serde);
            conf.put("bootstrap.servers", req.get("bootstrap").asText());
            conf.put("acks", "all");
            int n = 0;
            try (KafkaProducer<String, Object> producer = new KafkaProducer<>(conf, new StringSerializer(), ser)) {
              GenericDatumReader<Object> reader = new GenericDatumReader<>(schema);
              for (JsonNode r : req.get("records")) {
                Object record = reader.read(null, DecoderFactory.get().jsonDecoder(schema, r.asText()));
                producer.send(new ProducerRecord<>(topic, null, record)).get();
                n++;
              }
            }
            answer.put("produced", Integer.toString(n));
            break;
          }
          default:
            throw new IllegalArgumentException("unknown op " + op);
        }
    });
  }

  // schemaOf returns the writer schema of what the deserializer returned:
  // records carry it; primitives come back bare.
  static Schema schemaOf(Object avro) {
    if (avro instanceof GenericContainer) {
      return ((GenericContainer) avro).getSchema();
    }
    throw new IllegalArgumentException("deserializer returned " + (avro == null ? "null" : avro.getClass()) + " without its schema; use record schemas");
  }
}
