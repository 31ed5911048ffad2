//! The summarizer as a process against the stack's broker: a long deposition gets a
//! summary of its testimony within the budget and no boilerplate; a thesis gets each
//! chapter summarised; a document with only boilerplate gets nothing (counted); a
//! message that is not a processed document is dead-lettered with the reason.

use std::collections::HashMap;
use std::time::Duration;

use contracts::{decode, Summary};
use rdkafka::producer::FutureProducer;
use testkit::{Read, Service};

fn tobacco(id: &str, text: &str) -> Vec<u8> {
    samples::processed::bytes(&samples::processed::tobacco(id, Some("Deposition"), text))
}

fn thesis(id: &str) -> (Vec<u8>, usize) {
    let (text, chapters) = samples::text::thesis_text(3, 4, 250);
    let doc = samples::processed::etd(id, "Cooling", None, Some(&text), &chapters);
    (samples::processed::bytes(&doc), chapters.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn depositions_theses_empty_and_bad_documents() {
    testkit::init_tracing();
    let (input, output, dlq) = (
        testkit::unique("proc-s"),
        testkit::unique("sum"),
        testkit::unique("dlq-s"),
    );
    testkit::create_topics_with(
        &[(&input, 2), (&output, 2), (&dlq, 1)],
        &[("max.message.bytes", "20000000")],
    )
    .await;
    let producer: FutureProducer = testkit::kafka_config()
        .set("message.max.bytes", "20000000")
        .create()
        .expect("producer");
    let (thesis_payload, chapters) = thesis("etd:10919/77");
    let messages: Vec<(&str, Vec<u8>)> = vec![
        (
            "tobacco:dep1",
            tobacco("tobacco:dep1", &samples::text::deposition(1, 200)),
        ),
        ("etd:10919/77", thesis_payload),
        (
            "tobacco:empty",
            tobacco(
                "tobacco:empty",
                "IN THE SUPERIOR COURT OF THE STATE OF CALIFORNIA\nEXHIBIT 12\n2023456789\n",
            ),
        ),
        ("bad", b"{not json".to_vec()),
    ];
    for (key, payload) in &messages {
        testkit::send(&producer, &input, key, payload).await;
    }
    let service = Service::spawn(
        env!("CARGO_BIN_EXE_summarizer"),
        &[
            ("DOCSTREAM_INPUT_TOPICS", &input),
            ("DOCSTREAM_OUTPUT_TOPIC", &output),
            ("DOCSTREAM_DLQ_TOPIC", &dlq),
            ("DOCSTREAM_GROUP_ID", &testkit::unique("g-sum")),
            ("DOCSTREAM_KAFKA__FETCH_MESSAGE_MAX_BYTES", "20000000"),
        ],
    );
    let out: HashMap<String, Summary> = Read::partitions(2)
        .settle(Duration::from_secs(2))
        .at_least(&output, 2)
        .iter()
        .map(|r| {
            (
                r.key.clone(),
                decode::<Summary>(&r.payload).expect("a Summary"),
            )
        })
        .collect();
    assert_eq!(
        out.len(),
        2,
        "the deposition and the thesis, nothing for the empty one: {out:?}"
    );

    let dep = &out["tobacco:dep1"];
    let text = dep.summary.as_deref().expect("a summary");
    assert!(text.chars().count() <= 600, "{text}");
    assert!(!summarize::boilerplate::is_boilerplate(text), "{text}");
    assert!(
        text.contains("company") || text.contains("board"),
        "testimony: {text}"
    );
    assert!(dep.model.starts_with("extractive"));

    let t = &out["etd:10919/77"];
    assert!(t.summary.is_none());
    assert_eq!(t.sections.len(), chapters, "{t:?}");
    assert!(t.sections[0].title.starts_with("Chapter 1"));
    for s in &t.sections {
        assert!(
            !s.summary.is_empty() && s.summary.chars().count() <= 400,
            "{s:?}"
        );
    }

    let dead = Read::partitions(1).at_least(&dlq, 1);
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].key, "bad");
    let reason = dead[0].header("docstream.error");
    assert!(reason.contains("not a processed document"), "{reason}");
    let skipped =
        service.metric("docstream_summarizer_outcomes_total{kind=\"skipped\",value=\"no_text\"}");
    assert_eq!(skipped, 1.0);
}
