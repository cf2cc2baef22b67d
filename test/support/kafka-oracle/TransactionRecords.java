// Apache Kafka as the oracle of the __transaction_state record format: reads lines
// "hex(key) hex(value)" on stdin, reads each record with Kafka's own TransactionLog.read
// (kafka-transaction-coordinator from .cache/kafka/libs), writes it again with Kafka's keyToBytes
// and valueToBytes (transaction.version 2, Kafka 4.4's default), and prints
// "ok hex(key) hex(value) state" — the bytes Kafka would have written for the same transaction —
// or "err <reason>" when Kafka cannot read the record.
// Run as a single-file source program: java -cp '.cache/kafka/libs/*' TransactionRecords.java
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.HexFormat;
import org.apache.kafka.coordinator.transaction.TransactionLog;
import org.apache.kafka.coordinator.transaction.TransactionMetadata;
import org.apache.kafka.coordinator.transaction.TxnTransitMetadata;
import org.apache.kafka.server.common.TransactionVersion;

public class TransactionRecords {
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    HexFormat hex = HexFormat.of();
    String line;
    while ((line = in.readLine()) != null) {
      String[] p = line.trim().split(" ");
      try {
        TransactionLog.ReadResult read = TransactionLog.read(ByteBuffer.wrap(hex.parseHex(p[0])), ByteBuffer.wrap(hex.parseHex(p[1])));
        if (!(read instanceof TransactionLog.TxnRecord record)) {
          System.out.println("err not a transaction record: " + read);
          continue;
        }
        TransactionMetadata m = record.metadata();
        TxnTransitMetadata transit = new TxnTransitMetadata(m.producerId(), m.prevProducerId(), -1L, m.producerEpoch(), m.lastProducerEpoch(), m.txnTimeoutMs(), m.state(),
            new HashSet<>(m.topicPartitions()), m.txnStartTimestamp(), m.txnLastUpdateTimestamp(), m.clientTransactionVersion());
        System.out.println("ok " + hex.formatHex(TransactionLog.keyToBytes(record.transactionId())) + " " + hex.formatHex(TransactionLog.valueToBytes(transit, TransactionVersion.TV_2)) + " " + m.state());
      } catch (Exception e) {
        System.out.println("err " + e.toString().replace('\n', ' '));
      }
    }
  }
}
