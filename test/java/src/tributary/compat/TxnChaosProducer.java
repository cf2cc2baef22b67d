package tributary.compat;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * One transactional producer of the transaction anomaly test (test/cluster/transactions-anomalies):
 * transactions of 1–6 records on random partitions, three in four committed, the rest aborted,
 * until it has ended `minTransactions` and the `stopFile` exists. Each transaction's outcome is what
 * the client was told: committed or aborted when commitTransaction / abortTransaction returned,
 * indeterminate when anything of it threw (then the transaction is aborted if the producer still
 * can, else the producer is closed and made again with the same transactional.id, whose
 * initTransactions ends what the old one left open). Keys are `<id>-<i>` with id `<name>-<n>`.
 * A line `PROGRESS <n>` after each transaction lets the test time its faults.
 * Args: bootstrap topic partitions transactionalId seed minTransactions stopFile.
 * Prints RESULT {transactions: [{id, size, outcome}], errors: {exception: count}}.
 */
public final class TxnChaosProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int partitions = Integer.parseInt(args[2]);
    String txnId = args[3];
    Random rand = new Random(Long.parseLong(args[4]));
    int minTransactions = Integer.parseInt(args[5]);
    File stop = new File(args[6]);
    List<Object> transactions = new ArrayList<>();
    java.util.Map<String, Integer> errors = new java.util.TreeMap<>();
    KafkaProducer<String, String> producer = make(bootstrap, txnId);
    for (int n = 0; n < minTransactions || !stop.exists(); n++) {
      int size = 1 + rand.nextInt(6);
      boolean commit = rand.nextInt(4) != 0;
      String id = txnId + "-" + n;
      String outcome = "indeterminate";
      try {
        producer.beginTransaction();
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        for (int i = 0; i < size; i++) sent.add(producer.send(new ProducerRecord<>(topic, rand.nextInt(partitions), id + "-" + i, id)));
        for (Future<RecordMetadata> f : sent) f.get();
        if (commit) producer.commitTransaction();
        else producer.abortTransaction();
        outcome = commit ? "committed" : "aborted";
      } catch (Exception e) {
        Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        errors.merge(cause.getClass().getSimpleName(), 1, Integer::sum);
        try {
          producer.abortTransaction();
        } catch (Exception again) {
          producer.close(java.time.Duration.ofSeconds(1));
          producer = make(bootstrap, txnId);
        }
      }
      transactions.add(Json.obj("id", id, "size", size, "outcome", outcome));
      System.out.println("PROGRESS " + (n + 1));
      System.out.flush();
    }
    producer.close();
    Json.result(Json.obj("transactions", transactions, "errors", errors));
  }

  private static KafkaProducer<String, String> make(String bootstrap, String txnId) {
    for (int attempt = 0; ; attempt++) {
      KafkaProducer<String, String> p = Clients.producer(bootstrap, "transactional.id", txnId, "transaction.timeout.ms", 10000, "delivery.timeout.ms", 30000, "request.timeout.ms", 8000, "max.block.ms", 30000);
      try {
        p.initTransactions();
        return p;
      } catch (Exception e) {
        p.close(java.time.Duration.ofSeconds(1));
        if (attempt >= 10) throw e;
      }
    }
  }
}
