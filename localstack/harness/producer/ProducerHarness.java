// ProducerHarness is the Java side of the producer differential test
// (shared/kafka/producer_java_integration_test.go): Kafka's own
// KafkaProducer (kafka-clients 4.1.1, as a Connect worker's source task
// and dead letter queue use it), driven one JSON request per stdin line,
// one JSON answer per stdout line.
//
//   {"op":"produce","bootstrap":S,"topic":T,"batchSize":N,"keys":[B...],"values":[B...]}
//       B base64; every record sent to partition 0 of T in order by one producer with
//       batch.size N, linger.ms 5 and acks=all (idempotent, Kafka's defaults), then flushed;
//       answers {"offsets":"o1,o2,..."} with each record's offset, or {"error":message} for
//       the first record that failed
//
// Usage: java -cp <libs>:<classes> ProducerHarness
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class ProducerHarness {
  private ProducerHarness() {}

  public static void main(String[] args) throws Exception {
    HarnessLoop.run((op, req, answer) -> {
      if (!op.equals("produce")) {
        throw new IllegalArgumentException("unknown op " + op);
      }
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, req.get("bootstrap").asText());
      p.put(ProducerConfig.BATCH_SIZE_CONFIG, req.get("batchSize").asInt());
      p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      String topic = req.get("topic").asText();
      Base64.Decoder b64 = Base64.getDecoder();
      try (KafkaProducer<byte[], byte[]> prod = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        JsonNode keys = req.get("keys");
        JsonNode values = req.get("values");
        for (int i = 0; i < values.size(); i++) {
          sent.add(prod.send(new ProducerRecord<>(topic, 0, b64.decode(keys.get(i).asText()), b64.decode(values.get(i).asText()))));
        }
        prod.flush();
        StringBuilder offsets = new StringBuilder();
        for (Future<RecordMetadata> f : sent) {
          if (offsets.length() > 0) {
            offsets.append(',');
          }
          offsets.append(f.get().offset());
        }
        answer.put("offsets", offsets.toString());
      }
    });
  }
}
