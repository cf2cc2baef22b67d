package tributary.compat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** Named steps whose outcomes (a value, or the exception as data) make up a program's result. */
public final class Steps {
  final Map<String, Object> out = new LinkedHashMap<>();

  public void step(String name, Callable<Object> body) {
    try {
      out.put(name, body.call());
    } catch (Exception e) {
      out.put(name, Json.error(e));
    }
  }

  public void print() {
    Json.result(out);
  }
}
