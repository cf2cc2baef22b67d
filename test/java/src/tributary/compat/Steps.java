package tributary.compat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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

  /**
   * A point where a test may change the cluster under the running program (kill -9 a broker), so
   * the client carries on with the connections and metadata it had before. Only with
   * -Dsteps.pause=NAME and -Dsteps.pauseFile=PATH, at the point NAME: writes `facts` (what the test
   * needs to choose its victim, e.g. a partition's leader) as JSON to PATH.paused and waits until
   * PATH exists (bounded: 300 s). Otherwise nothing.
   */
  public static void pause(String name, Callable<Map<String, Object>> facts) throws Exception {
    String file = System.getProperty("steps.pauseFile");
    if (file == null || !name.equals(System.getProperty("steps.pause"))) return;
    Path tmp = Path.of(file + ".tmp");
    Files.writeString(tmp, Json.write(facts.call()));
    // Atomic, so the test never reads half a file.
    Files.move(tmp, Path.of(file + ".paused"), StandardCopyOption.ATOMIC_MOVE);
    if (!Clients.waitFor(300_000, () -> Files.exists(Path.of(file)))) throw new IllegalStateException("paused at " + name + " and not resumed within 300 s");
  }

  public void print() {
    Json.result(out);
  }
}
