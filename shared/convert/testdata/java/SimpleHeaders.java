// Reference side of TestSimpleHeaderConverterMatchesKafka: reads one base64
// header value per line on stdin, runs Kafka Connect's own
// SimpleHeaderConverter on it (toConnectHeader, then fromConnectHeader on
// the result) and prints "TYPE|logical name|base64 of the bytes written
// back" (TYPE "null" for a null schema or result, "<null>" for null bytes).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

public class SimpleHeaders {
    public static void main(String[] args) throws Exception {
        SimpleHeaderConverter c = new SimpleHeaderConverter();
        c.configure(Map.of());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            SchemaAndValue sv = c.toConnectHeader("t", "h", Base64.getDecoder().decode(line));
            Schema s = sv == null ? null : sv.schema();
            byte[] out = c.fromConnectHeader("t", "h", s, sv == null ? null : sv.value());
            System.out.println((s == null ? "null" : s.type().toString()) + "|"
                    + (s == null || s.name() == null ? "" : s.name()) + "|"
                    + (out == null ? "<null>" : Base64.getEncoder().encodeToString(out)));
        }
    }
}
