//! `testkit::committed` against a real broker while a transaction that sent offsets
//! for the group is still open (as when an exactly-once service is SIGKILLed between
//! sending its offsets and committing): it answers the last committed offsets at once
//! instead of waiting out the transaction (the recommender's process test failed in CI
//! on exactly that: `OperationTimedOut` after 10 s).

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

#[tokio::test(flavor = "multi_thread")]
async fn committed_offsets_do_not_wait_for_an_open_transaction() {
    let topic = testkit::unique("open-txn");
    let group = testkit::unique("open-txn-group");
    testkit::create_topics(&[(&topic, 1)]).await;
    let producer: BaseProducer = testkit::kafka_config()
        .set("transactional.id", testkit::unique("open-txn-producer"))
        .create()
        .expect("producer");
    producer
        .init_transactions(Duration::from_secs(30))
        .expect("init");
    producer.begin_transaction().expect("begin");
    producer
        .send(BaseRecord::to(&topic).key("k").payload("v"))
        .expect("send");
    producer.flush(Duration::from_secs(10)).expect("flush");
    let group_of: BaseConsumer = testkit::kafka_config()
        .set("group.id", &group)
        .create()
        .expect("consumer");
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset(&topic, 0, Offset::Offset(1))
        .expect("offset");
    producer
        .send_offsets_to_transaction(
            &offsets,
            &group_of.group_metadata().expect("group metadata"),
            Duration::from_secs(10),
        )
        .expect("offsets sent to the open transaction");

    let asked = Instant::now();
    let committed = testkit::committed(&group, &topic, 1);
    assert!(committed[0] < 0, "nothing is committed yet: {committed:?}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "answered in {:?}",
        asked.elapsed()
    );

    producer
        .commit_transaction(Duration::from_secs(10))
        .expect("commit");
    assert_eq!(testkit::committed(&group, &topic, 1), [1], "now it is");
}
