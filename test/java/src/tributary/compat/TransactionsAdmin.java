package tributary.compat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;
import net.sourceforge.argparse4j.inf.Namespace;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.tools.TransactionsCommand;

/**
 * Transactions in every state, then Kafka's own `kafka-transactions.sh` on them. On TOPIC (two
 * partitions): PREFIX-commit commits "c" on partition 0, PREFIX-abort aborts "a" on partition 1,
 * PREFIX-empty only initialises, PREFIX-open sends "o0" and "o1" to both partitions and stays
 * open while the commands run (the tool's `abort` may end it on a partition).
 *
 * Each COMMAND is one tool command line (words separated by spaces, without --bootstrap-server),
 * run in this JVM through TransactionsCommand.execute(args, adminFactory, out, time), which is what
 * the tool's main calls (a JVM per command costs seconds on a loaded machine). An error the tool
 * would end the process with is kept as "exit N: message". Prints RESULT {"command": "output", ...}.
 *
 * Usage: TransactionsAdmin BOOTSTRAP TOPIC PREFIX COMMAND...
 */
public final class TransactionsAdmin {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String prefix = args[2];
    try (KafkaProducer<String, String> commit = producer(bootstrap, prefix + "-commit");
        KafkaProducer<String, String> abort = producer(bootstrap, prefix + "-abort");
        KafkaProducer<String, String> empty = producer(bootstrap, prefix + "-empty");
        KafkaProducer<String, String> open = producer(bootstrap, prefix + "-open")) {
      commit.initTransactions();
      commit.beginTransaction();
      commit.send(new ProducerRecord<>(topic, 0, null, "c")).get();
      commit.commitTransaction();
      abort.initTransactions();
      abort.beginTransaction();
      abort.send(new ProducerRecord<>(topic, 1, null, "a")).get();
      abort.abortTransaction();
      empty.initTransactions();
      open.initTransactions();
      open.beginTransaction();
      open.send(new ProducerRecord<>(topic, 0, null, "o0")).get();
      open.send(new ProducerRecord<>(topic, 1, null, "o1")).get();
      Json.result(runTool(bootstrap, java.util.Arrays.copyOfRange(args, 3, args.length)));
    }
    System.exit(0);
  }

  static KafkaProducer<String, String> producer(String bootstrap, String transactionalId) {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("transactional.id", transactionalId);
    p.put("transaction.timeout.ms", "300000");
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", StringSerializer.class.getName());
    return new KafkaProducer<>(p);
  }

  static Map<String, Object> runTool(String bootstrap, String[] commands) throws Exception {
    Method execute = TransactionsCommand.class.getDeclaredMethod("execute", String[].class, Function.class, PrintStream.class, Time.class);
    execute.setAccessible(true);
    Function<Namespace, Admin> admin = ns -> {
      Properties props = new Properties();
      props.put("bootstrap.servers", bootstrap);
      return Admin.create(props);
    };
    Exit.setExitProcedure((code, message) -> {
      throw new ToolExit(code, message);
    });
    Map<String, Object> out = new LinkedHashMap<>();
    for (String command : commands) {
      String[] words = ("--bootstrap-server " + bootstrap + " " + command).split(" ");
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      PrintStream print = new PrintStream(bytes, true, StandardCharsets.UTF_8);
      String ended = "";
      try {
        execute.invoke(null, words, admin, print, Time.SYSTEM);
      } catch (InvocationTargetException e) {
        Throwable cause = e.getCause();
        // The tool ends a successful command with exit 0 too.
        if (!(cause instanceof ToolExit exit) || exit.code != 0) ended = cause instanceof ToolExit exit ? "exit " + exit.code + ": " + exit.getMessage() : "threw " + cause;
      }
      print.flush();
      out.put(command, bytes.toString(StandardCharsets.UTF_8) + ended);
    }
    return out;
  }

  private static final class ToolExit extends RuntimeException {
    final int code;

    ToolExit(int code, String message) {
      super(message);
      this.code = code;
    }
  }
}
