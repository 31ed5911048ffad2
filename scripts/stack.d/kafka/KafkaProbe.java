// Readiness probe for the local broker: a real produce and fetch round trip through
// a probe topic. Exits 0 when the record that was just sent comes back.
// Usage: java -cp 'lib/*:classes' KafkaProbe <bootstrap>

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class KafkaProbe {
    private static final String TOPIC = "__docstream_probe";

    public static void main(String[] args) throws Exception {
        String bootstrap = args.length > 0 ? args[0] : "127.0.0.1:9092";
        Properties common = new Properties();
        common.put("bootstrap.servers", bootstrap);
        common.put("request.timeout.ms", "5000");
        common.put("default.api.timeout.ms", "10000");

        try (Admin admin = Admin.create(common)) {
            Set<String> names = admin.listTopics().names().get();
            if (!names.contains(TOPIC)) {
                try {
                    admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw e;
                }
            }
        }

        String value = UUID.randomUUID().toString();
        Properties p = new Properties();
        p.putAll(common);
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("acks", "all");
        p.put("delivery.timeout.ms", "15000");
        RecordMetadata sent;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            sent = producer.send(new ProducerRecord<>(TOPIC, "probe", value)).get();
        }

        Properties c = new Properties();
        c.putAll(common);
        c.put("key.deserializer", StringDeserializer.class.getName());
        c.put("value.deserializer", StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(c)) {
            TopicPartition tp = new TopicPartition(TOPIC, sent.partition());
            consumer.assign(List.of(tp));
            consumer.seek(tp, sent.offset());
            long deadline = System.currentTimeMillis() + 15000;
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    if (value.equals(r.value())) {
                        System.out.println("kafka round trip ok at offset " + r.offset());
                        return;
                    }
                }
            }
        }
        System.err.println("kafka probe: produced record did not come back");
        System.exit(1);
    }
}
