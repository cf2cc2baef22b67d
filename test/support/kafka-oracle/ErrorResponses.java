// Apache Kafka as the oracle of AbstractRequest.getErrorResponse: reads lines "apiKey version
// hex(requestBody)" on stdin, parses each request with Kafka's own classes (kafka-clients from
// .cache/kafka/libs), and prints "ok hex(errorResponseBody)" — what Kafka answers when its handler
// of that request throws an unexpected exception — "removed" for a version Kafka 4 no longer has
// (KIP-896), or "err <reason>" when Kafka refuses to parse the request.
// Run as a single-file source program: java -cp '.cache/kafka/libs/*' ErrorResponses.java
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.MessageUtil;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

public class ErrorResponses {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    HexFormat hex = HexFormat.of();
    String line;
    while ((line = in.readLine()) != null) {
      String[] p = line.trim().split(" ");
      try {
        ApiKeys key = ApiKeys.forId(Short.parseShort(p[0]));
        short version = Short.parseShort(p[1]);
        byte[] body = p.length > 2 ? hex.parseHex(p[2]) : new byte[0];
        // Versions Kafka 4 removed (KIP-896): nothing to compare with this Kafka.
        if (version < key.oldestVersion()) {
          System.out.println("removed");
          continue;
        }
        AbstractRequest request = AbstractRequest.parseRequest(key, version, new ByteBufferAccessor(ByteBuffer.wrap(body))).request;
        AbstractResponse response = request.getErrorResponse(0, new RuntimeException("handler failed"));
        ByteBuffer out = MessageUtil.toByteBufferAccessor(response.data(), version).buffer();
        System.out.println("ok " + hex.formatHex(MessageUtil.byteBufferToArray(out)));
      } catch (Throwable t) {
        System.out.println("err " + t.toString().replace('\n', ' '));
      }
      System.out.flush();
    }
  }
}
