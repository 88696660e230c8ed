// HarnessLoop is the request loop every differential-test harness shares
// (compiled with each by localstack/harness/jvm): it prints {"ready":true},
// then reads one JSON request per stdin line, hands it to the harness and
// prints its answer as one JSON line; a failure answers {"error":message}
// with the chain of causes (HARNESS_TRACE=1 also prints the stack trace to
// stderr).
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

public final class HarnessLoop {
  /** Handler answers one request: op is its "op" member, answer starts empty. */
  public interface Handler {
    void handle(String op, JsonNode req, ObjectNode answer) throws Exception;
  }

  public static final ObjectMapper MAPPER = new ObjectMapper();

  private HarnessLoop() {}

  public static void run(Handler h) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, true, "UTF-8");
    out.println("{\"ready\":true}");
    String line;
    while ((line = in.readLine()) != null) {
      ObjectNode answer = MAPPER.createObjectNode();
      try {
        JsonNode req = MAPPER.readTree(line);
        h.handle(req.get("op").asText(), req, answer);
      } catch (Exception e) {
        if (System.getenv("HARNESS_TRACE") != null) {
          e.printStackTrace();
        }
        StringBuilder msg = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
          msg.append(" caused by ").append(c);
        }
        answer.removeAll();
        answer.put("error", msg.toString());
      }
      out.println(MAPPER.writeValueAsString(answer));
    }
  }
}
