// FormatsHarness is the Java side of the JSON Schema and Protobuf
// differential tests (shared/convert/formats_java_integration_test.go):
// Apicurio's JSON Schema and Protobuf serdes, configured for Confluent's
// wire format (magic byte, 4-byte id; Protobuf message indexes instead of
// Apicurio's type reference), driven one JSON request per stdin line, one
// JSON answer per stdout line.
//
//   {"op":"pbread","topic":T,"data":B}   B base64 wire bytes in Confluent's Protobuf format: the
//       id's schema fetched and parsed by Apicurio's schema resolver, the message index path
//       read by Apicurio's MessageIndexesUtil and walked, the body parsed by protobuf-java (Apicurio's
//       ProtobufDeserializer 3.1.7 reads the index path but then needs its own type reference or a
//       generated class, so it cannot read Confluent-format records as DynamicMessage); answers
//       {"json":the message in Protobuf's JSON mapping (proto field names, fields without presence
//       always printed), "message":its full name}
//   {"op":"pbwrite","topic":T,"file":F,"message":M,"json":J}  F a FileDescriptorProto in JSON
//       (no imports), J (Protobuf JSON) parsed as its message M and serialized by Apicurio's
//       serializer (schema auto-registered under T-value, message indexes, no type reference);
//       answers {"data":B}
//   {"op":"jsread","topic":T,"data":B}   answers {"json":the deserialized JSON}
//   {"op":"jswrite","topic":T,"subject":S,"json":J}  J serialized (and validated) with the
//       latest schema of subject S; answers {"data":B}
//   failures answer {"error":message}
//
// Usage: java -cp <libs>:<classes> FormatsHarness <registry v3 API URL>
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.apicurio.registry.serde.jsonschema.JsonSchemaKafkaDeserializer;
import io.apicurio.registry.serde.jsonschema.JsonSchemaKafkaSerializer;
import io.apicurio.registry.resolver.strategy.ArtifactReference;
import io.apicurio.registry.serde.protobuf.MessageIndexesUtil;
import io.apicurio.registry.serde.protobuf.ProtobufKafkaDeserializer;
import io.apicurio.registry.serde.protobuf.ProtobufKafkaSerializer;
import io.apicurio.registry.utils.protobuf.schema.ProtobufSchema;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

public class FormatsHarness {
  public static void main(String[] args) throws Exception {
    Map<String, Object> base = new HashMap<>();
    base.put("apicurio.registry.url", args[0]);

    Map<String, Object> pb = new HashMap<>(base);
    pb.put("apicurio.registry.auto-register", "true");
    pb.put("apicurio.registry.serde.send-type-ref", "false");
    pb.put("apicurio.registry.serde.send-indexes", "true");
    pb.put("apicurio.registry.serde.read-type-ref", "false");
    pb.put("apicurio.registry.serde.read-indexes", "true");
    ProtobufKafkaSerializer<Message> pbSer = new ProtobufKafkaSerializer<>();
    pbSer.configure(pb, false);
    ProtobufKafkaDeserializer<DynamicMessage> pbDes = new ProtobufKafkaDeserializer<>();
    pbDes.configure(pb, false);
    JsonFormat.Printer printer = JsonFormat.printer().preservingProtoFieldNames().alwaysPrintFieldsWithNoPresence();

    Map<String, Object> js = new HashMap<>(base);
    js.put("apicurio.registry.serde.validation-enabled", "true");
    JsonSchemaKafkaDeserializer<JsonNode> jsDes = new JsonSchemaKafkaDeserializer<>();
    jsDes.configure(js, false);

    HarnessLoop.run((op, req, answer) -> {
        String topic = req.get("topic").asText();
        switch (op) {
          case "pbread": {
            Message m = readConfluentProtobuf(pbDes, Base64.getDecoder().decode(req.get("data").asText()));
            answer.put("json", printer.print(m));
            answer.put("message", m.getDescriptorForType().getFullName());
            break;
          }
          case "pbwrite": {
            DescriptorProtos.FileDescriptorProto.Builder fp = DescriptorProtos.FileDescriptorProto.newBuilder();
            JsonFormat.parser().merge(req.get("file").asText(), fp);
            Descriptors.FileDescriptor fd = Descriptors.FileDescriptor.buildFrom(fp.build(), new Descriptors.FileDescriptor[0]);
            String name = req.get("message").asText();
            Descriptors.Descriptor md = fd.findMessageTypeByName(name.substring(name.lastIndexOf('.') + 1));
            DynamicMessage.Builder b = DynamicMessage.newBuilder(md);
            JsonFormat.parser().merge(req.get("json").asText(), b);
            answer.put("data", Base64.getEncoder().encodeToString(pbSer.serialize(topic, b.build())));
            break;
          }
          case "jsread": {
            JsonNode v = jsDes.deserialize(topic, Base64.getDecoder().decode(req.get("data").asText()));
            answer.put("json", HarnessLoop.MAPPER.writeValueAsString(v));
            break;
          }
          case "jswrite": {
            Map<String, Object> conf = new HashMap<>(js);
            conf.put("apicurio.registry.artifact.group-id", "default");
            conf.put("apicurio.registry.artifact.artifact-id", req.get("subject").asText());
            conf.put("apicurio.registry.find-latest", "true");
            conf.put("apicurio.registry.auto-register", "false");
            try (JsonSchemaKafkaSerializer<JsonNode> ser = new JsonSchemaKafkaSerializer<>()) {
              ser.configure(conf, false);
              byte[] data = ser.serialize(topic, HarnessLoop.MAPPER.readTree(req.get("json").asText()));
              answer.put("data", Base64.getEncoder().encodeToString(data));
            }
            break;
          }
          default:
            throw new IllegalArgumentException("unknown op " + op);
        }
    });
  }

  // readConfluentProtobuf reads Confluent's Protobuf wire format with
  // Apicurio's parts: magic byte 0, the 4-byte id resolved (as a content id,
  // like Apicurio's default id handler) and parsed by the deserializer's
  // schema resolver, the message index path by MessageIndexesUtil, then the
  // message the path names parsed by protobuf-java.
  static Message readConfluentProtobuf(ProtobufKafkaDeserializer<DynamicMessage> des, byte[] data) throws Exception {
    ByteBuffer buf = ByteBuffer.wrap(data);
    if (buf.get() != 0) {
      throw new IllegalArgumentException("magic byte " + data[0]);
    }
    long id = Integer.toUnsignedLong(buf.getInt());
    ProtobufSchema schema = des.getSchemaResolver()
        .resolveSchemaByArtifactReference(ArtifactReference.fromContentId(id)).getParsedSchema().getParsedSchema();
    InputStream in = new ByteArrayInputStream(data, 5, data.length - 5);
    List<Integer> path = MessageIndexesUtil.readFrom(in);
    Descriptors.Descriptor md = schema.getFileDescriptor().getMessageTypes().get(path.get(0));
    for (int i = 1; i < path.size(); i++) {
      md = md.getNestedTypes().get(path.get(i));
    }
    return DynamicMessage.parseFrom(md, in);
  }
}
