//! The MariaDB table the tobacco source reads with its default settings (an
//! incrementing `seq`, the UCSF record in `document`, `updated_at` changed on every
//! update), as the demo, the tests and the chaos load make it: one statement, so a
//! change to the layout the source expects is made once.

/// `CREATE TABLE IF NOT EXISTS` for a tobacco table named `table` (a plain identifier).
pub fn create_tobacco_table(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (seq BIGINT AUTO_INCREMENT PRIMARY KEY, \
         document JSON NOT NULL, updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) \
         ON UPDATE CURRENT_TIMESTAMP(6), KEY (updated_at, seq))"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_table_has_the_columns_the_source_reads_by_default() {
        let sql = super::create_tobacco_table("t1");
        for want in [
            "t1 (",
            "seq BIGINT AUTO_INCREMENT",
            "document JSON",
            "updated_at TIMESTAMP(6)",
            "KEY (updated_at, seq)",
        ] {
            assert!(sql.contains(want), "{want}: {sql}");
        }
    }
}
