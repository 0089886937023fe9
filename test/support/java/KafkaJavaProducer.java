import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka's own Java producer, driven line by line on stdin so a test can interleave producers; each
 * command answers "ok" on stdout, a failure ends the program with the reason on stderr. Commands:
 *   producer NAME COMPRESSION transactional|plain   begin NAME   commit NAME   abort NAME
 *   send NAME PARTITION BASE64_VALUE (asynchronous)  flush NAME (waits for every send so far)
 * Run in single-file source mode: java -cp 'KAFKA_LIBS/*' KafkaJavaProducer.java BOOTSTRAP TOPIC
 */
public class KafkaJavaProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    Map<String, KafkaProducer<byte[], byte[]>> producers = new HashMap<>();
    Map<String, List<Future<RecordMetadata>>> pending = new HashMap<>();
    BufferedReader input = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try {
      for (String line = input.readLine(); line != null; line = input.readLine()) {
        String[] words = line.split(" ");
        String name = words[1];
        switch (words[0]) {
          case "producer" -> {
            Properties config = new Properties();
            config.put("bootstrap.servers", bootstrap);
            config.put("key.serializer", ByteArraySerializer.class.getName());
            config.put("value.serializer", ByteArraySerializer.class.getName());
            config.put("compression.type", words[2]);
            config.put("acks", "all");
            config.put("linger.ms", "20");
            if (words[3].equals("transactional")) config.put("transactional.id", name + "-" + UUID.randomUUID());
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config);
            if (words[3].equals("transactional")) producer.initTransactions();
            producers.put(name, producer);
            pending.put(name, new ArrayList<>());
          }
          case "begin" -> producers.get(name).beginTransaction();
          case "send" -> pending.get(name).add(producers.get(name).send(new ProducerRecord<>(topic, Integer.valueOf(words[2]), null, Base64.getDecoder().decode(words[3]))));
          case "flush" -> {
            producers.get(name).flush();
            for (Future<RecordMetadata> sent : pending.get(name)) sent.get();
            pending.get(name).clear();
          }
          case "commit" -> producers.get(name).commitTransaction();
          case "abort" -> producers.get(name).abortTransaction();
          default -> throw new IllegalArgumentException("unknown command: " + line);
        }
        System.out.println("ok");
        System.out.flush();
      }
    } finally {
      for (KafkaProducer<byte[], byte[]> producer : producers.values()) producer.close();
    }
  }
}
