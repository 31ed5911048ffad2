fn main() {
    let g = testkit::pdf::thesis(7, 8);
    std::fs::write("/tmp/gen/thesis.pdf", &g.bytes).unwrap();
    std::fs::write("/tmp/gen/thesis.txt", g.text()).unwrap();
    for (name, b) in testkit::pdf::hostile(7) { std::fs::write(format!("/tmp/gen/{name}.pdf"), b).unwrap(); }
}
