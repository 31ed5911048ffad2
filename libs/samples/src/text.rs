//! Generated long texts as the ingest services leave them: a deposition (caption,
//! appearances, stipulations, pages of questions and answers, the reporter's
//! certificate) and a thesis's full text with chapter offsets. For the summarizer's
//! tests and benchmark.

const TOPICS: &[(&str, &str)] = &[
    (
        "sales volume",
        "fell after the settlement restricted advertising",
    ),
    (
        "the marketing budget",
        "moved from magazines into promotions at retail stores",
    ),
    (
        "the filter research",
        "showed lower tar yields in the laboratory",
    ),
    (
        "youth smoking",
        "was discussed by the board in several memoranda",
    ),
    (
        "punitive damages",
        "would have a devastating effect on the company",
    ),
    (
        "the nicotine levels",
        "were measured by the research department every year",
    ),
];

/// A deposition of about `pages` pages (25 lines each, as OCR'd and cleaned): the
/// same boilerplate every deposition has, around testimony on a few topics.
pub fn deposition(seed: u64, pages: usize) -> String {
    let mut t = String::from(
        "IN THE SUPERIOR COURT OF THE STATE OF CALIFORNIA\nIN AND FOR THE COUNTY OF SAN FRANCISCO\n\n\
         LESLIE WHITELEY, et al., Plaintiffs, vs. Case No. 303184\n\n\
         DEPOSITION OF THOMAS RICHARD ADAMS\n\n\
         BE IT REMEMBERED that, pursuant to Notice of Taking Deposition, the witness was duly sworn by the reporter and testified as follows.\n\
         A P P E A R A N C E S\n\
         represented by ROBERT BROWN, Attorney at Law, appeared as counsel on behalf of the Plaintiff in this matter.\n\
         represented by NEIL KODSI, Attorney at Law, appeared as counsel on behalf of the Defendant in this matter.\n\
         IT IS HEREBY STIPULATED by and between counsel that the deposition may be signed before any notary public.\n\n",
    );
    let mut x = seed
        .wrapping_mul(2_862_933_555_777_941_757)
        .wrapping_add(3_037_000_493);
    let mut next = |n: usize| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(x >> 33).unwrap_or(0) % n
    };
    let lines = pages * 25;
    let mut line = 0;
    while line < lines {
        let (topic, fact) = TOPICS[next(TOPICS.len())];
        let year = 1980 + next(20);
        t.push_str(&format!(
            "Q. Can you tell us what happened to {topic} in {year}?\n\
             A. As I recall, {topic} {fact}, and the company reported it in {year}.\n\
             Q. Who at the company was responsible for {topic} at the time?\n\
             A. The vice-president in charge reviewed {topic} with the board every quarter.\n"
        ));
        if next(10) == 0 {
            t.push_str("THE VIDEOGRAPHER: We are going off the record at 10:15 a.m.\n");
        }
        line += 4;
    }
    t.push_str(
        "\nI, JO ANN BRUSCELLA, a Certified Shorthand Reporter, hereby certify that the witness was sworn and that the testimony was taken down by me.\n\
         IN WITNESS WHEREOF, I have subscribed my name this day. My commission expires in 2003.\n",
    );
    t
}

/// A thesis's full text of `chapters` chapters of about `words` words each, and the
/// chapters' (title, char offset).
pub fn thesis_text(seed: u64, chapters: usize, words: usize) -> (String, Vec<(String, usize)>) {
    let subjects = [
        (
            "Introduction",
            "turbine blade cooling",
            "film cooling holes reduce the blade temperature",
        ),
        (
            "Related Work",
            "earlier cooling studies",
            "measured heat transfer on flat plates",
        ),
        (
            "Methods",
            "the test rig",
            "blows heated air through a linear cascade",
        ),
        (
            "Results",
            "the measurements",
            "show the cooling effectiveness rising with the blowing ratio",
        ),
        (
            "Conclusions",
            "this work",
            "recommends shaped holes for the first stage",
        ),
    ];
    let mut text = String::new();
    let mut offsets = Vec::new();
    for c in 0..chapters {
        let (title, subject, claim) =
            subjects[(c + usize::try_from(seed % 5).unwrap_or(0)) % subjects.len()];
        let heading = format!("Chapter {} {title}", c + 1);
        offsets.push((heading.clone(), text.chars().count()));
        text.push_str(&heading);
        text.push_str("\n\n");
        let mut n = 0;
        let mut k = 0;
        while n < words {
            let sentence = match k % 3 {
                0 => format!("In this chapter {subject} {claim}, as the data of run {k} show."),
                1 => format!("We examined {subject} again in case {k} and found the same pattern."),
                _ => format!(
                    "Table {k} lists the values that {subject} produced under each condition."
                ),
            };
            n += sentence.split_whitespace().count();
            text.push_str(&sentence);
            text.push(' ');
            k += 1;
            if k % 6 == 0 {
                text.push_str("\n\n");
            }
        }
        text.push_str("\n\n");
    }
    (text, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deposition_has_its_pages_and_boilerplate_and_a_thesis_its_chapters() {
        let d = deposition(1, 40);
        assert!(d.lines().count() >= 40 * 25);
        assert!(d.contains("Certified Shorthand Reporter"));
        let (t, chapters) = thesis_text(2, 4, 300);
        assert_eq!(chapters.len(), 4);
        let at: String = t.chars().skip(chapters[2].1).take(9).collect();
        assert_eq!(at, "Chapter 3");
    }
}
