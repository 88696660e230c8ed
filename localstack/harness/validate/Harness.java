// Harness prints Kafka Connect's own answer to PUT
// /connector-plugins/{type}/config/validate for each ConfigDef and config
// of the JSON array on stdin, one line of output each:
//
//   [{"name": "...", "keys": [{"name", "type", "default" (string or null),
//     "required", "importance", "doc", "group", "min", "max" (numbers or
//     null: a ConfigDef.Range)}], "props": {"k": "v"}}, ...]
//
// It builds the ConfigDef, validates the props with ConfigDef.validate and
// renders the result with AbstractHerder.generateResult, serialised by
// Jackson as Connect's REST layer does. shared/connectapi's differential
// test compares its own rendering with this output.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.runtime.AbstractHerder;
import org.apache.kafka.connect.runtime.rest.entities.ConfigInfos;

public class Harness {
  public static void main(String[] args) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    for (JsonNode in : mapper.readTree(System.in)) {
      System.out.println(mapper.writeValueAsString(validate(in)));
    }
  }

  static ConfigInfos validate(JsonNode in) {
    ConfigDef def = new ConfigDef();
    List<String> groups = new ArrayList<>();
    for (JsonNode k : in.get("keys")) {
      String name = k.get("name").asText();
      ConfigDef.Type type = ConfigDef.Type.valueOf(k.get("type").asText());
      Object dflt;
      if (k.hasNonNull("default")) {
        dflt = k.get("default").asText();
      } else if (k.get("required").asBoolean()) {
        dflt = ConfigDef.NO_DEFAULT_VALUE;
      } else {
        dflt = null;
      }
      String group = k.hasNonNull("group") ? k.get("group").asText() : null;
      if (group != null && !groups.contains(group)) {
        groups.add(group);
      }
      ConfigDef.Validator validator = null;
      if (k.hasNonNull("min") || k.hasNonNull("max")) {
        validator = ConfigDef.Range.between(k.hasNonNull("min") ? k.get("min").asLong() : null,
            k.hasNonNull("max") ? k.get("max").asLong() : null);
      }
      def.define(name, type, dflt, validator, ConfigDef.Importance.valueOf(k.get("importance").asText()),
          k.get("doc").asText(), group, -1, ConfigDef.Width.NONE, name, List.of(), null);
    }
    Map<String, String> props = new LinkedHashMap<>();
    in.get("props").fields().forEachRemaining(e -> props.put(e.getKey(), e.getValue().asText()));
    List<ConfigValue> values = def.validate(props);
    return AbstractHerder.generateResult(in.get("name").asText(), def.configKeys(), values, groups);
  }
}
