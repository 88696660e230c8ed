import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Runs Debezium's own connector (the one named by connector.class in the
 * properties file given as the only argument) in a DebeziumEngine and
 * prints every change event on stdout, one JSON line each:
 * {"topic":..., "key":<JsonConverter bytes>, "value":<JsonConverter bytes>}
 * with Kafka's JsonConverter, schemas enabled, as a Connect worker would
 * write them. It prints {"ready":true} once the connector's task has
 * started and {"error":...} if the engine stops with a failure. Closing
 * stdin stops the engine and the process. Driven by
 * connectors/binlog/debezium_diff_integration_test.go.
 */
public final class DebeziumHarness {
  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    try (InputStream in = new FileInputStream(args[0])) {
      props.load(in);
    }
    JsonConverter keys = new JsonConverter();
    keys.configure(Map.of("schemas.enable", "true"), true);
    JsonConverter values = new JsonConverter();
    values.configure(Map.of("schemas.enable", "true"), false);

    DebeziumEngine<RecordChangeEvent<SourceRecord>> engine =
        DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
            .using(props)
            .using(
                new DebeziumEngine.ConnectorCallback() {
                  @Override
                  public void taskStarted() {
                    emit("{\"ready\":true}");
                  }
                })
            .using(
                (success, message, error) -> {
                  if (!success) {
                    String m = message + (error == null ? "" : ": " + error);
                    emit("{\"error\":" + quote(m) + "}");
                  }
                })
            .notifying(
                event -> {
                  SourceRecord r = event.record();
                  byte[] k = keys.fromConnectData(r.topic(), r.keySchema(), r.key());
                  byte[] v = values.fromConnectData(r.topic(), r.valueSchema(), r.value());
                  emit(
                      "{\"topic\":"
                          + quote(r.topic())
                          + ",\"key\":"
                          + text(k)
                          + ",\"value\":"
                          + text(v)
                          + "}");
                })
            .build();
    ExecutorService exec = Executors.newSingleThreadExecutor();
    exec.execute(engine);
    // Run until the driver closes stdin.
    while (System.in.read() >= 0) {}
    engine.close();
    exec.shutdown();
    exec.awaitTermination(20, TimeUnit.SECONDS);
    System.exit(0);
  }

  private static synchronized void emit(String line) {
    OUT.println(line);
  }

  private static String text(byte[] b) {
    return b == null ? "null" : new String(b, StandardCharsets.UTF_8);
  }

  private static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
