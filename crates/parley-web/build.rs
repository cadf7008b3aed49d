//! Bakes the templates into the binary, so `parley serve` needs no files beside it.
fn main() {
    minijinja_embed::embed_templates!("templates");
}
