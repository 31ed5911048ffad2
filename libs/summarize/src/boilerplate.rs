//! Deposition boilerplate: the caption, the appearances of counsel, the stipulations,
//! the oath and the reporter's certificate, the videographer's record-keeping. Such
//! sentences are prose and, repeated in every deposition with the same words, they
//! are central to the sentence graph, so without this filter they would fill the
//! summary. They are left out before ranking (`loadtest summarize` counts how many
//! got through).

/// Phrases (lower case) that mark a sentence as boilerplate.
const MARKS: &[&str] = &[
    // caption
    "in the superior court",
    "in the circuit court",
    "united states district court",
    "in and for the county",
    "case no",
    "civil action no",
    // appearances
    "appearances",
    "on behalf of the plaintiff",
    "on behalf of plaintiff",
    "on behalf of the defendant",
    "on behalf of defendant",
    "attorney at law",
    "attorneys at law",
    "esq.",
    "appeared as counsel",
    "appeared as co-counsel",
    "counsel for the",
    "also present",
    // stipulations and the oath
    "stipulated",
    "stipulation",
    "it is hereby",
    "be it remembered",
    "pursuant to notice",
    "duly sworn",
    "administer oaths",
    "was thereupon examined",
    "code of civil procedure",
    // the reporter and the certificate
    "certified shorthand reporter",
    "shorthand reporter",
    "hereby certify",
    "do certify",
    "notary public",
    "my commission expires",
    "reporter's certificate",
    "csr no",
    "in witness whereof",
    "penalty of perjury",
    "transcribed under my direction",
    // the record
    "videographer",
    "off the record",
    "back on the record",
    "going on the record",
    "marked for identification",
    "(recess",
    "(whereupon",
];

/// Whether `sentence` is deposition boilerplate.
pub fn is_boilerplate(sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    MARKS.iter().any(|m| lower.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_of_a_deposition_that_are_not_testimony_are_marked() {
        for s in [
            "BE IT REMEMBERED that, pursuant to Notice of Taking Deposition, on March 15",
            "represented by ROBERT BROWN, Attorney at Law, appeared as counsel on behalf of the Plaintiff.",
            "I, JO ANN BRUSCELLA, a Certified Shorthand Reporter, hereby certify that the witness was sworn.",
            "IT IS HEREBY STIPULATED by and between counsel that the deposition may be signed.",
            "THE VIDEOGRAPHER: We are going off the record at 10:15.",
        ] {
            assert!(is_boilerplate(s), "{s}");
        }
        for s in [
            "Sales volume dropped after the Master Settlement Agreement restricted advertising.",
            "The witness said punitive damages would devastate the company.",
        ] {
            assert!(!is_boilerplate(s), "{s}");
        }
    }
}
