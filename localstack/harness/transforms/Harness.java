// Harness runs Kafka Connect's own single message transforms and predicates
// (connect-transforms) on test vectors, so shared/transform can be compared
// with them byte for byte. Test-only; see shared/transform/diff_test.go.
//
// Input (stdin), one JSON object per line:
//   {"id": "...", "schemas": true|false, "config": {"transforms": "a,b", "transforms.a.type": "...", "predicates": "...", ...},
//    "records": [{"topic": "t", "partition": 0, "offset": 0, "timestamp": 1700000000000|null,
//                 "key": <JsonConverter JSON or null>, "value": <JsonConverter JSON or null>,
//                 "headers": [["name", "text"|null], ...]}]}
// Output (stdout), one line per input line:
//   {"id": "...", "config_error": "Class: message"}  or
//   {"id": "...", "results": [{"dropped": true} | {"error": "Class: message"} |
//      {"topic", "partition", "timestamp", "key", "value", "headers"}]}
// where key and value are the JsonConverter bytes (same schemas.enable) as text
// and header values are SimpleHeaderConverter bytes as text.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

public class Harness {
    static final ObjectMapper M = new ObjectMapper();

    static final class Stage {
        Transformation<SinkRecord> t;
        Predicate<SinkRecord> p;
        boolean negate;
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        SimpleHeaderConverter hc = new SimpleHeaderConverter();
        hc.configure(new HashMap<>());
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) continue;
            JsonNode v = M.readTree(line);
            ObjectNode res = M.createObjectNode();
            res.put("id", v.get("id").asText());
            boolean schemas = v.get("schemas").asBoolean();
            JsonConverter kc = converter(schemas, true), vc = converter(schemas, false);
            List<Stage> stages;
            try {
                stages = stages(v.get("config"));
            } catch (Throwable e) {
                res.put("config_error", describe(e));
                out.println(M.writeValueAsString(res));
                continue;
            }
            ArrayNode results = res.putArray("results");
            for (JsonNode r : v.get("records")) {
                results.add(run(stages, r, kc, vc, hc));
            }
            for (Stage s : stages) {
                s.t.close();
                if (s.p != null) s.p.close();
            }
            out.println(M.writeValueAsString(res));
        }
        out.flush();
    }

    static JsonConverter converter(boolean schemas, boolean key) {
        JsonConverter c = new JsonConverter();
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("schemas.enable", Boolean.toString(schemas));
        c.configure(cfg, key);
        return c;
    }

    // describe names the exception; identity hashes ("Spec@1b6d3586") in
    // messages are masked so the output is the same on every run.
    static String describe(Throwable e) {
        String msg = String.valueOf(e.getMessage()).replaceAll("@[0-9a-f]{1,8}\\b", "@…");
        return e.getClass().getName() + ": " + msg;
    }

    static Map<String, String> withPrefix(JsonNode cfg, String prefix) {
        Map<String, String> m = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = cfg.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith(prefix)) m.put(e.getKey().substring(prefix.length()), e.getValue().asText());
        }
        return m;
    }

    static List<String> list(JsonNode cfg, String key) {
        List<String> l = new ArrayList<>();
        if (cfg.has(key)) {
            for (String s : cfg.get(key).asText().split(",")) if (!s.isBlank()) l.add(s.trim());
        }
        return l;
    }

    // stages builds the chain the way Kafka Connect's ConnectorConfig does:
    // "predicate" and "negate" are taken out of the transform's keys.
    @SuppressWarnings("unchecked")
    static List<Stage> stages(JsonNode cfg) throws Exception {
        Map<String, Predicate<SinkRecord>> preds = new HashMap<>();
        for (String alias : list(cfg, "predicates")) {
            Map<String, String> props = withPrefix(cfg, "predicates." + alias + ".");
            Predicate<SinkRecord> p = (Predicate<SinkRecord>) Class.forName(props.get("type")).getDeclaredConstructor().newInstance();
            p.configure(props);
            preds.put(alias, p);
        }
        List<Stage> stages = new ArrayList<>();
        for (String alias : list(cfg, "transforms")) {
            Map<String, Object> props = new HashMap<>(withPrefix(cfg, "transforms." + alias + "."));
            Stage s = new Stage();
            Object pred = props.remove("predicate");
            Object neg = props.remove("negate");
            s.t = (Transformation<SinkRecord>) Class.forName((String) props.get("type")).getDeclaredConstructor().newInstance();
            s.t.configure(props);
            if (pred != null) {
                s.p = preds.get(pred.toString());
                if (s.p == null) throw new IllegalArgumentException("undefined predicate " + pred);
                s.negate = neg != null && Boolean.parseBoolean(neg.toString());
            }
            stages.add(s);
        }
        return stages;
    }

    static byte[] bytes(JsonNode n) throws Exception {
        if (n == null || n.isNull()) return null;
        return M.writeValueAsBytes(n);
    }

    static JsonNode run(List<Stage> stages, JsonNode r, JsonConverter kc, JsonConverter vc, SimpleHeaderConverter hc) {
        ObjectNode o = M.createObjectNode();
        try {
            String topic = r.get("topic").asText();
            SchemaAndValue k = kc.toConnectData(topic, bytes(r.get("key")));
            SchemaAndValue v = vc.toConnectData(topic, bytes(r.get("value")));
            ConnectHeaders hs = new ConnectHeaders();
            if (r.has("headers")) {
                for (JsonNode h : r.get("headers")) hs.addString(h.get(0).asText(), h.get(1).isNull() ? null : h.get(1).asText());
            }
            Long ts = r.get("timestamp") == null || r.get("timestamp").isNull() ? null : r.get("timestamp").asLong();
            SinkRecord rec = new SinkRecord(topic, r.get("partition").asInt(), k.schema(), k.value(), v.schema(), v.value(),
                    r.get("offset").asLong(), ts, ts == null ? TimestampType.NO_TIMESTAMP_TYPE : TimestampType.CREATE_TIME, hs);
            for (Stage s : stages) {
                if (s.p == null || s.negate ^ s.p.test(rec)) rec = s.t.apply(rec);
                if (rec == null) {
                    o.put("dropped", true);
                    return o;
                }
            }
            o.put("topic", rec.topic());
            o.put("partition", rec.kafkaPartition());
            if (rec.timestamp() == null) o.putNull("timestamp"); else o.put("timestamp", rec.timestamp());
            o.put("key", text(kc.fromConnectData(rec.topic(), rec.keySchema(), canon(rec.key()))));
            o.put("value", text(vc.fromConnectData(rec.topic(), rec.valueSchema(), canon(rec.value()))));
            ArrayNode ha = o.putArray("headers");
            for (Header h : rec.headers()) {
                ArrayNode e = ha.addArray();
                e.add(h.key());
                e.add(text(hc.fromConnectHeader(rec.topic(), h.key(), h.schema(), h.value())));
            }
            return o;
        } catch (Throwable e) {
            ObjectNode err = M.createObjectNode();
            err.put("error", describe(e));
            return err;
        }
    }

    // canon orders the entries of every map with string keys by key: Kafka's
    // transforms and JsonConverter build HashMaps, whose order is an accident
    // of hashing, while the Go side writes maps in a defined order.
    static Object canon(Object v) {
        if (v instanceof Map) {
            Map<?, ?> m = (Map<?, ?>) v;
            boolean strings = m.keySet().stream().allMatch(k -> k instanceof String);
            Map<Object, Object> out = strings ? new TreeMap<>() : new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) out.put(e.getKey(), canon(e.getValue()));
            return out;
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object e : (List<?>) v) out.add(canon(e));
            return out;
        }
        if (v instanceof Struct) {
            Struct s = (Struct) v;
            Struct out = new Struct(s.schema());
            for (Field f : s.schema().fields()) out.put(f, canon(s.getWithoutDefault(f.name())));
            return out;
        }
        return v;
    }

    static String text(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
