//! Producing and deliveries: handing a message to the producer (waiting while its
//! local queue is full) and waiting for the broker's acknowledgement. Every loop and
//! source produces through these, so a delivery report is unpacked in one place.

use std::time::Duration;

use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;

use crate::error::{Error, Result};
use crate::processor::Outgoing;

/// Hands a message to the producer, waiting while its local queue is full.
pub async fn enqueue(producer: &FutureProducer, out: &Outgoing) -> KafkaResult<DeliveryFuture> {
    let headers = out.headers.iter().fold(OwnedHeaders::new(), |h, (k, v)| {
        h.insert(Header {
            key: k,
            value: Some(v),
        })
    });
    loop {
        let mut record = FutureRecord::<[u8], [u8]>::to(&out.topic).headers(headers.clone());
        if let Some(p) = &out.payload {
            record = record.payload(p);
        }
        if let Some(k) = &out.key {
            record = record.key(k);
        }
        if let Some(p) = out.partition {
            record = record.partition(p);
        }
        match producer.send_result(record) {
            Ok(delivery) => return Ok(delivery),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// Waits for the broker's acknowledgement of one enqueued message; the reason when
/// it was refused (after librdkafka's own retries) or never enqueued.
pub(crate) async fn delivered(d: KafkaResult<DeliveryFuture>) -> std::result::Result<(), String> {
    match d {
        Ok(delivery) => match delivery.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err((e, _))) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(e.to_string()),
    }
}

/// Hands every message to the producer in order, then waits until Kafka acknowledged
/// all of them (what a source does before it moves its position).
pub async fn publish_all(producer: &FutureProducer, messages: &[Outgoing]) -> Result<()> {
    let mut deliveries = Vec::with_capacity(messages.len());
    for m in messages {
        deliveries.push((m.topic.as_str(), enqueue(producer, m).await));
    }
    for (topic, d) in deliveries {
        delivered(d).await.map_err(|reason| Error::Publish {
            topic: topic.to_owned(),
            reason,
        })?;
    }
    Ok(())
}
