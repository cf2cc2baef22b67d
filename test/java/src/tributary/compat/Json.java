package tributary.compat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

/**
 * The programs' only output format: one line `RESULT {json}` on stdout (the client's own logging may
 * print other lines; the test reads only this one). Maps, lists, strings, numbers, booleans and null.
 */
public final class Json {
  private Json() {}

  public static Map<String, Object> obj(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  public static List<Object> list(Collection<?> items) {
    return new ArrayList<>(items);
  }

  /** An exception as data: its class (the Kafka error the client mapped) and message. */
  public static Map<String, Object> error(Throwable t) {
    Throwable cause = t instanceof ExecutionException && t.getCause() != null ? t.getCause() : t;
    return obj("error", cause.getClass().getSimpleName(), "message", cause.getMessage());
  }

  public static void result(Object value) {
    System.out.println("RESULT " + write(value));
    System.out.flush();
  }

  public static String write(Object v) {
    StringBuilder sb = new StringBuilder();
    write(sb, v);
    return sb.toString();
  }

  private static void write(StringBuilder sb, Object v) {
    if (v == null) sb.append("null");
    else if (v instanceof Boolean || v instanceof Integer || v instanceof Long || v instanceof Short) sb.append(v);
    else if (v instanceof Number n) sb.append(Double.isFinite(n.doubleValue()) ? n.toString() : "null");
    else if (v instanceof Map<?, ?> m) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (!first) sb.append(',');
        first = false;
        string(sb, String.valueOf(e.getKey()));
        sb.append(':');
        write(sb, e.getValue());
      }
      sb.append('}');
    } else if (v instanceof Collection<?> c) {
      sb.append('[');
      boolean first = true;
      for (Object o : c) {
        if (!first) sb.append(',');
        first = false;
        write(sb, o);
      }
      sb.append(']');
    } else string(sb, v.toString());
  }

  private static void string(StringBuilder sb, String s) {
    sb.append('"');
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
          else sb.append(ch);
        }
      }
    }
    sb.append('"');
  }
}
